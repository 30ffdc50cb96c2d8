// Two Scoreboard nodes behind one Redis, in Chromium: a tab on node B shows live an admin's
// click made through node A, and catches up on a change it missed while Redis was away.
// Redis is a child of this suite (`redis-server` on a free port, no persistence), as are both
// nodes, which share one SQLite file, one sessions file and one SECRET_KEY_BASE.
import { join } from 'node:path';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { launch, startServer, test, run } from './lib.mjs';
import { APP, open, waitFor, lastTopics, sql, firstAwayScore, signIn } from './scoreboard.test.mjs';

const freePort = () => new Promise((resolve, reject) => {
  const server = createServer();
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
});

const listening = (port) => new Promise((resolve) => {
  const socket = connect(port, '127.0.0.1');
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});

/// Starts `redis-server` on `port` and resolves once it accepts connections.
async function startRedis(port, dir) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' });
  let exited = null;
  child.once('exit', (code) => { exited = code; });
  child.once('error', (e) => { exited = e.message; });
  const end = Date.now() + 10000;
  while (!(await listening(port))) {
    if (exited !== null) throw new Error(`redis-server exited (${exited}): install it with apt-get install redis-server (scripts/test.sh does)`);
    if (Date.now() > end) throw new Error('redis-server did not listen within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return { stop: () => new Promise((r) => { if (child.exitCode !== null) return r(); child.once('exit', r); child.kill('SIGKILL'); }) };
}

export async function suite() {
  const dir = mkdtempSync(join(tmpdir(), 'scoreboard-nodes-'));
  const db = join(dir, 'scoreboard.db');
  copyFileSync(join(APP, 'db/scoreboard.db'), db);
  const redisPort = await freePort();
  let redis = await startRedis(redisPort, dir);
  const env = {
    DATABASE_PATH: db,
    SESSIONS_DATABASE_PATH: join(dir, 'sessions.db'),
    RALLY_HUB: `redis://127.0.0.1:${redisPort}`,
    // Both nodes seal and read the same cookies.
    SECRET_KEY_BASE: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc',
  };
  const a = await startServer('target/debug/scoreboard', env, APP);
  const b = await startServer('target/debug/scoreboard', env, APP);
  const browser = await launch();
  try {
    test('a tab on node B shows live an admin + clicked on node A', async () => {
      const admin = await browser.newContext();
      await (await signIn(admin, a.url, 'admin@example.com')).close();
      const desk = await open(admin, `${a.url}/admin/games`);
      const fans = await browser.newContext();
      const onB = await open(fans, `${b.url}/games`);
      await lastTopics(desk.page, ['admin:games']);
      await lastTopics(onB.page, ['games']);
      // B subscribes on Redis once its tab asks; a moment for the SUBSCRIBE to land.
      await new Promise((r) => setTimeout(r, 300));
      const expected = String(Number(await firstAwayScore(desk.page)) + 1);
      await desk.page.click('article.game-card .admin-score-row button:has-text("+")');
      await waitFor(onB.page, (e) => document.querySelector('article.game-card .score').textContent.trim() === e, expected,
        `node B's tab shows ${expected}`);
      const pushes = await onB.page.evaluate(() => window.__ws.pushes);
      if (pushes !== 1) throw new Error(`node B's tab received ${pushes} pushes, expected 1`);
      for (const p of [desk, onB]) if (p.errors.length) throw new Error(`console errors: ${p.errors}`);
      await admin.close();
      await fans.close();
    });

    test('with Redis away and back, a tab on node B catches up on a change it missed, without a reload', async () => {
      const ctx = await browser.newContext();
      const onB = await open(ctx, `${b.url}/games/1`);
      await lastTopics(onB.page, ['game:1']);
      await onB.page.evaluate(() => { window.__sameDocument = true; });
      const before = Number(await firstAwayScore(onB.page));
      await redis.stop();
      // A change nobody could push: made in the database while the broker is away.
      sql(db, 'UPDATE games SET away_score = away_score + 2 WHERE id = 1');
      redis = await startRedis(redisPort, dir);
      const expected = String(before + 2);
      await waitFor(onB.page, (e) => document.querySelector('article.game-card .score').textContent.trim() === e, expected,
        `the caught-up score ${expected}`, 20000);
      if (!(await onB.page.evaluate(() => window.__sameDocument === true))) throw new Error('the page was reloaded');
      await ctx.close();
    });

    return await run('nodes');
  } finally {
    await browser.close();
    await a.stop();
    await b.stop();
    await redis.stop();
  }
}
