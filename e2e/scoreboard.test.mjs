// The Rally Scoreboard in Chromium: upstream's browser smoke test (hydration without a load,
// one request per SPA navigation, each page's topic set, the theme cookie, sign-in with the demo
// code, one admin click updating other browsers live) plus what upstream lacks: catch-up after
// a server restart, team names rendered as text, and 404s. Then the page contract: sign-in's
// `init` focus (boot and SPA back), stale loads dropped by visit, page heads (SSR and SPA),
// the signed-in `/me`, who changed a game on the desk, and `/healthz`.
import { join } from 'node:path';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { launch, startServer, startPostgres, test, run, assert, assertEq, root, axeViolations } from './lib.mjs';

export const APP = join(root, 'examples/scoreboard');

// Records the page's WebSocket frames by kind, decoding just enough postcard: client frames are
// `Request` (0) or `Topics` (1, a list of strings); server frames `Result` (0) or `Push` (1).
const RECORD_FRAMES = `
  window.__ws = { opened: 0, requests: 0, topics: [], results: 0, pushes: 0, other: 0 };
  const varint = (b, i) => { let v = 0, s = 0; for (;;) { const x = b[i++]; v |= (x & 0x7f) << s; if (x < 0x80) return [v, i]; s += 7; } };
  const topicList = (b) => {
    let [n, i] = varint(b, 1); const out = [];
    for (let k = 0; k < n; k++) { let len; [len, i] = varint(b, i); out.push(new TextDecoder().decode(b.slice(i, i + len))); i += len; }
    return out;
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener('open', () => { window.__ws.opened++; });
      this.addEventListener('message', (e) => {
        if (!(e.data instanceof ArrayBuffer)) { window.__ws.other++; return; }
        const kind = new Uint8Array(e.data)[0];
        if (kind === 0) window.__ws.results++; else if (kind === 1) window.__ws.pushes++; else window.__ws.other++;
      });
    }
    send(data) {
      const b = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (b[0] === 0) window.__ws.requests++; else if (b[0] === 1) window.__ws.topics.push(topicList(b));
      return super.send(data);
    }
  };
`;

export async function open(context, url, { live = true } = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); d.dismiss(); });
  await page.addInitScript(RECORD_FRAMES);
  const response = await page.goto(url);
  await page.waitForFunction(() => window.__rally && window.__rally.hydrated, null, { timeout: 15000 });
  if (live) await page.waitForFunction(() => window.__ws.opened > 0, null, { timeout: 10000 });
  return { page, errors, response };
}

const ws = (page) => page.evaluate(() => ({ ...window.__ws, topics: window.__ws.topics.map((t) => [...t]) }));

export async function waitFor(page, fn, arg, what, timeout = 10000) {
  try {
    await page.waitForFunction(fn, arg, { timeout });
  } catch {
    throw new Error(`timed out waiting for ${what} (frames: ${JSON.stringify(await ws(page))}, url ${page.url()})`);
  }
}

export const lastTopics = (page, expected) => waitFor(page,
  (e) => window.__ws.topics.length > 0 && JSON.stringify(window.__ws.topics[window.__ws.topics.length - 1]) === e,
  JSON.stringify(expected), `topic set ${JSON.stringify(expected)}`);

export const sql = (db, statement) => execFileSync('python3', ['-c',
  'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()', db, statement]);

// The away score of the first card on a public page (`.team-row` away first) or the admin desk.
export const firstAwayScore = (page) => page.evaluate(() => document.querySelector('article.game-card .score').textContent.trim());

export async function signIn(context, base, email, returnTo = '/admin/games') {
  const { page } = await open(context, `${base}/sign_in?return_to=${encodeURIComponent(returnTo)}`, { live: false });
  await page.fill('form[action="/sign_in"] input[name=email]', email);
  await page.fill('form[action="/sign_in"] input[name=code]', 'A1Z9Q');
  await Promise.all([page.waitForNavigation(), page.click('form[action="/sign_in"] button[type=submit]')]);
  return page;
}

// Waits for a condition on this side (the test's), polling.
async function until(fn, what, timeout = 10000) {
  const end = Date.now() + timeout;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Lets the page finish what the last frames started: a macrotask, then a frame and a macrotask.
const settle = (page) => page.evaluate(() => new Promise((r) => setTimeout(() => requestAnimationFrame(() => setTimeout(r, 50)), 50)));

// Postcard for the frames the stale-load test inspects (see RECORD_FRAMES and docs/protocol.md).
const varint = (b, i) => { let v = 0, s = 0; for (;;) { const x = b[i++]; v += (x & 0x7f) * 2 ** s; if (x < 0x80) return [v, i]; s += 7; } };
const zigzag = (v) => (v % 2 === 0 ? v / 2 : -(v + 1) / 2);
// A client `Request` frame: its id, page and the page's message bytes; null for other frames.
function decodeRequest(b) {
  if (b[0] !== 0) return null;
  let [id, i] = varint(b, 1);
  let len; [len, i] = varint(b, i);
  const page = b.subarray(i, i + len).toString('utf8'); i += len;
  [len, i] = varint(b, i);
  return { id, page, message: b.subarray(i, i + len) };
}

// Routes the context's sockets through the test: records which request loads which game
// (`Load { id }` of the game page: variant 0, then the i64 id zigzag-encoded) and holds the
// first answer to a load of game 1 until `release(state)` holds (checked every 20 ms, at most
// 8 s). `state.delivered` lists the game answers in the order they reached the page.
async function holdGameOneLoad(context, release) {
  const state = { gameOf: new Map(), delivered: [], heldAt: null, released: false };
  await context.routeWebSocket(/\/ws(\?|$)/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      const request = typeof m === 'string' ? null : decodeRequest(m);
      if (request && request.page === 'public/pages/games/id_' && request.message[0] === 0) {
        state.gameOf.set(request.id, zigzag(varint(request.message, 1)[0]));
      }
      server.send(m);
    });
    server.onMessage((m) => {
      const game = typeof m !== 'string' && m[0] === 0 ? state.gameOf.get(varint(m, 1)[0]) : undefined;
      if (game === 1 && state.heldAt === null) {
        state.heldAt = Date.now();
        until(() => release(state), 'the release of the held answer', 8000).catch(() => {}).then(() => {
          state.delivered.push('game 1');
          state.released = true;
          ws.send(m);
        });
        return;
      }
      ws.send(m);
      if (game !== undefined) state.delivered.push(`game ${game}`);
    });
  });
  return state;
}

