// The app `cargo rally init` writes, generated and built by `cargo rally`: a server-rendered
// counter that hydrates, saves over the WebSocket, persists in SQLite and pushes to other tabs.
import { join } from 'node:path';
import { launch, startServer, test, run, assert, assertEq, root, axeViolations } from './lib.mjs';

async function open(browser, url) {
  const page = await browser.newPage(); // a Browser or a BrowserContext
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
      // The bundle built by `cargo rally build` has no reload script; this sets the flag the
      // script sets, so the runtime keeps the page's state as it does under `cargo rally dev`.
      const ctx = await browser.newContext();
      await ctx.addInitScript(() => { window.__rallyDev = true; });
      const a = await open(ctx, server.url);
      const saved = Number(await a.page.textContent('#count'));
      const notes = [];
      a.page.on('console', (m) => { if (m.type() === 'info') notes.push(m.text()); });
      // The state the page keeps is its model: rewritten on its way out to a model the server
      // never had (count 4242: postcard's zigzag varint A4 42, then `error: None`), it is what
      // the reloaded tab shows over the server's render.
      const rewrite = (replacement) => a.page.evaluate((r) => addEventListener('pagehide', () => {
        const s = sessionStorage.getItem('rally.dev-state');
        if (s) sessionStorage.setItem('rally.dev-state', s.replace(new RegExp(r.from), r.to));
      }), replacement);
      await rewrite({ from: '\\n[A-Za-z0-9_-]*$', to: '\npEIA' });
      await a.page.reload();
      await a.page.waitForFunction(() => window.__rally && window.__rally.hydrated);
      await countIs(a.page, 4242);
      assert(notes.some((n) => n.includes('kept the page\'s state')), `console: ${notes}`);
      assertEq(await a.page.evaluate(() => sessionStorage.getItem('rally.dev-state')), null, 'a state is used once');
      // A state saved under other model types starts fresh, and says so.
      await rewrite({ from: '@[0-9a-f]{16}', to: '@0000000000000000' });
      await a.page.reload();
      await a.page.waitForFunction(() => window.__rally && window.__rally.hydrated);
      await countIs(a.page, saved);
      assert(notes.some((n) => n.includes('starts fresh')), `console: ${notes}`);
      // Without the dev flag nothing is kept.
      const b = await open(browser, server.url);
      await b.page.reload();
      await b.page.waitForFunction(() => window.__rally && window.__rally.hydrated);
      assertEq(await b.page.evaluate(() => sessionStorage.getItem('rally.dev-state')), null, 'no state outside dev');
      assertEq([...a.errors, ...b.errors], [], 'console errors');
      await ctx.close();
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
