// The app `cargo rally init` writes, generated and built by `cargo rally`: a server-rendered
// counter that hydrates, saves over the WebSocket, persists in SQLite and pushes to other tabs.
import { join } from 'node:path';
import { launch, startServer, test, run, assert, assertEq, root, axeViolations } from './lib.mjs';

async function open(browser, url) {
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => window.__rally && window.__rally.hydrated, null, { timeout: 15000 });
  return { page, errors };
}

async function countIs(page, expected) {
  await page.waitForFunction((e) => document.querySelector('#count').textContent === e, String(expected), { timeout: 10000 });
}

export async function suite() {
  const server = await startServer('target/debug/starter', {}, join(root, 'examples/starter'));
  const browser = await launch();
  try {
    test('the counter renders on the server, hydrates, saves, persists and reaches other tabs', async () => {
      const a = await open(browser, server.url);
      const b = await open(browser, server.url);
      const start = Number(await a.page.textContent('#count'));
      assertEq(await a.page.evaluate(() => window.__rally.mismatches), 0, 'hydration mismatches');
      await a.page.click('#inc');
      await a.page.click('#inc');
      await countIs(a.page, start + 2);
      await countIs(b.page, start + 2);
      await b.page.click('#dec');
      await countIs(a.page, start + 1);
      await a.page.reload();
      await a.page.waitForFunction(() => window.__rally && window.__rally.hydrated);
      assertEq(await a.page.textContent('#count'), String(start + 1), 'count after reload');
      assertEq([...a.errors, ...b.errors], [], 'console errors');
      await a.page.close();
      await b.page.close();
    });

    test('an unknown path answers 404 with the mount not-found page', async () => {
      const page = await browser.newPage();
      const response = await page.goto(`${server.url}/no/such/page`);
      assertEq(response.status(), 404, 'status');
      assert((await page.textContent('h1')) === 'Not found', 'not-found page rendered');
      await page.close();
    });

    test('cargo rally dev keeps a serde model across a reload while its types are unchanged', async () => {
      // What the dev reload script does before reloading, done by hand: the bundle built by
      // `cargo rally build` has no reload script, but the runtime half is the same.
      const a = await open(browser, server.url);
      const saved = Number(await a.page.textContent('#count'));
      const state = await a.page.evaluate(() => window.__rally.saveState());
      assert(/^\/\npublic\/pages\/home_@[0-9a-f]{16}\n[A-Za-z0-9_-]*$/.test(state), `saveState(): ${state}`);
      // The count moves on elsewhere; the reloaded tab comes back with the model it had.
      const b = await open(browser, server.url);
      await b.page.click('#inc');
      await countIs(a.page, saved + 1);
      const notes = [];
      a.page.on('console', (m) => { if (m.type() === 'info') notes.push(m.text()); });
      await a.page.evaluate((s) => sessionStorage.setItem('rally.dev-state', s), state);
      await a.page.reload();
      await a.page.waitForFunction(() => window.__rally && window.__rally.hydrated);
      await countIs(a.page, saved);
      assert(notes.some((n) => n.includes('kept the page\'s state')), `console: ${notes}`);
      assertEq(await a.page.evaluate(() => sessionStorage.getItem('rally.dev-state')), null, 'the state is used once');
      // A state saved for other model types starts fresh, and says so.
      await a.page.evaluate((s) => sessionStorage.setItem('rally.dev-state', s.replace(/@[0-9a-f]{16}/, '@0000000000000000')), state);
      await a.page.reload();
      await a.page.waitForFunction(() => window.__rally && window.__rally.hydrated);
      await countIs(a.page, saved + 1);
      assert(notes.some((n) => n.includes('starts fresh')), `console: ${notes}`);
      assertEq([...a.errors, ...b.errors], [], 'console errors');
      await a.page.close();
      await b.page.close();
    });

    test('every page passes axe-core (WCAG 2.1 A and AA) in both colour schemes', async () => {
      for (const colorScheme of ['light', 'dark']) {
        const ctx = await browser.newContext({ bypassCSP: true, colorScheme });
        for (const path of ['/', '/no/such/page']) {
          const page = await ctx.newPage();
          await page.goto(`${server.url}${path}`);
          if (path === '/') await page.waitForFunction(() => window.__rally && window.__rally.hydrated, null, { timeout: 15000 });
          assertEq(await axeViolations(page), [], `axe on ${path} (${colorScheme})`);
          await page.close();
        }
        await ctx.close();
      }
    });

    return await run('starter');
  } finally {
    await browser.close();
    await server.stop();
  }
}
