// Where one click's script time goes, stage by stage, timed the way run.mjs times it: a freshly
// loaded page, the official warm-ups, a forced GC (as `prepare` does), a rendered frame, then
// one click, unthrottled. Interleaved with vanilla, page load by page load.
//
// A Rally build is timed through a copy of its glue (dist/<build>-stages/, made here) whose
// wasm exports and imports are wrapped to record `performance.now()` when wasm is entered
// (`__rallyEvent`) and left, and around every call from wasm into JS (a DOM write):
//
//   to wasm        from `el.click()` to the export: the browser's dispatch and the JS walk
//   wasm           inside the export, less its calls into JS (resolve, update, view, diff, drop)
//   calls out      the calls into JS, each listed with the import's source
//   back           from the export's return to `el.click()` returning
//
// The timer is coarsened to 5 µs, so medians come in steps of it; means (after the slash) are
// finer but carry the outliers. The wrappers cost a little themselves. `--nogc` skips the GC.
//
//   node stages.mjs [--builds wasm-release] [--op 04_] [--runs 60] [--nogc]

import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { here, serve, launch, openPage, implementations, prepare, selectOps, median, option, distCopy } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => option(name, fallback, args);
const BUILDS = opt('builds', 'wasm-release').split(',').filter(Boolean);
const OP = opt('op', '04_');
const RUNS = Number(opt('runs', '60'));
const NOGC = args.includes('--nogc');

// Put first in the glue: wrap the exports object and the imports object.
// The wrappers always record, setting up the page included: a branch that only the measured
// click took would deoptimise them there (~0.1 ms). The log is cleared before the click.
const WRAPPERS = `const __stagesLog = [];
globalThis.__stagesLog = __stagesLog;
function __stagesPush(kind, name) {
  if (__stagesLog.length > 30000) __stagesLog.length = 0;
  __stagesLog.push(kind, performance.now(), name);
}
function __stagesExports(x) {
  const o = {};
  for (const k of Object.keys(x)) {
    const v = x[k];
    o[k] = k !== '__rallyEvent' ? v : function (...a) {
      __stagesPush('in', '');
      const r = v.apply(this, a);
      __stagesPush('out', '');
      return r;
    };
  }
  return o;
}
function __stagesImports(o) {
  for (const m of Object.keys(o)) for (const k of Object.keys(o[m])) {
    const f = o[m][k];
    if (typeof f !== 'function') continue;
    const name = String(f).replace(/\\s+/g, ' ').slice(0, 70);
    o[m][k] = function (...a) {
      __stagesPush('call', name);
      const r = f.apply(this, a);
      __stagesPush('return', '');
      return r;
    };
  }
  return o;
}
`;

// A copy of `build` whose glue records the stages; an error if the glue has another shape.
function stagedCopy(build) {
  const { from, to } = distCopy(build, 'stages');
  copyFileSync(join(from, 'jsfb_rally_bg.wasm'), join(to, 'jsfb_rally_bg.wasm'));
  let glue = readFileSync(join(from, 'jsfb_rally.js'), 'utf8');
  const patch = (re, f, what) => {
    if (!re.test(glue)) throw new Error(`dist/${build}/jsfb_rally.js: no ${what} found to wrap`);
    glue = glue.replace(re, f);
  };
  patch(/(\w+)\s*=\s*(\w+)\.exports;/, (_, w, i) => `${w} = __stagesExports(${i}.exports);`, 'exports assignment');
  patch(/instantiateStreaming\(([^;]*?),\s*(\w+)\(\)\)/, (_, src, imp) => `instantiateStreaming(${src}, __stagesImports(${imp}()))`, 'instantiateStreaming call');
  writeFileSync(join(to, 'jsfb_rally.js'), WRAPPERS + glue);
  return `${build}-stages`;
}

// Runs in the page: one measured click with the stages recorded.
async function timedClick(sel) {
  const el = document.querySelector(sel);
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const log = globalThis.__stagesLog || [];
  log.length = 0;
  const t0 = performance.now();
  el.click();
  const t1 = performance.now();
  const recorded = log.slice();
  void document.body.offsetHeight;
  const t2 = performance.now();
  const stages = [];
  for (let i = 0; i < recorded.length; i += 3) stages.push([recorded[i], recorded[i + 1], recorded[i + 2]]);
  return { t0, t1, t2, stages };
}

// One click's stages as named spans (ms).
function spans({ t0, t1, t2, stages }) {
  const out = { script: t1 - t0, layout: t2 - t0 };
  const enter = stages.find((s) => s[0] === 'in');
  const leave = stages.findLast((s) => s[0] === 'out');
  if (!enter || !leave) return out;
  out['to wasm'] = enter[1] - t0;
  let wasm = 0;
  let last = enter[1];
  let call = null;
  let k = 0;
  for (const [kind, at, name] of stages) {
    if (kind === 'call') {
      wasm += at - last;
      call = `call ${++k}: ${name}`;
    } else if (kind === 'return') {
      out[call] = at - last;
    }
    if (kind === 'call' || kind === 'return') last = at;
  }
  out.wasm = wasm + (leave[1] - last);
  out.back = t1 - leave[1];
  return out;
}

async function main() {
  const [op] = selectOps(OP);
  if (!op) throw new Error(`no operation ${OP}`);
  const staged = BUILDS.map(stagedCopy);
  const server = await serve(here);
  const impls = implementations(`http://127.0.0.1:${server.address().port}`, staged);
  const browser = await launch();
  const results = new Map(impls.map((i) => [i.name, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const impl of impls) {
      const session = await openPage(browser);
      await prepare(session, impl, op, { gc: !NOGC });
      results.get(impl.name).push(spans(await session.page.evaluate(timedClick, op.click)));
      await op.check(session.p);
      await session.page.context().close();
    }
    process.stdout.write('.');
  }
  await browser.close();
  server.close();
  console.log(`\n${op.id}: ms per click, median / mean of ${RUNS} page loads, unthrottled${NOGC ? ', no GC before the click' : ''}`);
  for (const [name, rows] of results) {
    console.log(name.replace(/-stages$/, ''));
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    for (const key of keys) {
      const xs = rows.map((r) => r[key]).filter((x) => x !== undefined);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const share = xs.length < rows.length ? ` (${xs.length} of ${rows.length} clicks)` : '';
      console.log(`  ${median(xs).toFixed(3).padStart(7)} / ${mean.toFixed(3).padStart(6)}  ${key}${share}`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
