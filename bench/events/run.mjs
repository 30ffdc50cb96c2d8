// Event handling strategies for rally-view's DOM backend, measured in headless Chromium.
//
// (a) per-node: every element with a handler gets addEventListener(type, shared fn); the shared
//     function reads the node's listener slot from event.currentTarget.
// (b) delegation: every element with a handler gets a slot expando; one listener per event type
//     on the root walks from event.target up, reading slots.
// Both build the same 1,000-row table (two handlers per row, as js-framework-benchmark) so the
// difference is the listener work alone. Run: node bench/events/run.mjs
import { launch } from '../../e2e/lib.mjs';

const ROWS = 1000, ROUNDS = 30;

const PAGE = `
<table><tbody id="tbody"></tbody></table>
<script>
function build(mode, tbody, handler) {
  for (let i = 0; i < ${ROWS}; i++) {
    const tr = document.createElement('tr');
    const td1 = document.createElement('td'); td1.textContent = String(i);
    const td2 = document.createElement('td');
    const a1 = document.createElement('a'); a1.textContent = 'label ' + i;
    const td3 = document.createElement('td');
    const a2 = document.createElement('a'); a2.textContent = 'x';
    if (mode === 'per-node') {
      a1.__rally = 2 * i; a1.addEventListener('click', handler);
      a2.__rally = 2 * i + 1; a2.addEventListener('click', handler);
    } else {
      a1.__rally = 2 * i; a2.__rally = 2 * i + 1;
    }
    td2.appendChild(a1); td3.appendChild(a2);
    tr.appendChild(td1); tr.appendChild(td2); tr.appendChild(td3);
    tbody.appendChild(tr);
  }
}
window.measure = (mode) => {
  const tbody = document.getElementById('tbody');
  let hits = 0;
  const perNode = (e) => { hits += e.currentTarget.__rally >= 0 ? 1 : 0; };
  const delegated = (e) => {
    for (let n = e.target; n && n !== tbody; n = n.parentNode) if (n.__rally !== undefined) { hits++; break; }
  };
  if (mode === 'delegation') tbody.addEventListener('click', delegated);
  tbody.textContent = '';
  let t = performance.now();
  build(mode, tbody, perNode);
  document.body.offsetHeight;
  const create = performance.now() - t;
  const links = tbody.querySelectorAll('a');
  t = performance.now();
  for (const a of links) a.click();
  const dispatch = performance.now() - t;
  t = performance.now();
  tbody.textContent = '';
  document.body.offsetHeight;
  const clear = performance.now() - t;
  if (mode === 'delegation') tbody.removeEventListener('click', delegated);
  if (hits !== links.length) throw new Error('missed events: ' + hits);
  return { create, dispatch, clear };
};
</script>`;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const browser = await launch();
const page = await browser.newPage();
await page.setContent(PAGE);
const results = { 'per-node': [], delegation: [] };
for (let i = 0; i < ROUNDS; i++) {
  for (const mode of (i % 2 ? ['per-node', 'delegation'] : ['delegation', 'per-node'])) {
    results[mode].push(await page.evaluate((m) => window.measure(m), mode));
  }
}
await browser.close();
console.log(`${ROWS} rows x 2 handlers, ${ROUNDS} rounds, median ms`);
console.log('strategy      create+layout  2,000 clicks  clear');
for (const [mode, rs] of Object.entries(results)) {
  const f = (k) => median(rs.slice(5).map((r) => r[k])).toFixed(2).padStart(12);
  console.log(`${mode.padEnd(12)} ${f('create')}  ${f('dispatch')}  ${f('clear')}`);
}
