// Admin click → peer page update, in Debian's Chromium through playwright-core (from e2e/):
// the admin desk (/admin/games, signed in as admin@example.com) is the origin; a second browser
// context shows the public /games page (the peer). For each click on a "+" the origin records
// `performance.timeOrigin + performance.now()` right before `button.click()` (inside one
// page.evaluate), and a MutationObserver in each page records the same clock when that game's
// `.score` shows the new value: peer − click is the live-update latency, origin − click the
// save round trip (the same-run reference).
//
// node bench/scoreboard/click.mjs --server BIN --cwd APP_DIR [--clicks 100] [--warmup 5]
//   [--gap-ms 100] [--json PATH]
// The server inherits this process's environment (DATABASE_PATH, RALLY_BUNDLE_DIR, …).
import { createRequire } from 'node:module';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = process.env.SB_REPO || join(here, '..', '..');
const require = createRequire(join(repo, 'e2e', 'package.json'));
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const SERVER = opt('server');
const CWD = opt('cwd', '.');
const CLICKS = Number(opt('clicks', 100));
const WARMUP = Number(opt('warmup', 5));
const GAP_MS = Number(opt('gap-ms', 100));
const JSON_OUT = opt('json');
const PID_FILE = opt('pid-file');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!SERVER || !existsSync(SERVER)) throw new Error(`--server ${SERVER}: no such binary`);
if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM`);

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
const now = () => performance.timeOrigin + performance.now();
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

// Busy CPU seconds of the machine (/proc/stat), and of the processes under the given roots
// (this process, the server, Chromium and its children): "others" is the difference.
function machineBusy() {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / TICKS;
}
function treeCpu(roots) {
  const procs = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(name), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / TICKS });
    } catch { /* exited */ }
  }
  const inTree = (pid) => { for (let p = pid, i = 0; p > 1 && i < 64; p = procs.get(p)?.ppid ?? 0, i++) if (roots.includes(p)) return true; return false; };
  let sum = 0;
  for (const [pid, p] of procs) if (inTree(pid)) sum += p.cpu;
  return sum;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startServer() {
  const child = spawn(SERVER, [], {
    cwd: CWD,
    env: { ...process.env, ADDR: '127.0.0.1:0', RUST_LOG: process.env.RUST_LOG || 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s; stderr:\n${stderr}`)), 20000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}; stderr:\n${stderr}`)); });
  });
}

// Counts the page's sockets and the topic sets it sends (postcard `Topics` frames start with 1).
const RECORD = `
  window.__ws = { opened: 0, topics: 0 };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) { super(url, protocols); this.addEventListener('open', () => { window.__ws.opened++; }); }
    send(data) {
      const b = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (b[0] === 1) window.__ws.topics++;
      return super.send(data);
    }
  };
