// Which wasm functions one measured click runs, and how often: the breadth of code a click
// touches, which is what a task's first click pays for in cold caches (bench/README,
// twenty-fifth round). Deterministic, unlike a timing: a change that removes calls or whole
// functions from a click's path shows here exactly, whether or not a timer can resolve it.
//
// The build must keep its function names (`RALLY_WASM_NAMES=1` when building, see
// bench/README). This copies it to dist/<build>-entries/, instruments the copy with Binaryen's
// `--log-execution` (a call to an imported logger at every function entry, loop head and exit), maps
// each logging point back to its function with `wasm-dis`, then runs the operation's official
// warm-ups, the forced GC and one click, and reports what that click entered.
//
//   node entries.mjs --builds names [--op 04_] [--list]
//
// Binaryen comes from $WASM_OPT's directory, or from scripts/binaryen (`npm ci` there).

import { copyFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { here, serve, launch, openPage, implementations, prepare, selectOps, option, distCopy } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => option(name, fallback, args);
const BUILDS = opt('builds', 'names').split(',').filter(Boolean);
const OP = opt('op', '04_');
const LIST = args.includes('--list');

const FEATURES = ['--enable-reference-types', '--enable-bulk-memory', '--enable-multivalue',
  '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals'];

function binaryen(tool) {
  const dir = process.env.WASM_OPT
    ? dirname(process.env.WASM_OPT)
    : join(here, '..', '..', 'scripts', 'binaryen', 'node_modules', '.bin');
  const path = join(dir, tool);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`npm ci\` in scripts/binaryen, or set WASM_OPT`);
  }
  return path;
}

// The instrumented copy of `build`, and what each logging point is: its function, and whether
// it is the function's entry (the first point in its body), a loop head or an exit.
function instrument(build) {
  const { from, to } = distCopy(build, 'entries');
  copyFileSync(join(from, 'jsfb_rally.js'), join(to, 'jsfb_rally.js'));
  const wasm = join(to, 'jsfb_rally_bg.wasm');
  execFileSync(binaryen('wasm-opt'), [...FEATURES, '--log-execution', '-g',
    join(from, 'jsfb_rally_bg.wasm'), '-o', wasm], { stdio: 'inherit' });
  const text = execFileSync(binaryen('wasm-dis'), [wasm], { maxBuffer: 1 << 30 }).toString();
  const imported = /\(import "([^"]+)" "log_execution" \(func (\$\S+)/.exec(text);
  if (!imported) throw new Error(`dist/${build}: wasm-opt --log-execution added no logger import`);
  const [, namespace, logger] = imported;
  if (!/\(func \$"?rally_view::/.test(text)) {
    throw new Error(`dist/${build} has no function names: build it with RALLY_WASM_NAMES=1`);
  }
  const escaped = logger.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const heads = [...text.matchAll(/^ \(func (\$"[^"]*"|\$\S+)/gm)];
  const points = new Map();
  let h = -1;
  let last = -1;
  for (const m of text.matchAll(new RegExp(`\\(call ${escaped}\\s*\\(i32\\.const (\\d+)\\)`, 'g'))) {
    while (h + 1 < heads.length && heads[h + 1].index < m.index) h++;
    if (h < 0) continue;
    const fn = heads[h][1].replace(/^\$"?|"$/g, '');
    // The pass puts a point first in each body, one at each loop head (right after
    // `(loop`) and one before each exit.
    const lineEnd = text.lastIndexOf('\n', m.index);
    const previous = text.slice(text.lastIndexOf('\n', lineEnd - 1) + 1, lineEnd).trim();
    const kind = h !== last ? 'entry' : previous.startsWith('(loop') ? 'loop' : 'exit';
    points.set(Number(m[1]), { fn, kind });
    last = h;
  }
  return { name: `${build}-entries`, namespace, points };
}

// Runs in the page before its scripts: gives every instantiated module the logger, which
// records while `__entries` is an array.
function installLogger(namespace) {
  const log = (n) => { if (globalThis.__entries) globalThis.__entries.push(n); };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = function (source, imports = {}) {
      imports[namespace] = { ...(imports[namespace] || {}), log_execution: log };
      return original.call(this, source, imports);
    };
  }
}

async function clickLog(sel) {
  const el = document.querySelector(sel);
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  globalThis.__entries = [];
  el.click();
  const log = globalThis.__entries;
  globalThis.__entries = null;
  return log;
}

async function main() {
  const [op] = selectOps(OP);
  if (!op) throw new Error(`no operation ${OP}`);
  const builds = BUILDS.map(instrument);
  const server = await serve(here);
  const impls = implementations(`http://127.0.0.1:${server.address().port}`, builds.map((b) => b.name));
  const browser = await launch();
  for (const build of builds) {
    const impl = impls.find((i) => i.name === `rally:${build.name}`);
    const session = await openPage(browser);
    await session.page.addInitScript(installLogger, build.namespace);
    await prepare(session, impl, op);
    const log = await session.page.evaluate(clickLog, op.click);
    await op.check(session.p);
    await session.page.context().close();
    report(build, op, log);
  }
  await browser.close();
  server.close();
}

function report(build, op, log) {
  const byFn = new Map();
  let calls = 0;
  let loops = 0;
  for (const n of log) {
    const point = build.points.get(n);
    if (!point) throw new Error(`logging point ${n} is not in the disassembly`);
    const seen = byFn.get(point.fn) || { calls: 0, loops: 0 };
    if (point.kind === 'entry') { seen.calls++; calls++; }
    if (point.kind === 'loop') { seen.loops++; loops++; }
    byFn.set(point.fn, seen);
  }
  const name = build.name.replace(/-entries$/, '');
  console.log(`${op.id} on rally:${name}: ${calls} calls into ${byFn.size} distinct functions, ${loops} loop iterations`);
  if (!LIST) return;
  console.log('  calls  loops  function (in order of first entry)');
  for (const [fn, { calls: c, loops: l }] of byFn) {
    console.log(`  ${String(c).padStart(5)}  ${String(l).padStart(5)}  ${fn.slice(0, 150)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
