// js-framework-benchmark's CPU operations in headless Debian Chromium: the vanilla JS baseline
// against the rally-view app (one or more wasm builds), interleaved, with the official warmups.
//
//   node run.mjs [--iterations N] [--ops run1k,swap1k,...] [--builds wasm-release,wasm-speed]
//                [--no-throttle] [--out ../results/jsfb.json]
//
// Each measured click is timed inside the page:
//   layout  performance.now() from just before `el.click()` until `document.body.offsetHeight`
//           has forced style and layout: the app's script plus the browser's DOM, style and
//           layout work. The main figure (no frame-timing noise).
//   frame   until a task posted from the next requestAnimationFrame callback runs, i.e. after
//           that frame's paint ("afterframe"); closer to the official trace-based "total", but
//           quantised by frame scheduling.
// Ratios are rally median / vanilla median per operation; the weighted geometric mean uses
// js-framework-benchmark's CPU weights (webdriver-ts-results/src/Common.ts, computeGeometricMean).

import { writeFile, mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import {
  here, CHROMIUM, WARMUP_COUNT, median, serve, launch, openPage, implementations, prepare, selectOps,
  option,
} from './lib.mjs';

// ---- options -----------------------------------------------------------------------------------

const args = process.argv.slice(2);
const opt = (name, fallback) => option(name, fallback, args);
const ITERATIONS = Number(opt('iterations', '10'));
const THROTTLE = !args.includes('--no-throttle');
const BUILDS = opt('builds', 'wasm-release,wasm-speed').split(',').filter(Boolean);
const OUT = opt('out', join(here, '..', 'results', 'jsfb.json'));

// ---- statistics ---------------------------------------------------------------------------------

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stddev = (xs) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};
const summary = (xs) => ({
  median: median(xs), mean: mean(xs), min: Math.min(...xs), max: Math.max(...xs), stddev: stddev(xs), values: xs,
});

function weightedGeomean(ratios) {
  // Common.ts computeGeometricMean: exp(Σ w·ln(factor) / Σ w) over the CPU benchmarks.
  let num = 0; let den = 0;
  for (const { ratio, weight } of ratios) {
    if (!(weight > 0) || !Number.isFinite(ratio)) continue;
    num += weight * Math.log(ratio);
    den += weight;
  }
  return den ? Math.exp(num / den) : NaN;
}

// ---- main ---------------------------------------------------------------------------------------

async function main() {
  const ops = selectOps(opt('ops', null));
  const server = await serve(here);
  const base = `http://127.0.0.1:${server.address().port}`;
  const impls = implementations(base, BUILDS);
  const browser = await launch();
  const version = browser.version();
  const session = await openPage(browser);
  const { cdp, errors } = session;

  const results = {};
  const started = Date.now();
  for (const op of ops) {
    const runs = ITERATIONS + (op.extraRuns || 0);
    results[op.id] = Object.fromEntries(impls.map((i) => [i.name, { script: [], layout: [], frame: [] }]));
    process.stderr.write(`${op.id} (${op.label}), ${runs} runs per implementation `);
    for (let it = 0; it < runs; it++) {
      // Interleave implementations, rotating who goes first.
      const order = impls.map((_, k) => impls[(k + it) % impls.length]);
      for (const impl of order) {
        await prepare(session, impl, op);
        const rate = THROTTLE ? op.throttle : 1;
        if (rate > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate });
        let t;
        try {
          t = await session.page.evaluate((sel) => window.__bench.measure(sel), op.click);
        } finally {
          if (rate > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
        }
        await op.check(session.p);
        if (errors.length) throw new Error(`${impl.name}: page errors: ${errors.join('; ')}`);
        const r = results[op.id][impl.name];
        r.script.push(t.script); r.layout.push(t.layout); r.frame.push(t.frame);
      }
      process.stderr.write('.');
    }
    process.stderr.write('\n');
  }
  await browser.close();
  server.close();

  // ---- report -------------------------------------------------------------------------------
  const table = [];
  const report = {
    date: new Date().toISOString(),
    commit: (() => {
      try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here }).toString().trim(); } catch { return null; }
    })(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memory_gib: Math.round(totalmem() / 2 ** 30) },
    browser: `Chromium ${version} (headless, ${CHROMIUM})`,
    iterations: ITERATIONS,
    warmup_count: WARMUP_COUNT,
    cpu_throttling: THROTTLE ? 'official per-benchmark factors (03/04/05/09: 4x, 06: 2x)' : 'off',
    metrics: {
      layout: 'performance.now() from el.click() until document.body.offsetHeight forced style+layout (main figure)',
      frame: 'performance.now() from el.click() until a task posted from the next requestAnimationFrame (after paint)',
      script: 'el.click() alone (handler and, for rally, its synchronous render)',
    },
    weights_source: 'krausest/js-framework-benchmark webdriver-ts-results/src/Common.ts computeGeometricMean (CPU benchmarkWeights)',
    duration_s: Math.round((Date.now() - started) / 1000),
    ops: {},
    geomean: {},
  };
  for (const op of ops) {
    const entry = { label: op.label, weight: op.weight, throttle: THROTTLE ? op.throttle : 1, impls: {}, ratios: {} };
    for (const impl of impls) {
      const r = results[op.id][impl.name];
      entry.impls[impl.name] = { script: summary(r.script), layout: summary(r.layout), frame: summary(r.frame) };
    }
    for (const impl of impls.slice(1)) {
      entry.ratios[impl.name] = {};
      for (const metric of ['layout', 'frame', 'script']) {
        entry.ratios[impl.name][metric] = entry.impls[impl.name][metric].median / entry.impls.vanilla[metric].median;
      }
    }
    report.ops[op.id] = entry;
  }
  for (const impl of impls.slice(1)) {
    report.geomean[impl.name] = {};
    for (const metric of ['layout', 'frame', 'script']) {
      report.geomean[impl.name][metric] = weightedGeomean(
        ops.map((op) => ({ ratio: report.ops[op.id].ratios[impl.name][metric], weight: op.weight })),
      );
    }
  }

  const f = (x) => x.toFixed(2);
  for (const metric of ['layout', 'frame']) {
    console.log(`\n${metric === 'layout' ? 'MAIN: script + style/layout' : 'to next paint (afterframe)'} — median ms over ${ITERATIONS} runs${THROTTLE ? ', official CPU throttling' : ''}`);
    const head = ['operation', 'vanilla', ...impls.slice(1).flatMap((i) => [i.name, 'ratio'])];
    const rows = ops.map((op) => {
      const e = report.ops[op.id];
      return [
        `${op.id}${op.weight ? '' : ' *'}${e.throttle > 1 ? ` (${e.throttle}x)` : ''}`,
        f(e.impls.vanilla[metric].median),
        ...impls.slice(1).flatMap((i) => [f(e.impls[i.name][metric].median), f(e.ratios[i.name][metric])]),
      ];
    });
    rows.push(['weighted geomean', '', ...impls.slice(1).flatMap((i) => ['', f(report.geomean[i.name][metric])])]);
    const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => String(r[k]).length)));
    const line = (r) => r.map((c, k) => (k === 0 ? String(c).padEnd(widths[k]) : String(c).padStart(widths[k]))).join('  ');
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    table.push({ metric, head, rows });
  }
  console.log('\n* not an official operation: no weight, not in the geometric mean.');
  await mkdir(dirname(OUT), { recursive: true });
  // Microsecond precision is all performance.now() gives here.
  const round = (_, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v);
  await writeFile(OUT, JSON.stringify(report, round, 2) + '\n');
  console.log(`wrote ${OUT}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