`;

// The score element of game `id`, side 0 (away) or 1 (home), on the desk or a public page; and a
// MutationObserver that records the clock once it reads `expected`.
const OBSERVE = `
  window.__score = (id, side) => {
    const admin = document.querySelector('.admin-score-row');
    if (admin) {
      const card = document.querySelectorAll('article.game-card')[id - 1];
      return card && card.querySelectorAll('.admin-score-row .score')[side];
    }
    const link = document.querySelector('article.game-card a[href="/games/' + id + '"]');
    const card = link && link.closest('article.game-card');
    return card && card.querySelectorAll('.team-row .score')[side];
  };
  window.__bench = { target: null, hit: null, done: null };
  window.__arm = (id, side, expected) => {
    const b = { target: { id, side, expected }, hit: null };
    b.done = new Promise((resolve) => { b.resolve = resolve; });
    window.__bench = b;
  };
  // Resolves with the recorded time, or null after timeoutMs.
  window.__hit = (timeoutMs) => Promise.race([window.__bench.done, new Promise((r) => setTimeout(() => r(null), timeoutMs))]);
  new MutationObserver(() => {
    const b = window.__bench;
    if (!b.target || b.hit !== null) return;
    const el = window.__score(b.target.id, b.target.side);
    if (el && el.textContent.trim() === b.target.expected) {
      b.hit = performance.timeOrigin + performance.now();
      b.resolve(b.hit);
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
`;

async function open(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(RECORD);
  await page.goto(url);
  await page.waitForFunction(() => window.__rally && window.__rally.hydrated, null, { timeout: 15000 });
  await page.waitForFunction(() => window.__ws.opened > 0 && window.__ws.topics > 0, null, { timeout: 10000 });
  await page.evaluate(OBSERVE);
  return { page, errors };
}

// The page's clock minus this process's, from the sample with the shortest round trip.
async function clockOffset(page) {
  let best = null;
  for (let i = 0; i < 15; i++) {
    const a = now();
    const p = await page.evaluate(() => performance.timeOrigin + performance.now());
    const b = now();
    if (!best || b - a < best.rtt) best = { offset: p - (a + b) / 2, rtt: b - a };
  }
  return { offset_ms: +best.offset.toFixed(3), uncertainty_ms: +(best.rtt / 2).toFixed(3) };
}

const pct = (sorted, q) => sorted.length ? sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1] : null;
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const r = (v) => v === null ? null : +v.toFixed(2);
  return { n: s.length, p50_ms: r(pct(s, 0.5)), p95_ms: r(pct(s, 0.95)), max_ms: r(s[s.length - 1] ?? null), min_ms: r(s[0] ?? null),
    mean_ms: r(s.length ? s.reduce((a, b) => a + b, 0) / s.length : null) };
};

async function main() {
  const loadStart = loadavg();
  const server = await startServer();
  if (PID_FILE) writeFileSync(PID_FILE, `${server.child.pid}\n`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // Sign in as the admin (as e2e/scoreboard.test.mjs does), then open the desk.
    const adminCtx = await browser.newContext();
    const signIn = await adminCtx.newPage();
    await signIn.goto(`${server.url}/sign_in?return_to=/admin/games`);
    await signIn.fill('form[action="/sign_in"] input[name=email]', 'admin@example.com');
    await signIn.fill('form[action="/sign_in"] input[name=code]', 'A1Z9Q');
    await Promise.all([signIn.waitForNavigation(), signIn.click('form[action="/sign_in"] button[type=submit]')]);
    if (!new URL(signIn.url()).pathname.startsWith('/admin')) throw new Error(`sign-in landed on ${signIn.url()}`);
    await signIn.close();
    const origin = await open(adminCtx, `${server.url}/admin/games`);
    const peerCtx = await browser.newContext();
    const peer = await open(peerCtx, `${server.url}/games`);

    // The games that take a "+" (not final), by id = position on the desk (ORDER BY id).
    const ids = await origin.page.evaluate(() => [...document.querySelectorAll('article.game-card')]
      .map((card, i) => (card.querySelector('.admin-score-row button') ? i + 1 : null)).filter((x) => x !== null));
    if (ids.length === 0) throw new Error('no game on the desk takes a +');
    const offsets = { origin: await clockOffset(origin.page), peer: await clockOffset(peer.page) };

    const roots = [process.pid, server.child.pid, browser.process ? browser.process()?.pid : null].filter(Boolean);
    const cpu0 = { machine: machineBusy(), ours: treeCpu(roots), t: now() };
    const peerMs = [], originMs = [], rows = [];
    let failures = 0;
    for (let k = 0; k < WARMUP + CLICKS; k++) {
      const n = k;
      const id = ids[n % ids.length];
      const side = Math.floor(n / ids.length) % 2;
      const before = await origin.page.evaluate(([id, side]) => window.__score(id, side).textContent.trim(), [id, side]);
      const peerBefore = await peer.page.evaluate(([id, side]) => window.__score(id, side).textContent.trim(), [id, side]);
      if (before !== peerBefore) throw new Error(`game ${id} side ${side}: desk shows ${before}, peer ${peerBefore}`);
      const expected = String(Number(before) + 1);
      await peer.page.evaluate(([id, side, e]) => window.__arm(id, side, e), [id, side, expected]);
      const clicked = await origin.page.evaluate(([id, side, e]) => {
        window.__arm(id, side, e);
        const row = document.querySelectorAll('article.game-card')[id - 1].querySelectorAll('.admin-score-row')[side];
        const plus = [...row.querySelectorAll('button')].find((b) => b.textContent.trim() === '+');
        const t = performance.timeOrigin + performance.now();
        plus.click();
        return t;
      }, [id, side, expected]);
      // No polling: each page answers when its observer saw the new score (or after 10 s).
      const [o, p] = await Promise.all([
        origin.page.evaluate(() => window.__hit(10000)),
        peer.page.evaluate(() => window.__hit(10000)),
      ]);
      if (o === null || p === null) {
        failures++;
        rows.push({ k, id, side, expected, error: `no update within 10 s (origin ${o !== null}, peer ${p !== null})` });
        if (failures >= 5) throw new Error('5 clicks did not update both pages');
        continue;
      }
      if (k >= WARMUP) {
        peerMs.push(p - clicked);
        originMs.push(o - clicked);
        rows.push({ k: k - WARMUP, id, side: side ? 'home' : 'away', score: Number(expected),
          origin_ms: +(o - clicked).toFixed(3), peer_ms: +(p - clicked).toFixed(3) });
      }
      await sleep(GAP_MS);
    }
    const elapsed = (now() - cpu0.t) / 1000;
    const ours = (treeCpu(roots) - cpu0.ours) / elapsed;
    const others = Math.max(0, (machineBusy() - cpu0.machine) / elapsed - ours);
    const consoleErrors = [...origin.errors, ...peer.errors];
    const peerStats = stats(peerMs), originStats = stats(originMs);
    const ratio = (a, b) => (a !== null && b ? +(a / b).toFixed(2) : null);
    const result = {
      clicks: peerMs.length,
      warmup_clicks: WARMUP,
      gap_ms: GAP_MS,
      failures,
      games: ids,
      chromium: browser.version(),
      clock_offsets_vs_node: offsets,
      peer_minus_origin_clock_ms: +(offsets.peer.offset_ms - offsets.origin.offset_ms).toFixed(3),
      click_to_peer: peerStats,
      click_to_origin: originStats,
      ratio_peer_to_origin: { p50: ratio(peerStats.p50_ms, originStats.p50_ms), p95: ratio(peerStats.p95_ms, originStats.p95_ms) },
      peer_after_origin_ms: stats(rows.filter((r) => r.peer_ms !== undefined).map((r) => r.peer_ms - r.origin_ms)),
      console_errors: consoleErrors,
      cpu_cores: { ours: +ours.toFixed(2), others: +others.toFixed(2), note: 'ours = this script, the server, Chromium and its children' },
      load_average_start: loadStart,
      load_average_end: loadavg(),
      samples: rows,
    };
    const line = (name, s) => `${name.padEnd(22)} p50 ${s.p50_ms} ms  p95 ${s.p95_ms} ms  max ${s.max_ms} ms  (n=${s.n})`;
    console.error(line('click → peer /games', peerStats));
    console.error(line('click → origin desk', originStats));
    console.error(`ratio peer/origin: p50 ${result.ratio_peer_to_origin.p50}, p95 ${result.ratio_peer_to_origin.p95}; ` +
      `others' CPU ${result.cpu_cores.others} cores; clock offset peer−origin ${result.peer_minus_origin_clock_ms} ms (±${Math.max(offsets.peer.uncertainty_ms, offsets.origin.uncertainty_ms)}); failures ${failures}`);
    if (consoleErrors.length) console.error(`console errors: ${consoleErrors.join(' | ')}`);
    const text = JSON.stringify(result, null, 2) + '\n';
    if (JSON_OUT) writeFileSync(JSON_OUT, text); else process.stdout.write(text);
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
