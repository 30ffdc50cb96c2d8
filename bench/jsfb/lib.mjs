// Shared by run.mjs and profile.mjs: the js-framework-benchmark operations with their official
// warmups and checks, the static server, the in-page helpers and the browser launch.

import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync, mkdirSync } from 'node:fs';
import { join, dirname, extname, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const WARMUP_COUNT = 5; // webdriver-ts/src/common.ts: config.WARMUP_COUNT

// ---- operations (webdriver-ts/src/benchmarksPuppeteer.ts + benchmarksCommon.ts) -----------------

const row = (n, rest = '') => `tbody>tr:nth-of-type(${n})${rest}`;
const cell = (n, c) => row(n, `>td:nth-of-type(${c})`);

// Each op: init(p) prepares the page with the official warmups, `click` is the measured click,
// check(p) verifies the DOM afterwards. `p` runs helpers inside the page.
export const OPS = [
  {
    id: '01_run1k', label: 'create rows', weight: 0.64280248137063, throttle: 1,
    async init(p) {
      for (let i = 0; i < WARMUP_COUNT; i++) {
        await p.click('#run');
        await p.expectText(cell(1, 1), String(i * 1000 + 1));
        await p.click('#clear');
        await p.expectMissing(cell(1000, 1));
      }
    },
    click: '#run',
    async check(p) { await p.expectText(cell(1000, 1), String((WARMUP_COUNT + 1) * 1000)); },
  },
  {
    id: '02_replace1k', label: 'replace all rows', weight: 0.5607178150466176, throttle: 1,
    async init(p) {
      for (let i = 0; i < WARMUP_COUNT; i++) {
        await p.click('#run');
        await p.expectText(cell(1, 1), String(i * 1000 + 1));
      }
    },
    click: '#run',
    async check(p) { await p.expectText(cell(1, 1), String(WARMUP_COUNT * 1000 + 1)); },
  },
  {
    id: '03_update10th1k_x16', label: 'partial update', weight: 0.5643800750716564, throttle: 4,
    async init(p) {
      await p.click('#run');
      await p.expectPresent(cell(1000, 1));
      for (let i = 0; i < 3; i++) {
        await p.click('#update');
        await p.expectTextEnds(cell(991, 2) + '>a', ' !!!'.repeat(i + 1));
      }
    },
    click: '#update',
    async check(p) { await p.expectTextEnds(cell(991, 2) + '>a', ' !!!'.repeat(4)); },
  },
  {
    id: '04_select1k', label: 'select row', weight: 0.1925635870170522, throttle: 4, extraRuns: 10,
    async init(p) {
      await p.click('#run');
      await p.expectText(cell(1000, 1), '1000');
      for (let i = 0; i <= WARMUP_COUNT; i++) {
        await p.click(cell(i + 5, 2) + '>a');
        await p.expectClass(row(i + 5), 'danger');
        await p.expectCount('tbody>tr.danger', 1);
      }
    },
    click: cell(2, 2) + '>a',
    async check(p) {
      await p.expectClass(row(2), 'danger');
      await p.expectCount('tbody>tr.danger', 1);
    },
  },
  {
    id: '05_swap1k', label: 'swap rows', weight: 0.13200612879341714, throttle: 4,
    async init(p) {
      await p.click('#run');
      await p.expectPresent(cell(1000, 1));
      for (let i = 0; i <= WARMUP_COUNT; i++) {
        await p.click('#swaprows');
        await p.expectText(cell(999, 1), i % 2 === 0 ? '2' : '999');
      }
    },
    click: '#swaprows',
    async check(p) {
      await p.expectText(cell(999, 1), '2');
      await p.expectText(cell(2, 1), '999');
    },
  },
  {
    id: '06_remove-one-1k', label: 'remove row', weight: 0.5277091212292658, throttle: 2,
    async init(p) {
      await p.click('#run');
      await p.expectPresent(cell(1000, 1));
      for (let i = 0; i < WARMUP_COUNT; i++) {
        const n = WARMUP_COUNT - i + 4;
        await p.expectText(cell(n, 1), String(n));
        await p.click(cell(n, 3) + '>a>span:nth-of-type(1)');
        await p.expectText(cell(n, 1), '10');
      }
      await p.expectText(cell(5, 1), '10');
      await p.expectText(cell(4, 1), '4');
      await p.expectText(cell(6, 1), '11');
      await p.click(cell(6, 3) + '>a>span:nth-of-type(1)');
      await p.expectText(cell(6, 1), '12');
    },
    click: cell(4, 3) + '>a>span:nth-of-type(1)',
    async check(p) { await p.expectText(cell(4, 1), '10'); },
  },
  {
    id: '07_create10k', label: 'create many rows', weight: 0.5644449600965534, throttle: 1,
    async init(p) {
      for (let i = 0; i < WARMUP_COUNT; i++) {
        await p.click('#run');
        await p.expectText(cell(1, 1), String(i * 1000 + 1));
        await p.click('#clear');
        await p.expectMissing(cell(1000, 1));
      }
    },
    click: '#runlots',
    async check(p) { await p.expectPresent(cell(10000, 2) + '>a'); },
  },
  {
    id: '08_create1k-after1k_x2', label: 'append rows to large table', weight: 0.5508359820582848, throttle: 1,
    async init(p) {
      await p.click('#run');
      await p.expectPresent(cell(1000, 1));
    },
    click: '#add',
    async check(p) { await p.expectPresent(cell(2000, 1)); },
  },
  {
    id: '09_clear1k_x8', label: 'clear rows', weight: 0.4225836631419211, throttle: 4,
    async init(p) {
      for (let i = 0; i < WARMUP_COUNT; i++) {
        await p.click('#run');
        await p.expectText(cell(1, 1), String(i * 1000 + 1));
        await p.click('#clear');
        await p.expectMissing(cell(1000, 1));
      }
      await p.click('#run');
      await p.expectText(cell(1, 1), String(WARMUP_COUNT * 1000 + 1));
    },
    click: '#clear',
    async check(p) { await p.expectMissing(cell(1, 1)); },
  },
  // Not in the official suite any more (its append and clear run on 1,000 rows), kept because
  // they stress the large-table paths: no weight, not in the geometric mean.
  {
    id: 'x1_append1k-to-10k', label: 'append 1,000 rows to 10,000', weight: 0, throttle: 1,
    async init(p) {
      await p.click('#runlots');
      await p.expectPresent(cell(10000, 1));
    },
    click: '#add',
    async check(p) { await p.expectPresent(cell(11000, 1)); },
  },
  {
    id: 'x2_clear10k', label: 'clear 10,000 rows', weight: 0, throttle: 1,
    async init(p) {
      await p.click('#runlots');
      await p.expectPresent(cell(10000, 1));
    },
    click: '#clear',
    async check(p) { await p.expectMissing(cell(1, 1)); },
  },
];

// ---- static server -------------------------------------------------------------------------

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

export function serve(rootDir) {
  const server = createServer(async (req, res) => {
    try {
      const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
      const file = join(rootDir, path.endsWith('/') ? path + 'index.html' : path);
      if (!file.startsWith(rootDir + sep)) throw new Error('outside root');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] || 'application/octet-stream',
        'cache-control': 'no-store',
        // Cross-origin isolation: performance.now() gets 5 µs resolution instead of 100 µs.
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---- in-page helpers ---------------------------------------------------------------------------

// Installed before each page's own scripts. Clicks are `element.click()`: synchronous dispatch,
// so the handler (vanilla's, or rally's delegated listener and its synchronous render) has run
// when click() returns.
const PAGE_HELPERS = () => {
  const q = (sel) => document.querySelector(sel);
  window.__bench = {
    click(sel) {
      const el = q(sel);
      if (!el) throw new Error(`no element ${sel}`);
      el.click();
    },
    text(sel) { const el = q(sel); return el ? el.textContent : null; },
    className(sel) { const el = q(sel); return el ? el.className : null; },
    count(sel) { return document.querySelectorAll(sel).length; },
    // The measured click with nothing else around it (for profiling).
    clickAndLayout(sel) {
      const el = q(sel);
      if (!el) throw new Error(`no element ${sel}`);
      el.click();
      void document.body.offsetHeight;
    },
    async measure(sel) {
      const el = q(sel);
      if (!el) throw new Error(`no element ${sel}`);
      // Start from a settled frame so the measurement does not share one with earlier work.
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const t0 = performance.now();
      el.click();
      const t1 = performance.now();
      void document.body.offsetHeight; // forces style recalculation and layout
      const t2 = performance.now();
      await new Promise((r) => requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => r();
        ch.port2.postMessage(0);
      }));
      const t3 = performance.now();
      return { script: t1 - t0, layout: t2 - t0, frame: t3 - t0 };
    },
  };
};

function pageApi(page) {
  const ev = (fn, ...a) => page.evaluate(fn, ...a);
  const fail = (msg) => { throw new Error(msg); };
  return {
    click: (sel) => ev((s) => window.__bench.click(s), sel),
    async expectText(sel, want) {
      const got = await ev((s) => window.__bench.text(s), sel);
      if (got === null || got.trim() !== want) fail(`${sel}: expected text ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    },
    async expectTextEnds(sel, want) {
      const got = await ev((s) => window.__bench.text(s), sel);
      if (got === null || !got.endsWith(want) || got.endsWith(' !!!' + want)) fail(`${sel}: expected text ending ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    },
    async expectPresent(sel) {
      if (await ev((s) => window.__bench.text(s), sel) === null) fail(`${sel}: missing`);
    },
    async expectMissing(sel) {
      if (await ev((s) => window.__bench.text(s), sel) !== null) fail(`${sel}: should not exist`);
    },
    async expectClass(sel, cls) {
      const got = await ev((s) => window.__bench.className(s), sel);
      if (got === null || !got.split(/\s+/).includes(cls)) fail(`${sel}: expected class ${cls}, got ${JSON.stringify(got)}`);
    },
    async expectCount(sel, n) {
      const got = await ev((s) => window.__bench.count(s), sel);
      if (got !== n) fail(`${sel}: expected ${n} matches, got ${got}`);
    },
  };
}


/// The median of a list of numbers (the mean of the middle two for an even count); NaN for none.
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};

/// Headless Debian Chromium; never a Playwright-downloaded browser.
export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium) or set CHROMIUM`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
      // Frames as soon as they are ready, so the "frame" figure is not rounded up to vsync.
      '--disable-frame-rate-limit', '--disable-gpu-vsync',
      `--js-flags=--expose-gc ${process.env.JSFB_JS_FLAGS || ''}`.trim(),
    ],
  });
}

/// A page with the helpers installed, its CDP session and the checking API.
export async function openPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(PAGE_HELPERS);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const cdp = await context.newCDPSession(page);
  return { page, cdp, errors, p: pageApi(page) };
}

/// The implementations: vanilla, then one rally page per build in dist/.
export function implementations(base, builds) {
  for (const build of builds) {
    if (!existsSync(join(here, 'dist', build, 'jsfb_rally_bg.wasm'))) {
      throw new Error(`bench/jsfb/dist/${build}/ is missing: build it first (bench/jsfb/run.sh does)`);
    }
  }
  return [
    { name: 'vanilla', url: `${base}/vanilla/index.html` },
    ...builds.map((b) => ({ name: `rally:${b}`, url: `${base}/rally/index.html?build=${b}` })),
  ];
}

/// Loads `impl` and runs `op`'s init (warmups) on it, then a full GC as the official runner
/// does (`gc: false` leaves it out, to see what it costs).
export async function prepare({ page, p }, impl, op, { gc = true } = {}) {
  await page.goto(impl.url, { waitUntil: 'load' });
  await page.waitForSelector('#run', { timeout: 20000 });
  await op.init(p);
  if (gc) await page.evaluate(() => { if (window.gc) window.gc(); });
}

/// The value after `--name` on the command line, or `fallback`.
export function option(name, fallback, args = process.argv.slice(2)) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

/// A fresh copy's folder, dist/<build>-<suffix>/, for a script to put a changed build in.
export function distCopy(build, suffix) {
  const from = join(here, 'dist', build);
  const to = join(here, 'dist', `${build}-${suffix}`);
  mkdirSync(to, { recursive: true });
  return { from, to };
}

/// Selects operations by id prefix (`--ops 01_,04_`), all when `list` is empty.
export function selectOps(list) {
  return list ? OPS.filter((o) => list.split(',').some((s) => o.id.startsWith(s))) : OPS;
}
