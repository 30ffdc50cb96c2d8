// The view-layer demo end to end: server rendering, hydration without DOM mutations, updates.
import { launch, startServer, test, run, assert, assertEq } from './lib.mjs';

// Installed before any page script runs: once parsing is done (readyState "interactive", before
// module scripts execute) it marks a node and starts recording every mutation under #app.
const OBSERVE = `
  window.__mutations = [];
  document.addEventListener('readystatechange', () => {
    if (document.readyState !== 'interactive') return;
    const app = document.getElementById('app');
    window.__marked = document.getElementById('count');
    window.__markedItem = document.querySelector('#todos li');
    window.__observer = new MutationObserver((records) => {
      for (const r of records) window.__mutations.push(r.type + ':' + (r.target.id || r.target.nodeName));
    });
    window.__observer.observe(app, { subtree: true, childList: true, attributes: true, characterData: true });
  });
`;

async function hydrated(page) {
  await page.waitForFunction(() => window.__rally && window.__rally.hydrated, null, { timeout: 15000 });
}

async function mutationsSoFar(page) {
  return page.evaluate(() => { window.__mutations.push(...window.__observer.takeRecords().map((r) => r.type)); return window.__mutations.slice(); });
}

export async function suite() {
  const server = await startServer('target/debug/view-demo');
  const browser = await launch();
  try {
    test('server-rendered HTML is complete with JavaScript disabled', async () => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(server.url);
      assertEq(await page.textContent('#count'), '0', 'counter');
      assertEq(await page.locator('#todos li').count(), 3, 'todo items');
      assertEq(await page.textContent('#summary'), '3 todos, 1 done', 'summary');
      assert(await page.isChecked('#todos li:first-child input'), 'first todo checked');
      await context.close();
    });

    test('hydration adopts the DOM with zero mutations and keeps node identity', async () => {
      const page = await browser.newPage();
      const warnings = [];
      page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text()); });
      await page.addInitScript(OBSERVE);
      await page.goto(server.url);
      await hydrated(page);
      assertEq(await mutationsSoFar(page), [], 'mutations recorded during hydration');
      assertEq(await page.evaluate(() => window.__rally.mismatches), 0, 'mismatches');
      assert(await page.evaluate(() => document.getElementById('count') === window.__marked), 'the #count node is the same object after hydration');
      assertEq(warnings, [], 'console warnings');
      await page.close();
    });

    test('clicking and typing update the page', async () => {
      const page = await browser.newPage();
      await page.addInitScript(OBSERVE);
      await page.goto(server.url);
      await hydrated(page);
      await page.click('#inc');
      await page.click('#inc');
      assertEq(await page.textContent('#count'), '2', 'after two increments');
      await page.click('#dec');
      assertEq(await page.textContent('#count'), '1', 'after a decrement');
      assert(await page.evaluate(() => document.getElementById('count') === window.__marked), '#count patched in place');

      await page.fill('#draft', 'Ship <b>it</b> & "more"');
      assertEq(await page.textContent('#echo'), 'Draft: Ship <b>it</b> & "more"', 'echo follows typing, as text');
      await page.press('#draft', 'Enter');
      assertEq(await page.locator('#todos li').count(), 4, 'submitting adds a todo');
      assertEq(await page.inputValue('#draft'), '', 'the input is cleared by the model');
      assertEq(await page.textContent('#todos li:last-child .title'), 'Ship <b>it</b> & "more"', 'new todo title');
      assertEq(await page.textContent('#summary'), '4 todos, 1 done', 'summary after add');

      await page.check('#todos li:nth-child(2) input');
      assertEq(await page.textContent('#summary'), '4 todos, 2 done', 'checking a todo');
      // The new item was cloned from the template's DOM copy (dom-templates): its holes —
      // class, checked, listeners — follow the model like a hydrated item's.
      await page.check('#todos li:last-child input');
      assertEq(await page.getAttribute('#todos li:last-child', 'class'), 'done', 'a checked new todo is done');
      assertEq(await page.textContent('#summary'), '4 todos, 3 done', 'checking the new todo');
      await page.uncheck('#todos li:last-child input');
      assertEq(await page.getAttribute('#todos li:last-child', 'class'), '', 'unchecked again');
      assert(!(await page.isChecked('#todos li:last-child input')), 'the box follows the model');
      assertEq(await page.textContent('#summary'), '4 todos, 2 done', 'unchecking the new todo');
      // The model checks every box: the new item's checkbox, inside a clone mounted without
      // its descendants' handles, is reached from its root and follows.
      await page.click('#toggle-all');
      assertEq(await page.textContent('#summary'), '4 todos, 4 done', 'all done');
      assert(await page.isChecked('#todos li:last-child input'), 'the new todo is checked by the model');
      assertEq(await page.getAttribute('#todos li:last-child', 'class'), 'done', 'and marked done');
      await page.click('#toggle-all');
      assert(!(await page.isChecked('#todos li:last-child input')), 'and unchecked by it');
      assertEq(await page.textContent('#summary'), '4 todos, 0 done', 'none done');
      await page.check('#todos li:nth-child(2) input');
      await page.check('#todos li:first-child input');

      // Keyed moves keep the DOM nodes: the first item's node survives a reverse.
      await page.click('#reverse');
      const order = await page.locator('#todos li .title').allTextContents();
      assertEq(order[3], 'Render on the server', 'reversed order');
      assert(await page.evaluate(() => document.querySelector('#todos li:last-child') === window.__markedItem), 'reverse moved the keyed node instead of rebuilding it');
      await page.click('#todos li:last-child .up');
      assertEq((await page.locator('#todos li .title').allTextContents())[2], 'Render on the server', 'move up');
      await page.click('#todos li:first-child .remove');
      assertEq(await page.locator('#todos li').count(), 3, 'remove');
      await page.close();
    });

    test('texts reach the DOM intact: ASCII and not, around the glue\'s short-string limit', async () => {
      // rally-build reads short ASCII strings in JS and leaves the rest to TextDecoder.
      const page = await browser.newPage();
      await page.goto(server.url);
      await hydrated(page);
      const texts = ['a', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(65), 'naïve café', '東京 ✓ 🚀',
        `${'a'.repeat(63)}é`, `é${'b'.repeat(70)}`, 'tab\there ~\u007f', ''];
      for (const t of texts) {
        await page.fill('#draft', t);
        assertEq(await page.textContent('#echo'), `Draft: ${t}`, `echo of ${JSON.stringify(t)}`);
        if (t === '') continue;
        // A todo's title is a text of its own (the echo's is merged with "Draft: ").
        await page.press('#draft', 'Enter');
        assertEq(await page.textContent('#todos li:last-child .title'), t, `title ${JSON.stringify(t)}`);
      }
      await page.close();
    });

    test('a mismatched page logs a warning naming the node and ends up correct', async () => {
      const page = await browser.newPage();
      const warnings = [];
      page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
      await page.addInitScript(OBSERVE);
      await page.goto(`${server.url}/?mismatch=1`);
      await hydrated(page);
      assert(warnings.length > 0, 'a warning was logged');
      // The same observer that saw nothing on a matching page sees the repairs here.
      assert((await mutationsSoFar(page)).length > 0, 'repairs are recorded as mutations');
      assert(await page.evaluate(() => window.__rally.mismatches) > 0, 'mismatches counted');
      assert(warnings.some((w) => /hydration mismatch at .*span\[2\]/.test(w)), `a warning names the #count path: ${warnings.join(' | ')}`);
      // A release bundle says what differs but not the values (debug builds add them; ADR 0002).
      assert(warnings.some((w) => /: text differs$/.test(w)), `a warning says the text differs: ${warnings.join(' | ')}`);
      assertEq(await page.textContent('#count'), '0', 'count repaired');
      assertEq(await page.locator('#todos li .title').allTextContents(),
        ['Render on the server', 'Hydrate without touching the DOM', 'Diff by key'], 'todos repaired');
      await page.click('#inc');
      assertEq(await page.textContent('#count'), '1', 'interactive after repair');
      await page.close();
    });

    return await run('view-demo');
  } finally {
    await browser.close();
    await server.stop();
  }
}
