// The WebSocket runtime end to end: loads and saves from a page, a broadcast reaching another
// page, reconnect with catch-up after a server restart, and the reload on a contract mismatch.
import { launch, startServer, test, run, assert, assertEq } from './lib.mjs';

// Counts the page's WebSocket traffic without changing it.
const COUNT_FRAMES = `
  window.__ws = { opened: 0, sent: 0, received: 0 };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(window.__wsUrl ? window.__wsUrl(url) : url, protocols);
      this.addEventListener('open', () => { window.__ws.opened++; });
      this.addEventListener('message', () => { window.__ws.received++; });
    }
    send(data) { window.__ws.sent++; return super.send(data); }
  };
`;

async function openPage(browser, url, initScript = '') {
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(COUNT_FRAMES + initScript);
  await page.goto(url);
  await page.waitForFunction(() => window.__rally && window.__rally.hydrated && window.__ws.opened > 0, null, { timeout: 15000 });
  // The topic set is the first frame on an open socket.
  await page.waitForFunction(() => window.__ws.sent >= 1, null, { timeout: 5000 });
  return { page, errors };
}

async function textIs(page, selector, expected, timeout = 10000) {
  try {
    await page.waitForFunction(([s, e]) => document.querySelector(s) && document.querySelector(s).textContent === e, [selector, expected], { timeout });
  } catch (e) {
    const actual = await page.textContent(selector).catch(() => '(missing)');
    throw new Error(`${selector} should read ${JSON.stringify(expected)}, reads ${JSON.stringify(actual)}`);
  }
}

export async function suite() {
  let server = await startServer('target/debug/live-counter', { LIVE_COUNT: '10' });
  const browser = await launch();
  try {
    test('hydration sends no load; a save round-trips and persists across a reload', async () => {
      const { page, errors } = await openPage(browser, server.url);
      assertEq(await page.textContent('#count'), '10', 'server-rendered count');
      assertEq(await page.evaluate(() => window.__ws.sent), 1, 'frames sent after hydration (the topic set only)');
      await page.click('#inc');
      await textIs(page, '#count', '11');
      await textIs(page, '#status', 'saved');
      await page.click('#dec');
      await page.click('#dec');
      await textIs(page, '#count', '9');
      await page.reload();
      await page.waitForFunction(() => window.__rally && window.__rally.hydrated);
      assertEq(await page.textContent('#count'), '9', 'count after reload');
      await page.click('#inc');
      await textIs(page, '#count', '10');
      assertEq(errors, [], 'console errors');
      await page.close();
    });

    test('a save on one page reaches another page as a push, and not the origin', async () => {
      const a = await openPage(browser, server.url);
      const b = await openPage(browser, server.url);
      const before = await a.page.textContent('#count');
      const start = Number(before);
      await b.page.click('#inc');
      await b.page.click('#inc');
      await textIs(b.page, '#count', String(start + 2));
      await textIs(a.page, '#count', String(start + 2));
      await b.page.waitForFunction(() => window.__ws.received === 2);
      await a.page.waitForFunction(() => window.__ws.received === 2);
      await new Promise((r) => setTimeout(r, 200));
      assertEq(await b.page.evaluate(() => window.__ws.received), 2, 'frames the origin received (its two results, no push)');
      assertEq(await a.page.evaluate(() => window.__ws.received), 2, 'frames the peer received (two pushes)');
      assertEq([...a.errors, ...b.errors], [], 'console errors');
      await a.page.close();
      await b.page.close();
    });

    test('after the server restarts the page reconnects, resubscribes and re-loads by itself', async () => {
      const a = await openPage(browser, server.url);
      const b = await openPage(browser, server.url);
      await a.page.evaluate(() => { window.__sameDocument = true; });
      assertEq(await a.page.textContent('#loads'), 'loads: 1', 'loads before');
      const port = new URL(server.url).port;
      await server.stop();
      // While the server is down the page keeps its content.
      await new Promise((r) => setTimeout(r, 700));
      server = await startServer('target/debug/live-counter', { LIVE_COUNT: '42', ADDR: `127.0.0.1:${port}` });
      await textIs(a.page, '#count', '42', 20000);
      await textIs(a.page, '#loads', 'loads: 2');
      await textIs(b.page, '#count', '42', 20000);
      assert(await a.page.evaluate(() => window.__sameDocument === true), 'the page was not reloaded');
      assert(await a.page.evaluate(() => window.__ws.opened === 2), 'one reconnect');
      // Resubscribed: a save from b reaches a.
      await b.page.click('#inc');
      await textIs(a.page, '#count', '43');
      await a.page.close();
      await b.page.close();
    });

    test('a contract mismatch makes the page reload once, then it stops and says why', async () => {
      const wrong = `window.__wsUrl = (u) => u.replace(/contract=[0-9a-f]+/, 'contract=' + '0'.repeat(64));`;
      const page = await browser.newPage();
      const errors = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      let loads = 0;
      page.on('load', () => { loads++; });
      await page.addInitScript(COUNT_FRAMES + wrong);
      await page.goto(server.url);
      await page.waitForFunction(() => window.__rally && window.__rally.hydrated && window.__ws.received > 0, null, { timeout: 15000 });
      // The first Reload frame reloads the page; the second one, within 10 s, does not.
      for (let i = 0; i < 100 && !errors.some((e) => e.includes('reloading did not help')); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assertEq(loads, 2, 'page loads (the first and one reload)');
      assert(errors.some((e) => e.includes('reloading did not help')), `console explains why it stopped: ${JSON.stringify(errors)}`);
      await page.close();
    });

    return await run('live-counter');
  } finally {
    await browser.close();
    await server.stop();
  }
}
