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
