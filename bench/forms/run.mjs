// Time from HTML to the first usable interaction on the Scoreboard's score desk, with and
// without the early-events replay, on a throttled network (Chrome's "Fast 3G" figures: 1.6
// Mbit/s down, 750 kbit/s up, 562.5 ms round trip; the cache off). Figures, not assertions.
//
//   node bench/forms/run.mjs [runs]     (builds nothing: run `cargo rally build [--release]` in
//                                        examples/scoreboard first; it says which bundles it used)
//
// Per run it loads /admin/games signed in and records when the HTML is shown (first contentful
// paint) and when the page has hydrated. With the replay, a click is usable from the moment the
// HTML is shown (it is held and applied at hydration); without it, a click before hydration is
// lost, so the first usable interaction is the hydration. It also clicks + at first paint and
// checks the click is applied once.
import { join } from 'node:path';
import { copyFileSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { launch, startServer, root } from '../../e2e/lib.mjs';

const APP = join(root, 'examples/scoreboard');
const runs = Number(process.argv[2] || 5);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function bundleSize(mount) {
  const dir = join(APP, 'target/rally/pkg', mount);
  const base = join(root, 'target/rally/pkg', mount);
  for (const d of [base, dir]) {
    try {
      const wasm = readFileSync(join(d, 'app_bg.wasm'));
      const js = readFileSync(join(d, 'app.js'));
      return { dir: d, gzipKiB: (gzipSync(wasm).length + gzipSync(js).length) / 1024, modified: statSync(join(d, 'app_bg.wasm')).mtime };
    } catch { /* next */ }
  }
  return null;
}

const dir = mkdtempSync(join(tmpdir(), 'forms-bench-'));
const db = join(dir, 'scoreboard.db');
copyFileSync(join(APP, 'db/scoreboard.db'), db);
const server = await startServer('target/debug/scoreboard', { DATABASE_PATH: db }, APP);
const browser = await launch();
try {
  const bundle = bundleSize('admin');
  console.log(`admin bundle: ${bundle ? `${bundle.gzipKiB.toFixed(1)} KiB gzip (${bundle.dir})` : 'not found'}`);
  const admin = await browser.newContext();
  {
    const page = await admin.newPage();
    await page.goto(`${server.url}/sign_in?return_to=/admin/games`);
    await page.fill('form[action="/sign_in"] input[name=email]', 'admin@example.com');
    await page.fill('form[action="/sign_in"] input[name=code]', 'A1Z9Q');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/sign_in"] button[type=submit]')]);
    await page.close();
  }
  const shown = [], hydrated = [], applied = [];
  for (let i = 0; i < runs; i++) {
    const page = await admin.newPage();
    const cdp = await admin.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 562.5, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8,
    });
    const start = Date.now();
    await page.goto(`${server.url}/admin/games`, { waitUntil: 'commit' });
    await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout: 60000, polling: 10 });
    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0].startTime);
    const before = Number(await page.evaluate(() => document.querySelector('article.game-card .score').textContent.trim()));
    await page.click('article.game-card .admin-score-row button:has-text("+")', { noWaitAfter: true });
    await page.waitForFunction(() => window.__rally && window.__rally.hydrated, null, { timeout: 120000, polling: 10 });
    const hyd = await page.evaluate(() => performance.now());
    await page.waitForFunction((e) => document.querySelector('article.game-card .score').textContent.trim() === e, String(before + 1), { timeout: 30000, polling: 10 });
    const done = await page.evaluate(() => performance.now());
    shown.push(fcp); hydrated.push(hyd); applied.push(done);
    console.log(`run ${i + 1}: HTML shown ${fcp.toFixed(0)} ms, hydrated ${hyd.toFixed(0)} ms, the early click applied ${done.toFixed(0)} ms (wall ${Date.now() - start} ms)`);
    await page.close();
  }
  const s = median(shown), h = median(hydrated);
  console.log(`\nmedian of ${runs}: HTML shown ${s.toFixed(0)} ms, hydrated ${h.toFixed(0)} ms`);
  console.log(`first usable interaction: with the replay ${s.toFixed(0)} ms (at first paint), without it ${h.toFixed(0)} ms (at hydration): ${(h / s).toFixed(1)}× sooner, ${((h - s) / 1000).toFixed(2)} s of clicks no longer lost`);
} finally {
  await browser.close();
  await server.stop();
}
