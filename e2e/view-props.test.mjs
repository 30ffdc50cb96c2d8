// rally-view on Chromium's real DOM: the diff/hydration properties and event decoding.
import { join } from 'node:path';
import { launch, root, test, run, assert, assertEq } from './lib.mjs';
import { serveStatic } from './static.mjs';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"></head><body>
<script>
  // Record every preventDefault() Rally makes, and keep generated links from ever navigating
  // (the capture listener uses the original method, so it is not recorded).
  const preventDefault = Event.prototype.preventDefault;
  Event.prototype.preventDefault = function () { window.__prevented = true; return preventDefault.call(this); };
  window.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('a[href]')) preventDefault.call(e);
  }, true);
</script>
<script type="module">
  import init, * as props from '/pkg/view_props.js';
  await init();
  window.props = props;
  window.ready = true;
</script></body></html>`;

// A smaller budget than the native tests (512 cases): each case drives the real DOM.
const SEED = BigInt(process.env.VIEW_PROPS_SEED || 20261124);

export async function suite() {
  const server = await serveStatic(join(root, 'target/rally/view-props'), { '/': PAGE });
  const browser = await launch();
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(server.url);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 15000 });

    test('patch, hydrate and repair agree with the HTML parser (150 random cases)', async () => {
      const n = await page.evaluate((seed) => {
        try { return window.props.run_dom_properties(BigInt(seed), 150, 60); } catch (e) { return String(e); }
      }, SEED.toString());
      assertEq(n, 150, 'cases passed');
    });

    test('keyed lists of lazy rows patch, keep their rows and hydrate like the parser (100 random edits)', async () => {
      const n = await page.evaluate((seed) => {
        try { return window.props.run_lazy_list_properties(BigInt(seed), 100); } catch (e) { return String(e); }
      }, SEED.toString());
      assertEq(n, 100, 'cases passed');
    });

    test('a shared lazy list marks its row with classList and patches, keeps rows and hydrates like the parser (100 random edits)', async () => {
      const n = await page.evaluate((seed) => {
        try { return window.props.run_class_mark_properties(BigInt(seed), 100); } catch (e) { return String(e); }
      }, SEED.toString());
      assertEq(n, 100, 'cases passed');
    });

    test('clicks on every element dispatch the listeners the view attaches (60 random cases)', async () => {
      const n = await page.evaluate((seed) => {
        try { return window.props.run_event_properties(BigInt(seed), 60, 40); } catch (e) { return String(e); }
      }, SEED.toString());
      assertEq(n, 60, 'cases passed');
    });

    test('event decoders read input, checkbox, select, keys, forms and honour stopPropagation', async () => {
      await page.evaluate(() => window.props.mount_event_fixture());
      const events = () => page.evaluate(() => window.__events.splice(0));
      await page.click('#click');
      assertEq(await events(), ['Click'], 'click');
      await page.fill('#text', 'héllo <b>');
      assertEq(await events(), ['Input("héllo <b>")'], 'input value');
      await page.focus('#text');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.press('Control+a');
      assertEq(await events(), ['Key("Shift", true, false)', 'Key("Enter", true, false)', 'Key("Control", false, true)', 'Key("a", false, true)'], 'keys with modifiers');
      await page.check('#check');
      await page.uncheck('#check');
      assertEq(await events(), ['Check(true)', 'Check(false)'], 'checkbox');
      await page.selectOption('#select', 'b');
      assertEq(await events(), ['Change("b")'], 'select change');
      const url = page.url();
      await page.click('#submit');
      assertEq(await events(), ['Submit([("title", "first"), ("tag", "x"), ("tag", "y")])'], 'form values in order');
      assertEq(page.url(), url, 'the browser did not submit the form (preventDefault)');
      await page.click('#inner');
      assertEq(await events(), ['Inner'], 'stop_propagation keeps the outer listener out');
      await page.click('#plain');
      assertEq(await events(), ['Outer'], 'bubbling reaches the outer listener');
    });

    const result = await run('view-props');
    assertEq(errors, [], 'page errors');
    return result;
  } finally {
    await browser.close();
    await server.stop();
  }
}
