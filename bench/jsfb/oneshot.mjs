// What a click costs when it is the first work of a task, against clicks back to back: the
// official operations time one click after the page has settled (run.mjs), clicks.mjs times
// hundreds in one task. This times the same click of the same 1,000-row table with something
// different between clicks, unthrottled, and prints the median per implementation and mode:
//
//   tight    nothing: the next click runs in the same task (clicks.mjs's steady state)
//   layout   a forced style and layout (document.body.offsetHeight), same task
//   thrash   16 MiB of memory read and written, same task (evicts the data caches)
//   busy     a 2 ms busy loop, same task (the CPU stays busy, nothing else runs)
//   micro    an awaited resolved promise (a microtask checkpoint, no new task)
//   timeout  a new task (setTimeout 0)
//   tbusy    a new task, then a 1 ms busy loop before the click
//   frame    a rendered frame (requestAnimationFrame, then setTimeout 0): what run.mjs does
//
//   node oneshot.mjs [--builds wasm-release] [--op select|update|swap] [--clicks 200]
//                    [--modes tight,busy,timeout,frame]
//
// Each figure is `performance.now()` around `el.click()` alone, as in clicks.mjs.

import { serve, launch, openPage, implementations, prepare, selectOps, here, median, option } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => option(name, fallback, args);
const BUILDS = opt('builds', 'wasm-release').split(',').filter(Boolean);
const OP = opt('op', 'select');
const CLICKS = Number(opt('clicks', '200'));
const MODES = opt('modes', 'tight,layout,thrash,busy,micro,timeout,tbusy,frame').split(',');
const PREPARE = { select: '04_select', update: '03_update', swap: '05_swap' };

// Runs in the page: `clicks` clicks, each timed alone, with `mode` between them.
async function clickLoop([op, mode, clicks]) {
  const target = (k) => {
    switch (op) {
      case 'select': return document.querySelector(`tbody tr:nth-child(${(k % 900) + 10}) a.lbl`);
      case 'update': return document.getElementById('update');
      case 'swap': return document.getElementById('swaprows');
      default: throw new Error(`unknown op ${op}`);
    }
  };
  const between = {
    tight: () => {},
    layout: () => void document.body.offsetHeight,
    thrash: () => {
      const a = (window.__thrash ||= new Int32Array(4 << 20));
      let x = 0;
      for (let i = 0; i < a.length; i += 16) x += a[i]++;
      window.__sink = x;
    },
    busy: () => { const end = performance.now() + 2; while (performance.now() < end); },
    micro: () => Promise.resolve(),
    timeout: () => new Promise((r) => setTimeout(r, 0)),
    tbusy: async () => {
      await new Promise((r) => setTimeout(r, 0));
      const end = performance.now() + 1;
      while (performance.now() < end);
    },
    frame: () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))),
  }[mode];
  if (!between) throw new Error(`unknown mode ${mode}`);
  const times = [];
  for (let k = 0; k < clicks; k++) {
    const el = target(k);
    await between();
    const t0 = performance.now();
    el.click();
    times.push(performance.now() - t0);
  }
  return times;
}

async function main() {
  const [op] = selectOps(PREPARE[OP] ?? '');
  if (!op) throw new Error(`--op must be one of ${Object.keys(PREPARE).join(', ')}`);
  const server = await serve(here);
  const base = `http://127.0.0.1:${server.address().port}`;
  const impls = implementations(base, BUILDS);
  const browser = await launch();
  const session = await openPage(browser);
  const rows = [];
  for (const mode of MODES) {
    const row = { mode };
    for (const impl of impls) {
      await prepare(session, impl, op);
      row[impl.name] = median(await session.page.evaluate(clickLoop, [OP, mode, CLICKS]));
    }
    rows.push(row);
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  await browser.close();
  server.close();
  const names = impls.map((i) => i.name);
  console.log(`${OP}: script per click, median ms of ${CLICKS}, no throttling`);
  console.log(['mode'.padEnd(8), ...names.map((n) => n.padStart(22))].join(' '));
  for (const row of rows) {
    const v = row.vanilla;
    console.log([row.mode.padEnd(8), ...names.map((n) =>
      `${row[n].toFixed(3)}${n === 'vanilla' ? '' : ` (${(row[n] / v).toFixed(1)}x)`}`.padStart(22))].join(' '));
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