/// The Scoreboard suite on its SQLite file, or (`{ postgres: true }`) on a throwaway Postgres
/// reset with `db/postgres/` and served by the binary built with the `postgres` feature.
export async function suite({ postgres = false } = {}) {
  let env, binary, execSql, cluster = null;
  if (postgres) {
    cluster = await startPostgres('scoreboard');
    execFileSync(join(root, 'target/debug/cargo-rally'), ['rally', 'reset'], {
      cwd: APP, env: { ...process.env, DATABASE_URL: cluster.url }, stdio: 'pipe',
    });
    env = { DATABASE_URL: cluster.url };
    binary = 'target/debug/scoreboard-postgres';
    execSql = (statement) => execFileSync('psql', [cluster.url, '-v', 'ON_ERROR_STOP=1', '-qc', statement], { stdio: 'pipe' });
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'scoreboard-e2e-'));
    const db = join(dir, 'scoreboard.db');
    copyFileSync(join(APP, 'db/scoreboard.db'), db);
    env = { DATABASE_PATH: db };
    binary = 'target/debug/scoreboard';
    execSql = (statement) => sql(db, statement);
  }
  let server = await startServer(binary, env, APP);
  const browser = await launch();
  const context = await browser.newContext({ colorScheme: 'light' });
  try {
    test('/games is rendered on the server with the stylesheet, the payload and the teams', async () => {
      const res = await fetch(`${server.url}/games`);
      assertEq(res.status, 200, 'status');
      const html = await res.text();
      assert(html.includes('href="/assets/app.css"'), 'links /assets/app.css');
      assert(!html.includes('unpkg.com'), 'no third-party CSS');
      assert(html.includes('id="rally-payload"'), 'embeds the hydration payload');
      assert(html.includes('Toronto Towers') && html.includes('Montreal Meteors'), 'team names rendered');
      assert(!html.includes('Waiting for scores'), 'games loaded on the server');
      const script = html.match(/import init from "(\/pkg\/public\/[0-9a-f]{16}\/app\.js)"/);
      assert(script, 'links the content-hashed public bundle');
      const js = await fetch(`${server.url}${script[1]}`);
      assertEq(js.headers.get('cache-control'), 'public, max-age=31536000, immutable', 'hashed bundle cache policy');
      const css = await fetch(`${server.url}/assets/app.css`);
      assert((css.headers.get('content-type') || '').startsWith('text/css'), 'app.css is text/css');
      const text = await css.text();
      assert(text.includes('--score-ink') && text.includes('.scoreboard-app'), 'our stylesheet');
    });

    test('hydrating /games sends no request and subscribes to games', async () => {
      const { page, errors } = await open(context, `${server.url}/games`);
      await lastTopics(page, ['games']);
      const f = await ws(page);
      assertEq(f.requests, 0, 'requests after hydration');
      assertEq(await page.evaluate(() => window.__rally.mismatches), 0, 'hydration mismatches');
      assertEq(errors, [], 'console errors');
      await page.close();
    });

    test('SPA navigation: Standings → Games → Details sends one request each; topics follow; back works', async () => {
      const { page, errors } = await open(context, `${server.url}/standings`);
      await lastTopics(page, ['games']);
      assertEq((await ws(page)).requests, 0, 'requests after hydrating /standings');
      await page.click('nav a[href="/games"]');
      await waitFor(page, () => window.__ws.results === 1, null, 'one result');
      assertEq(new URL(page.url()).pathname, '/games', 'path');
      assertEq((await ws(page)).requests, 1, 'requests for Standings → Games');
      await page.click('a[href="/games/1"]');
      await waitFor(page, () => window.__ws.results === 2, null, 'the detail result');
      await lastTopics(page, ['game:1']);
      const f = await ws(page);
      assertEq(f.requests, 2, 'requests after Games → Details');
      assertEq(f.topics.filter((t) => t.includes('game:1')).length, 1, 'game:1 subscribed once');
      assertEq(JSON.stringify(f.topics.slice(-1)), JSON.stringify([['game:1']]), 'no transient empty topic set');
      assert((await page.textContent('main')).includes('Game detail'), 'detail page shown');
      await page.goBack();
      await waitFor(page, () => location.pathname === '/games' && document.querySelector('article.game-card a[href="/games/1"]'), null, 'back to /games');
      assertEq(errors, [], 'console errors');
      await page.close();
    });

    test('links the page does not route: a modified click, an in-page anchor, a document-nav link', async () => {
      const { page, errors } = await open(context, `${server.url}/standings`);
      await page.evaluate(() => { window.__samePage = true; });
      // Ctrl+click: the browser's (a new tab), not a navigation of this page.
      const popup = context.waitForEvent('page', { timeout: 5000 }).catch(() => null);
      await page.click('nav a[href="/games"]', { modifiers: ['Control'] });
      const opened = await popup;
      if (opened) await opened.close();
      assertEq(new URL(page.url()).pathname, '/standings', 'path after a ctrl+click');
      assertEq((await ws(page)).requests, 0, 'requests after a ctrl+click');
      // An anchor within the page: the hash changes, nothing is loaded.
      await page.evaluate(() => {
        const a = document.createElement('a');
        a.href = '#standings-table';
        a.id = 'in-page';
        a.textContent = 'jump';
        document.body.append(a);
      });
      await page.click('#in-page');
      await waitFor(page, () => location.hash === '#standings-table', null, 'the hash');
      assertEq((await ws(page)).requests, 0, 'requests after a ctrl+click and an in-page anchor');
      assert(await page.evaluate(() => window.__samePage === true), 'still the same document');
      // A same-origin link marked data-rally-document-nav loads a document.
      await page.click('a[data-rally-document-nav]');
      await waitFor(page, () => window.__samePage === undefined && location.pathname === '/sign_in', null, 'a document load of /sign_in');
      assertEq(errors, [], 'console errors');
      await page.close();
    });

    test('each page hydrates without a request and with its own topics', async () => {
      for (const [path, topics] of [['/games/1', ['game:1']], ['/teams/toronto-towers', ['team:toronto-towers']],
        ['/teams/montr%C3%A9al-meteors', ['team:montréal-meteors']], ['/', ['games']]]) {
        const { page, errors } = await open(context, `${server.url}${path}`);
        await lastTopics(page, topics);
        assertEq((await ws(page)).requests, 0, `requests after hydrating ${path}`);
        assertEq(await page.evaluate(() => window.__rally.mismatches), 0, `hydration mismatches on ${path}`);
        assertEq(errors, [], `console errors on ${path}`);
        await page.close();
      }
    });

    test('the theme switch sets data-theme and the dark cookie, and survives a reload', async () => {
      const ctx = await browser.newContext({ colorScheme: 'light' });
      const { page, errors } = await open(ctx, `${server.url}/games`);
      assertEq(await page.getAttribute('html', 'data-theme'), 'light', 'initial theme');
      await page.click('label.theme-switch input[type=checkbox]');
      await waitFor(page, () => document.documentElement.dataset.theme === 'dark', null, 'dark theme');
      const cookies = await ctx.cookies();
      assert(cookies.some((c) => c.name === 'dark' && c.value === '1'), 'dark=1 cookie');
      await page.reload();
      await page.waitForFunction(() => window.__rally && window.__rally.hydrated);
      assertEq(await page.getAttribute('html', 'data-theme'), 'dark', 'theme after reload');
      assert(await page.isChecked('label.theme-switch input[type=checkbox]'), 'switch checked after reload');
      assertEq(await page.evaluate(() => window.__rally.mismatches), 0, 'hydration mismatches');
      assertEq(errors, [], 'console errors');
      await ctx.close();
    });

    test('without a chosen theme the system colour scheme applies, and a choice then wins', async () => {
      const ctx = await browser.newContext({ colorScheme: 'dark' });
      const { page, errors } = await open(ctx, `${server.url}/games`);
      // The first response cannot know the system's scheme; the page corrects itself at boot.
      await waitFor(page, () => document.documentElement.dataset.theme === 'dark', null, 'system dark theme');
      assert(await page.isChecked('label.theme-switch input[type=checkbox]'), 'switch follows the system');
      assert(!(await ctx.cookies()).some((c) => c.name === 'dark'), 'no choice is recorded for the system theme');
      // Asked for the colour-scheme hint, Chromium sends it: the next page is rendered dark.
      const again = await page.goto(`${server.url}/standings`);
      assert((await again.text()).includes('data-theme="dark"'), 'server-rendered in the system theme');
      await page.waitForFunction(() => window.__rally && window.__rally.hydrated);
      await page.click('label.theme-switch input[type=checkbox]');
      await waitFor(page, () => document.documentElement.dataset.theme === 'light', null, 'chosen light theme');
      await page.reload();
      await page.waitForFunction(() => window.__rally && window.__rally.hydrated);
      assertEq(await page.getAttribute('html', 'data-theme'), 'light', 'the choice wins after a reload');
      assert(!(await page.isChecked('label.theme-switch input[type=checkbox]')), 'switch off after reload');
      assertEq(await page.evaluate(() => window.__rally.mismatches), 0, 'hydration mismatches');
      assertEq(errors, [], 'console errors');
      await ctx.close();
    });

    test('every page passes axe-core (WCAG 2.1 A and AA) in both themes, signed out and at the desk', async () => {
      for (const colorScheme of ['light', 'dark']) {
        // axe is injected as a script, which the CSP rightly refuses: this context bypasses it.
        const ctx = await browser.newContext({ bypassCSP: true, colorScheme });
        const pages = ['/games', '/games/1', '/teams/toronto-towers', '/teams/montr%C3%A9al-meteors',
          '/standings', '/sign_in', '/sign_in?error=invalid', '/missing'];
        // Checked once the page is what the user sees: hydrated where it hydrates.
        const ready = (page) => page.waitForFunction(
          () => !document.getElementById('rally-payload') || (window.__rally && window.__rally.hydrated), null, { timeout: 15000 });
        const page = await ctx.newPage();
        for (const path of pages) {
          await page.goto(`${server.url}${path}`);
          await ready(page);
          assertEq(await axeViolations(page), [], `axe on ${path} (${colorScheme})`);
        }
        await page.close();
        const desk = await signIn(ctx, server.url, 'admin@example.com');
        for (const path of ['/admin/games', '/me', '/admin/missing']) {
          await desk.goto(`${server.url}${path}`);
          await ready(desk);
          assertEq(await axeViolations(desk), [], `axe on ${path} signed in (${colorScheme})`);
        }
        await ctx.close();
      }
    });

    test('not-found pages answer 404; a non-numeric game id is not found', async () => {
      for (const path of ['/missing', '/games/abc', '/teams/no-such-team', '/games/999']) {
        const res = await fetch(`${server.url}${path}`);
        assertEq(res.status, 404, `status of ${path}`);
      }
      const res = await fetch(`${server.url}/admin/games`, { redirect: 'manual' });
      assertEq(res.status, 302, 'admin without a session');
      assertEq(res.headers.get('location'), '/sign_in?return_to=%2Fadmin%2Fgames', 'redirect to sign-in');
    });

    test('signing in with A1Z9Q lands on the admin desk; a fan can sign in but not open it', async () => {
      const ctx = await browser.newContext();
      const page = await signIn(ctx, server.url, 'admin@example.com');
      assertEq(new URL(page.url()).pathname, '/admin/games', 'landed on');
      const text = await page.textContent('body');
      assert(text.includes('Admin score desk') && text.includes('Finalize'), 'the score desk');
      await ctx.close();
      const fans = await browser.newContext();
      const fan = await signIn(fans, server.url, 'fan@example.com');
      assert((await fans.cookies()).some((c) => c.name === '__rally_auth'), 'fan has a session');
      assert(!new URL(fan.url()).pathname.startsWith('/admin'), 'fan is not on the admin desk');
      await fans.close();
    });

    test('one admin + updates every other browser live; the origin gets one result and no push', async () => {
      const admin = await browser.newContext();
      await (await signIn(admin, server.url, 'admin@example.com')).close();
      const origin = await open(admin, `${server.url}/admin/games`);
      const peer = await open(admin, `${server.url}/admin/games`);
      const fan = await open(context, `${server.url}/games`);
      const detail = await open(context, `${server.url}/games/1`);
      const team = await open(context, `${server.url}/teams/toronto-towers`);
      await lastTopics(origin.page, ['admin:games']);
      await lastTopics(peer.page, ['admin:games']);
      await lastTopics(fan.page, ['games']);
      const before = Number(await firstAwayScore(origin.page));
      const sentBefore = await ws(origin.page);
      await origin.page.click('article.game-card .admin-score-row button:has-text("+")');
      const expected = String(before + 1);
      for (const [name, p] of [['origin', origin.page], ['peer admin', peer.page], ['public games', fan.page], ['game detail', detail.page]]) {
        await waitFor(p, (e) => document.querySelector('article.game-card .score').textContent.trim() === e, expected, `${name} shows ${expected}`);
      }
      await waitFor(team.page, () => window.__ws.pushes >= 1, null, 'team page push');
      await new Promise((r) => setTimeout(r, 300));
      const o = await ws(origin.page);
      assertEq(o.requests - sentBefore.requests, 1, 'origin sent one request');
      assertEq(o.results - sentBefore.results, 1, 'origin received one result');
      assertEq(o.pushes, 0, 'origin received no push');
      assertEq((await ws(peer.page)).pushes, 1, 'peer received one push');
      for (const p of [origin, peer, fan, detail, team]) { assertEq(p.errors, [], 'console errors'); await p.page.close(); }
      await admin.close();
    });

    test('under the CSP the app hydrates, navigates, signs in and saves without a single violation', async () => {
      const ctx = await browser.newContext();
      // Every violation is reported to the page as an event, whatever the console shows.
      await ctx.addInitScript(() => {
        window.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective}: ${e.blockedURI}`));
      });
      const res = await fetch(`${server.url}/games`);
      const csp = res.headers.get('content-security-policy') || '';
      for (const part of ["default-src 'self'", "script-src 'self' 'nonce-", "'wasm-unsafe-eval'", "frame-ancestors 'none'", "object-src 'none'"]) {
        assert(csp.includes(part), `CSP has ${part}: ${csp}`);
      }
      assertEq(res.headers.get('x-frame-options'), 'DENY', 'X-Frame-Options');
      assertEq(res.headers.get('x-content-type-options'), 'nosniff', 'nosniff');
      const nonce = csp.match(/'nonce-([^']+)'/)[1];
      assert((await res.text()).includes(`<script type="module" nonce="${nonce}">`), 'the boot script carries the nonce');

      const { page, errors } = await open(ctx, `${server.url}/standings`);
      await page.click('nav a[href="/games"]');
      await waitFor(page, () => window.__ws.results === 1, null, 'the games load');
      await page.close();
      await (await signIn(ctx, server.url, 'admin@example.com')).close();
      const desk = await open(ctx, `${server.url}/admin/games`);
      await lastTopics(desk.page, ['admin:games']);
      const before = Number(await firstAwayScore(desk.page));
      await desk.page.click('article.game-card .admin-score-row button:has-text("+")');
      await waitFor(desk.page, (e) => document.querySelector('article.game-card .score').textContent.trim() === e, String(before + 1), 'the saved score');
      for (const [name, p, errs] of [['public', page, errors], ['desk', desk.page, desk.errors]]) {
        assertEq(errs, [], `console errors on ${name}`);
      }
      assertEq(await desk.page.evaluate(() => window.__csp), [], 'CSP violations on the desk');
      await ctx.close();
    });

    test('a same-site page cannot frame the score desk (clickjacking)', async () => {
      const { createServer } = await import('node:http');
      const framer = createServer((_, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><iframe id="desk" src="${server.url}/admin/games" width="800" height="600"></iframe>`);
      });
      await new Promise((r) => framer.listen(0, '127.0.0.1', r));
      const ctx = await browser.newContext();
      try {
        await (await signIn(ctx, server.url, 'admin@example.com')).close();
        const page = await ctx.newPage();
        await page.goto(`http://127.0.0.1:${framer.address().port}/`);
        await page.waitForLoadState('load');
        await page.waitForTimeout(300);
        const frame = page.frames().find((f) => f !== page.mainFrame());
        assert(frame, 'the iframe exists');
        const cards = await frame.evaluate(() => document.querySelectorAll('article.game-card').length).catch(() => 0);
        assertEq(cards, 0, 'the desk is not shown inside the frame');
        assert(!frame.url().startsWith(server.url), `the frame did not load the desk: ${frame.url()}`);
      } finally {
        await ctx.close();
        framer.close();
      }
    });

    test('a team renamed to markup renders as text on the server and after hydration', async () => {
      const evil = '<script>alert(1)</script>';
      execSql(`UPDATE teams SET name = '${evil}' WHERE code = 'BOS'`);
      const html = await (await fetch(`${server.url}/standings`)).text();
      assert(!html.includes(evil), 'no raw markup in SSR');
      assert(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'escaped in SSR');
      const { page, errors } = await open(context, `${server.url}/standings`);
      assert((await page.textContent('table')).includes(evil), 'shown as text after hydration');
      assertEq(await page.evaluate(() => document.querySelectorAll('main script').length), 0, 'no script element');
      assertEq(errors, [], 'console errors and dialogs');
      await page.close();
      execSql("UPDATE teams SET name = 'Boston Blizzards' WHERE code = 'BOS'");
    });

    test('GET /healthz answers 200 ok', async () => {
      const res = await fetch(`${server.url}/healthz`);
      assertEq(res.status, 200, 'status');
      assertEq(await res.text(), 'ok', 'body');
    });

    test('sign-in focuses #email on boot and again after SPA back to it, without a document load', async () => {
      const ctx = await browser.newContext();
      const { page, errors } = await open(ctx, `${server.url}/sign_in`, { live: false });
      await waitFor(page, () => document.activeElement && document.activeElement.id === 'email', null, 'focus on #email after hydration');
      await page.evaluate(() => { window.__marker = 'same document'; });
      await page.click('nav a[href="/games"]');
      await waitFor(page, () => location.pathname === '/games' && document.querySelector('article.game-card'), null, 'the games list (SPA)');
      assert(await page.evaluate(() => !document.querySelector('#email') && document.activeElement.id !== 'email'), 'the field and its focus are gone on /games');
      await page.evaluate(() => history.back());
      await waitFor(page, () => location.pathname === '/sign_in' && document.activeElement && document.activeElement.id === 'email', null,
        'focus on #email after back to /sign_in');
      assertEq(await page.evaluate(() => window.__marker), 'same document', 'no document load in between');
      assertEq(await page.evaluate(() => window.__rally.mismatches), 0, 'hydration mismatches');
      assertEq(errors, [], 'console errors');
      await page.close();
      // Once a code was sent, the field to fill in is the code form's email.
      const sent = await open(ctx, `${server.url}/sign_in?sent=1`, { live: false });
      await waitFor(sent.page, () => document.activeElement && document.activeElement.id === 'code-email', null, 'focus on #code-email with ?sent=1');
      assertEq(sent.errors, [], 'console errors with ?sent=1');
      await ctx.close();
    });

    test('a load answered after the tab moved on is dropped: a late /games/1 never fills /games/2', async () => {
      // Control: with no navigation in between, the held answer does fill the page, so what is
      // held below is a good answer for game 1 that only the stale-visit check can drop.
      const control = await browser.newContext();
      const c = await holdGameOneLoad(control, (s) => Date.now() - s.heldAt >= 1000);
      const shownControl = await open(control, `${server.url}/games`);
      await lastTopics(shownControl.page, ['games']);
      await shownControl.page.click('article.game-card a[href="/games/1"]');
      await until(() => c.released, 'the held game-1 answer delivered (control)', 12000);
      await waitFor(shownControl.page, () => document.querySelector('main .section-head .muted')?.textContent === 'MTL at TOR', null,
        'game 1 shown from the held answer (control)');
      assertEq(shownControl.errors, [], 'console errors (control)');
      await control.close();

      const ctx = await browser.newContext();
      // The game-1 answer is held until the game-2 answer has reached the page and 2 s passed.
      const s = await holdGameOneLoad(ctx, (st) => st.delivered.includes('game 2') && Date.now() - st.heldAt >= 2000);
      const { page, errors } = await open(ctx, `${server.url}/games`);
      await lastTopics(page, ['games']);
      // Records anything of game 1 (MTL at TOR) shown while the address is /games/2.
      await page.evaluate(() => {
        window.__wrong = [];
        const check = () => {
          if (location.pathname !== '/games/2') return;
          const main = document.querySelector('main');
          const text = main ? main.textContent : '';
          if (/MTL|TOR|Toronto|Montreal/.test(text) || /MTL|TOR/.test(document.title)) {
            window.__wrong.push({ title: document.title, text: text.slice(0, 200) });
          }
        };
        new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
      });
      const resultsBefore = (await ws(page)).results;
      await page.click('article.game-card a[href="/games/1"]');
      await until(() => [...s.gameOf.values()].includes(1), 'the load of game 1 sent to the server', 5000);
      await page.evaluate(() => { history.pushState(null, '', '/games/2'); dispatchEvent(new PopStateEvent('popstate')); });
      await until(() => s.released, 'the held game-1 answer delivered', 12000);
      await waitFor(page, (n) => window.__ws.results >= n, resultsBefore + 2, 'both answers received by the page');
      await settle(page);
      assertEq(s.delivered, ['game 2', 'game 1'], 'the game-1 answer reached the page last');
      assertEq(new URL(page.url()).pathname, '/games/2', 'path');
      const shown = await page.evaluate(() => ({
        subtitle: document.querySelector('main .section-head .muted').textContent,
        main: document.querySelector('main').textContent,
        title: document.title,
      }));
      assertEq(shown.subtitle, 'NYC at VAN', 'game 2 shown');
      assert(shown.main.includes('New York Comets') && shown.main.includes('Vancouver Voyagers'), `game 2's teams shown: ${shown.main}`);
      assert(/^NYC \d+ – \d+ VAN · Scoreboard$/.test(shown.title), `game 2's title: ${shown.title}`);
      assertEq(await page.evaluate(() => window.__wrong), [], 'game 1 never shown at /games/2');
      await lastTopics(page, ['game:2']);
      assertEq(errors, [], 'console errors');
      await ctx.close();
    });

    test('page heads: SSR title, description and app name; titles follow SPA navigation and loads', async () => {
      const html = await (await fetch(`${server.url}/games`)).text();
      assert(html.includes('<title>Games · Scoreboard</title>'), 'SSR title of /games');
      assert(html.includes('<meta name="description" content="Live scores of every game in the league.">'), 'SSR meta description');
      assert(html.includes('<meta name="application-name" content="Rally Scoreboard">'), 'application-name from configure');
      const game = await (await fetch(`${server.url}/games/1`)).text();
      assert(/<title>MTL \d+ – \d+ TOR · Scoreboard<\/title>/.test(game), `SSR title of /games/1: ${game.match(/<title>.*?<\/title>/)}`);
      assert(game.includes('<meta name="description" content="Montreal Meteors at Toronto Towers, live.">'), 'SSR description of /games/1');
      const { page, errors } = await open(context, `${server.url}/games`);
      assertEq(await page.title(), 'Games · Scoreboard', 'title after hydration');
      await page.click('nav a[href="/standings"]');
      await waitFor(page, () => location.pathname === '/standings' && document.title === 'Standings · Scoreboard', null, 'the Standings title');
      await page.click('nav a[href="/games"]');
      await waitFor(page, () => document.title === 'Games · Scoreboard' && document.querySelector('article.game-card a[href="/games/2"]'), null, 'the Games title');
      await page.click('article.game-card a[href="/games/2"]');
      await waitFor(page, () => location.pathname === '/games/2' && document.querySelector('main .game-detail'), null, 'game 2 loaded');
      const [away, home] = await page.evaluate(() => [...document.querySelectorAll('main article.game-card .score')].map((e) => e.textContent.trim()));
      await waitFor(page, (t) => document.title === t, `NYC ${away} – ${home} VAN · Scoreboard`, `the title of game 2 (${away}–${home})`);
      assertEq(await page.evaluate(() => window.__ws.opened), 1, 'one document, one socket');
      assertEq(errors, [], 'console errors');
      await page.close();
    });

    test('/me sends an anonymous visitor to sign in and back; it shows the account and its role', async () => {
      const res = await fetch(`${server.url}/me`, { redirect: 'manual' });
      assertEq(res.status, 302, 'anonymous /me');
      assertEq(res.headers.get('location'), '/sign_in?return_to=%2Fme', 'redirect to sign-in');
      const fans = await browser.newContext();
      const { page, errors } = await open(fans, `${server.url}/me`, { live: false });
      const at = new URL(page.url());
      assertEq(at.pathname + at.search, '/sign_in?return_to=%2Fme', 'landed on sign-in');
      await page.fill('form[action="/sign_in"] input[name=email]', 'fan@example.com');
      await page.fill('form[action="/sign_in"] input[name=code]', 'A1Z9Q');
      await Promise.all([page.waitForNavigation(), page.click('form[action="/sign_in"] button[type=submit]')]);
      assertEq(new URL(page.url()).pathname, '/me', 'back on /me after signing in');
      await page.waitForFunction(() => window.__rally && window.__rally.hydrated, null, { timeout: 15000 });
      assertEq(await page.textContent('main .account-email'), 'fan@example.com', 'email');
      assertEq(await page.textContent('main .account-role'), 'fan', 'role');
      assertEq(await page.evaluate(() => window.__rally.mismatches), 0, 'hydration mismatches');
      assertEq(await page.title(), 'Your account · Scoreboard', 'title');
      // Over the socket too: SPA away and back, the load runs as the signed-in caller.
      await page.click('nav a[href="/games"]');
      await waitFor(page, () => location.pathname === '/games' && document.querySelector('article.game-card'), null, 'the games list (SPA)');
      const requests = (await ws(page)).requests;
      await page.evaluate(() => { history.pushState(null, '', '/me'); dispatchEvent(new PopStateEvent('popstate')); });
      await waitFor(page, () => document.querySelector('main .account-email')?.textContent === 'fan@example.com', null, 'the account loaded over the socket');
      assertEq(await page.textContent('main .account-role'), 'fan', 'role over the socket');
      assertEq((await ws(page)).requests, requests + 1, 'one load for /me');
      assertEq(errors, [], 'console errors');
      await fans.close();
      const admins = await browser.newContext();
      const admin = await signIn(admins, server.url, 'admin@example.com', '/me');
      assertEq(new URL(admin.url()).pathname, '/me', 'the admin lands on /me');
      await admin.waitForFunction(() => window.__rally && window.__rally.hydrated, null, { timeout: 15000 });
      assertEq(await admin.textContent('main .account-email'), 'admin@example.com', 'admin email');
      assertEq(await admin.textContent('main .account-role'), 'admin', 'admin role');
      await admins.close();
      // An anonymous tab that navigates to /me inside the app: the load is refused over the
      // socket, and the tab loads /me as a document, which the server sends to sign-in.
      const strangers = await browser.newContext();
      const { page: stranger } = await open(strangers, `${server.url}/games`);
      await Promise.all([
        stranger.waitForURL((url) => url.pathname === '/sign_in', { timeout: 15000 }),
        stranger.evaluate(() => { history.pushState(null, '', '/me'); dispatchEvent(new PopStateEvent('popstate')); }),
      ]);
      const landed = new URL(stranger.url());
      assertEq(landed.pathname + landed.search, '/sign_in?return_to=%2Fme', 'an anonymous SPA visit to /me lands on sign-in');
      await strangers.close();
    });

    test('the desk shows who changed a game; other desks see a change from another desk; a reload names the admin', async () => {
      execSql('UPDATE games SET updated_by = NULL WHERE id = 1');
      const admin = await browser.newContext();
      await (await signIn(admin, server.url, 'admin@example.com')).close();
      const origin = await open(admin, `${server.url}/admin/games`);
      const peer = await open(admin, `${server.url}/admin/games`);
      await lastTopics(origin.page, ['admin:games']);
      await lastTopics(peer.page, ['admin:games']);
      const firstCard = (page) => page.evaluate(() => {
        const card = document.querySelector('article.game-card');
        const note = card.querySelector('.changed-by');
        return { codes: [...card.querySelectorAll('.admin-score-row strong')].map((e) => e.textContent), note: note ? note.textContent : null };
      });
      assertEq(await firstCard(origin.page), { codes: ['MTL', 'TOR'], note: null }, 'game 1 first, changed by nobody yet');
      await origin.page.click('article.game-card .admin-score-row button:has-text("+")');
      await waitFor(origin.page, () => document.querySelector('article.game-card .changed-by')?.textContent === 'Last change by admin@example.com',
        null, 'Last change by admin@example.com on the origin desk');
      await waitFor(peer.page, () => document.querySelector('article.game-card .changed-by')?.textContent === 'Changed on another desk',
        null, 'Changed on another desk on the peer desk');
      assertEq((await firstCard(peer.page)).codes, ['MTL', 'TOR'], 'the peer note is on game 1');
      await peer.page.reload();
      await peer.page.waitForFunction(() => window.__rally && window.__rally.hydrated, null, { timeout: 15000 });
      assertEq((await firstCard(peer.page)).note, 'Last change by admin@example.com', 'after a reload');
      for (const p of [origin, peer]) { assertEq(p.errors, [], 'console errors'); await p.page.close(); }
      await admin.close();
    });

    test('with JavaScript off, the desk\'s + posts and shows the new score; a tab with JavaScript updates live', async () => {
      const nojs = await browser.newContext({ javaScriptEnabled: false });
      const page = await nojs.newPage();
      // Sign-in is a plain form: it works without JavaScript too.
      await page.goto(`${server.url}/sign_in?return_to=${encodeURIComponent('/admin/games')}`);
      await page.fill('form[action="/sign_in"] input[name=email]', 'admin@example.com');
      await page.fill('form[action="/sign_in"] input[name=code]', 'A1Z9Q');
      await Promise.all([page.waitForNavigation(), page.click('form[action="/sign_in"] button[type=submit]')]);
      assertEq(new URL(page.url()).pathname, '/admin/games', 'on the desk');
      const score = () => page.locator('article.game-card .score').first().textContent();
      const before = Number((await score()).trim());
      const live = await open(context, `${server.url}/games`);
      await lastTopics(live.page, ['games']);
      let posts = 0;
      page.on('request', (r) => { if (r.method() === 'POST') posts++; });
      await Promise.all([page.waitForNavigation(), page.click('article.game-card .admin-score-row button:has-text("+")')]);
      assertEq(new URL(page.url()).pathname, '/admin/games', 'redirected back to the desk');
      assertEq((await score()).trim(), String(before + 1), 'the desk shows the new score');
      assertEq(posts, 1, 'one post');
      assertEq(await page.locator('.rally-notice').count(), 0, 'no error notice');
      await waitFor(live.page, (e) => document.querySelector('article.game-card .score').textContent.trim() === e,
        String(before + 1), 'the tab with JavaScript shows the new score');
      assertEq(live.errors, [], 'console errors');
      await live.page.close();
      await nojs.close();
    });

    test('a click made while the wasm downloads is applied once after hydration; a plain form posts once', async () => {
      const admin = await browser.newContext();
      await (await signIn(admin, server.url, 'admin@example.com')).close();
      let held = 0;
      await admin.route(/_bg\.wasm$/, async (route) => { held++; await new Promise((r) => setTimeout(r, 2000)); await route.continue(); });
      const page = await admin.newPage();
      const errors = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.addInitScript(RECORD_FRAMES);
      let posts = 0;
      page.on('request', (r) => { if (r.method() === 'POST') posts++; });
      const started = Date.now();
      await page.goto(`${server.url}/admin/games`, { waitUntil: 'domcontentloaded' });
      const shown = Date.now() - started;
      const before = Number(await firstAwayScore(page));
      await page.click('article.game-card .admin-score-row button:has-text("+")');
      const clicked = Date.now() - started;
      assert(!(await page.evaluate(() => Boolean(window.__rally && window.__rally.hydrated))), 'clicked before hydration');
      await page.waitForFunction(() => window.__rally && window.__rally.hydrated, null, { timeout: 15000 });
      const hydrated = Date.now() - started;
      await waitFor(page, (e) => document.querySelector('article.game-card .score').textContent.trim() === e,
        String(before + 1), 'the held click applied after hydration');
      const applied = Date.now() - started;
      await new Promise((r) => setTimeout(r, 500));
      assertEq(await firstAwayScore(page), String(before + 1), 'applied exactly once');
      const f = await ws(page);
      assertEq(f.requests, 1, 'one save over the socket');
      assertEq(posts, 0, 'no form post: the click became the socket save');
      assert(held >= 1, 'the wasm was held');
      assertEq(errors, [], 'console errors');
      console.log(`       HTML shown ${shown} ms; click accepted ${clicked} ms; hydrated ${hydrated} ms; applied ${applied} ms`);
      await page.close();

      // A plain form (sign-in, no Rally listener) submitted before hydration posts natively, once.
      const fresh = await browser.newContext();
      await fresh.route(/_bg\.wasm$/, async (route) => { await new Promise((r) => setTimeout(r, 2000)); await route.continue(); });
      const signIn2 = await fresh.newPage();
      let signInPosts = 0;
      signIn2.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/sign_in')) signInPosts++; });
      await signIn2.goto(`${server.url}/sign_in?return_to=${encodeURIComponent('/admin/games')}`, { waitUntil: 'domcontentloaded' });
      await signIn2.fill('form[action="/sign_in"] input[name=email]', 'admin@example.com');
      await signIn2.fill('form[action="/sign_in"] input[name=code]', 'A1Z9Q');
      await Promise.all([signIn2.waitForURL(/\/admin\/games$/), signIn2.click('form[action="/sign_in"] button[type=submit]')]);
      await new Promise((r) => setTimeout(r, 300));
      assertEq(signInPosts, 1, 'the sign-in form posted once');
      await fresh.close();
      await admin.close();
    });

    test('if the wasm never arrives, a save held before hydration is posted natively after 10 s', async () => {
      const admin = await browser.newContext();
      await (await signIn(admin, server.url, 'admin@example.com')).close();
      await admin.route(/_bg\.wasm$/, (route) => route.abort());
      const page = await admin.newPage();
      await page.goto(`${server.url}/admin/games`, { waitUntil: 'domcontentloaded' });
      const before = Number(await firstAwayScore(page));
      await Promise.all([
        page.waitForNavigation({ timeout: 15000 }),
        page.click('article.game-card .admin-score-row button:has-text("+")'),
      ]);
      assertEq(await firstAwayScore(page), String(before + 1), 'saved by the native post');
      await admin.close();
    });

    test('after a server restart the page reconnects, resubscribes and catches up', async () => {
      const { page, errors } = await open(context, `${server.url}/games/2`);
      await lastTopics(page, ['game:2']);
      const before = await firstAwayScore(page);
      const port = new URL(server.url).port;
      await server.stop();
      execSql('UPDATE games SET away_score = away_score + 3 WHERE id = 2');
      server = await startServer(binary, { ...env, ADDR: `127.0.0.1:${port}` }, APP);
      const expected = String(Number(before) + 3);
      await waitFor(page, (e) => document.querySelector('article.game-card .score').textContent.trim() === e, expected,
        `caught-up score ${expected}`, 20000);
      await waitFor(page, () => window.__ws.opened >= 2, null, 'a second socket');
      await lastTopics(page, ['game:2']);
      assertEq(errors.filter((e) => !e.includes('WebSocket')), [], 'console errors');
      await page.close();
    });

    return await run(postgres ? 'scoreboard on Postgres' : 'scoreboard');
  } finally {
    await browser.close();
    await server.stop();
    if (cluster) await cluster.stop();
  }
}
