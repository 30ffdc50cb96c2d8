// Script time of many small updates, unthrottled: the steady-state cost of one select, swap,
// partial update or remove on a 1,000-row table, with the noise of single measurements averaged
// out. The official operations (run.mjs) time one click each under CPU throttling, where a
// select is a 1–3 ms figure that run-to-run spread moves by a third; this times hundreds of
// clicks per implementation inside the page and reports medians, implementations interleaved
// round by round.
//
//   node clicks.mjs [--builds wasm-release,wasm-release-base] [--clicks 200] [--rounds 5]
//                   [--ops select,swap,update,remove,replace,create] [--out file.json]
//
// Each figure is `performance.now()` around `el.click()` (the handler and, for rally, its
// synchronous render and DOM patch), without style or layout.

import { writeFileSync } from 'node:fs';
import { serve, launch, openPage, implementations, here, median, option } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => option(name, fallback, args);
const BUILDS = opt('builds', 'wasm-release').split(',').filter(Boolean);
const CLICKS = Number(opt('clicks', '200'));
const ROUNDS = Number(opt('rounds', '5'));
const OPS = opt('ops', 'select,swap,update,remove').split(',');

// Runs in the page: `clicks` clicks of the op's target, each timed alone.
function clickLoop([op, clicks]) {
  const target = (k) => {
    switch (op) {
      case 'select': return document.querySelector(`tbody tr:nth-child(${(k % 1000) + 1}) a.lbl`);
      case 'remove': return document.querySelector('tbody tr:nth-child(4) a.remove');
      case 'swap': return document.getElementById('swaprows');
      case 'update': return document.getElementById('update');
      case 'replace':
      case 'create': return document.getElementById('run');
      default: throw new Error(`unknown op ${op}`);
    }
  };
  const times = [];
  for (let k = 0; k < clicks; k++) {
    if (op === 'remove' && document.querySelectorAll('tbody tr').length < 900) {
      document.getElementById('run').click();
    }
    if (op === 'create') document.getElementById('clear').click();
    const el = target(k);
    const t0 = performance.now();
    el.click();
    times.push(performance.now() - t0);
  }
  return times;
}

async function main() {
  const server = await serve(here);
  const impls = implementations(`http://127.0.0.1:${server.address().port}`, BUILDS);
  const browser = await launch();
  const session = await openPage(browser);
  const results = {};
  for (const op of OPS) {
    results[op] = Object.fromEntries(impls.map((i) => [i.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = impls.map((_, k) => impls[(k + round) % impls.length]);
      for (const impl of order) {
        await session.page.goto(impl.url, { waitUntil: 'load' });
        await session.page.waitForSelector('#run', { timeout: 20000 });
        await session.page.click('#run');
        await session.page.waitForSelector('tbody tr:nth-child(1000)');
        // Warm up: the same clicks, untimed.
        await session.page.evaluate(clickLoop, [op, 20]);
        const times = await session.page.evaluate(clickLoop, [op, CLICKS]);
        if (session.errors.length) throw new Error(`${impl.name}: ${session.errors.join('; ')}`);
        results[op][impl.name].push(...times);
      }
    }
  }
  await browser.close();
  server.close();

  const report = { date: new Date().toISOString(), clicks: CLICKS, rounds: ROUNDS, ops: {} };
  const names = impls.map((i) => i.name);
  console.log(`script per click, median ms (${ROUNDS} rounds x ${CLICKS} clicks, no throttling)`);
  console.log(['op'.padEnd(8), ...names.map((n) => n.padStart(26))].join(''));
  for (const op of OPS) {
    const medians = Object.fromEntries(names.map((n) => [n, median(results[op][n])]));
    report.ops[op] = medians;
    const cells = names.map((n) => {
      const ratio = medians[n] / medians.vanilla;
      return `${medians[n].toFixed(3)} (${ratio.toFixed(2)}x)`.padStart(26);
    });
    console.log([op.padEnd(8), ...cells].join(''));
  }
  const out = opt('out', null);
  if (out) writeFileSync(out, JSON.stringify(report, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
