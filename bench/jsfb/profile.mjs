// Where the time of one js-framework-benchmark operation goes: a V8 CPU profile (CDP Profiler,
// 50 µs sampling unless `--interval`) of the measured click and the forced layout after it (no CPU throttling unless `--throttle`),
// repeated, aggregated by kind of code (wasm, the bundle's JS glue, the page's JS, and the
// rest: the browser's built-ins such as DOM calls, with the measuring script, whose self time
// includes the layout it forces) and by function (self time).
//
//   node profile.mjs [--op 04_select] [--impl rally:wasm-speed] [--runs 10] [--top 25]
//                    [--interval 50]  (sampling interval, µs) [--throttle 1]  (CPU throttling rate)
//                    [--callers malloc]  (also: the call chains under functions whose name has this)
//                    [--inclusive]  (also: time under each function, its callees included)
//
// Wasm functions show with their Rust names when the bundle keeps its name section: build it
// with `RALLY_WASM_NAMES=1` (optimised bundles drop it otherwise; rally-build passes `-g` to
// wasm-opt then, so an optimised build keeps its names). "(program)" is the browser's own
// work outside JS and wasm: DOM, style, layout.

import { here, serve, launch, openPage, implementations, prepare, selectOps, option } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => option(name, fallback, args);
const OP = opt('op', '04_select');
const IMPL = opt('impl', 'rally:wasm-speed');
const RUNS = Number(opt('runs', '10'));
const TOP = Number(opt('top', '25'));
const INTERVAL = Number(opt('interval', '50'));
const THROTTLE = Number(opt('throttle', '1')); // CPU throttling rate during the measured click
const CALLERS = opt('callers', null);
const INCLUSIVE = args.includes('--inclusive'); // also time under each function (its callees included)

// A profile frame's function, anonymous ones (such as Rally's event listener) by place.
const frameName = (f) => f.functionName || `(anonymous ${f.url.split('/').pop()}:${f.lineNumber})`;

async function main() {
  const [op] = selectOps(OP);
  if (!op) throw new Error(`no operation ${OP}`);
  const server = await serve(here);
  const base = `http://127.0.0.1:${server.address().port}`;
  const builds = IMPL.startsWith('rally:') ? [IMPL.slice('rally:'.length)] : [];
  const impl = implementations(base, builds).find((i) => i.name === IMPL);
  if (!impl) throw new Error(`no implementation ${IMPL}`);
  const browser = await launch();
  const session = await openPage(browser);
  const { cdp, page } = session;
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: INTERVAL });

  const self = new Map(); // function -> ms
  const under = new Map(); // function -> ms with its callees (counted once per sample)
  const callers = new Map(); // call chain above a `--callers` match -> ms
  const kinds = new Map(); // wasm / glue (the bundle's JS) / page / browser and harness -> ms
  let total = 0;
  for (let run = 0; run < RUNS; run++) {
    await prepare(session, impl, op);
    if (THROTTLE > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
    await cdp.send('Profiler.start');
    await page.evaluate((sel) => window.__bench.clickAndLayout(sel), op.click);
    const { profile } = await cdp.send('Profiler.stop');
    if (THROTTLE > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    await op.check(session.p);
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n);
    const dt = profile.timeDeltas;
    for (let i = 0; i < profile.samples.length; i++) {
      const node = byId.get(profile.samples[i]);
      const f = node.callFrame;
      if (f.functionName === '(idle)') continue;
      const name = frameName(f);
      const ms = (dt[i] || 0) / 1000;
      self.set(name, (self.get(name) || 0) + ms);
      if (INCLUSIVE) {
        const seen = new Set();
        for (let p = node; p; p = parent.get(p.id)) {
          const n = frameName(p.callFrame);
          if (!seen.has(n)) {
            seen.add(n);
            under.set(n, (under.get(n) || 0) + ms);
          }
        }
      }
      if (CALLERS && name.includes(CALLERS)) {
        const chain = [];
        for (let p = parent.get(node.id); p && chain.length < 5; p = parent.get(p.id)) {
          chain.push(p.callFrame.functionName.slice(0, 60));
        }
        const key = chain.join(' < ');
        callers.set(key, (callers.get(key) || 0) + ms);
      }
      const kind = f.url.endsWith('.wasm') ? 'wasm'
        : f.url.includes('/dist/') ? 'glue'
          : f.url ? 'page' : f.functionName === '(program)' ? '(program)' : 'browser and harness (DOM and other built-ins, the measuring script and its forced layout)';
      kinds.set(kind, (kinds.get(kind) || 0) + ms);
      total += ms;
    }
  }
  await browser.close();
  server.close();

  console.log(`${op.id} on ${IMPL}: self time by function over ${RUNS} runs (${(total / RUNS).toFixed(2)} ms sampled per run)`);
  for (const [kind, ms] of [...kinds.entries()].sort((a, b) => b[1] - a[1])) {
    console.log(`${(ms / RUNS).toFixed(3).padStart(9)} ms  ${kind}`);
  }
  if (CALLERS) {
    console.log(`called from (functions matching "${CALLERS}", self time):`);
    for (const [chain, ms] of [...callers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
      console.log(`${(ms / RUNS).toFixed(3).padStart(9)} ms  ${chain}`);
    }
  }
  if (INCLUSIVE) {
    console.log('with callees (time under each function):');
    const rows = [...under.entries()].filter(([n]) => n !== '(program)' && n !== '(root)')
      .sort((a, b) => b[1] - a[1]).slice(0, TOP);
    for (const [name, ms] of rows) {
      console.log(`${(ms / RUNS).toFixed(3).padStart(9)} ms  ${name.slice(0, 110)}`);
    }
  }
  console.log('by function:');
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP);
  for (const [name, ms] of rows) {
    console.log(`${(ms / RUNS).toFixed(3).padStart(9)} ms  ${(100 * ms / total).toFixed(1).padStart(5)} %  ${name.slice(0, 110)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
