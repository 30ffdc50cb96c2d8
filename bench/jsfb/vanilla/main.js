// The js-framework-benchmark app in plain DOM code, written the classic fast way: one row
// template cloned per row, one delegated click listener on <tbody>, direct writes to the text
// nodes that change, and no diffing. It is the baseline the rally-view app is measured against.
'use strict';

(() => {
  const ADJECTIVES = ['pretty', 'large', 'big', 'small', 'tall', 'short', 'long', 'handsome',
    'plain', 'quaint', 'clean', 'elegant', 'easy', 'angry', 'crazy', 'helpful', 'mushy', 'odd',
    'unsightly', 'adorable', 'important', 'inexpensive', 'cheap', 'expensive', 'fancy'];
  const COLOURS = ['red', 'yellow', 'blue', 'green', 'pink', 'brown', 'purple', 'brown', 'white',
    'black', 'orange'];
  const NOUNS = ['table', 'chair', 'house', 'bbq', 'desk', 'car', 'pony', 'cookie', 'sandwich',
    'burger', 'pizza', 'mouse', 'keyboard'];

  // xorshift32 with the seed jsfb-rally uses (`jsfb_rally::SEED`): both apps show the same labels.
  let seed = 0x2545f491;
  const random = (max) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed % max;
  };

  let nextId = 1;
  const buildData = (count) => {
    const out = new Array(count);
    for (let i = 0; i < count; i++) {
      const adjective = ADJECTIVES[random(ADJECTIVES.length)];
      const colour = COLOURS[random(COLOURS.length)];
      const noun = NOUNS[random(NOUNS.length)];
      out[i] = { id: nextId++, label: `${adjective} ${colour} ${noun}` };
    }
    return out;
  };

  // The text nodes are placeholders (" ") so a row only ever has its nodeValue written.
  const template = document.createElement('template');
  template.innerHTML = '<tr><td class="col-md-1"> </td><td class="col-md-4"><a class="lbl"> </a></td>' +
    '<td class="col-md-1"><a class="remove"><span class="remove glyphicon glyphicon-remove" ' +
    'aria-hidden="true"></span></a></td><td class="col-md-6"></td></tr>';
  const rowTemplate = template.content.firstChild;

  const tbody = document.getElementById('tbody');
  let data = [];
  let rows = [];
  let selected = null;

  const labelText = (tr) => tr.firstChild.nextSibling.firstChild.firstChild;

  const createRow = (item) => {
    const tr = rowTemplate.cloneNode(true);
    tr.firstChild.firstChild.nodeValue = item.id;
    labelText(tr).nodeValue = item.label;
    tr.rowId = item.id;
    return tr;
  };

  const append = (items) => {
    for (let i = 0; i < items.length; i++) {
      const tr = createRow(items[i]);
      data.push(items[i]);
      rows.push(tr);
      tbody.appendChild(tr);
    }
  };

  const clear = () => {
    tbody.textContent = '';
    data = [];
    rows = [];
    selected = null;
  };

  const actions = {
    run() { clear(); append(buildData(1000)); },
    runlots() { clear(); append(buildData(10000)); },
    add() { append(buildData(1000)); },
    update() {
      for (let i = 0; i < data.length; i += 10) {
        const item = data[i];
        item.label += ' !!!';
        labelText(rows[i]).nodeValue = item.label;
      }
    },
    clear,
    swaprows() {
      if (rows.length > 998) {
        const a = rows[1];
        const b = rows[998];
        const afterB = b.nextSibling;
        tbody.insertBefore(b, a);
        tbody.insertBefore(a, afterB);
        rows[1] = b; rows[998] = a;
        const t = data[1]; data[1] = data[998]; data[998] = t;
      }
    },
  };

  document.getElementById('main').addEventListener('click', (e) => {
    const action = e.target.id && actions[e.target.id];
    if (action && e.target.tagName === 'BUTTON') {
      e.preventDefault();
      action();
    }
  });

  tbody.addEventListener('click', (e) => {
    const target = e.target;
    const link = target.closest('a');
    if (!link) return;
    const tr = link.parentNode.parentNode;
    e.preventDefault();
    if (link.className === 'lbl') {
      if (selected) selected.className = '';
      tr.className = 'danger';
      selected = tr;
    } else if (link.className === 'remove') {
      const i = rows.indexOf(tr);
      if (i < 0) return;
      tr.remove();
      rows.splice(i, 1);
      data.splice(i, 1);
      if (selected === tr) selected = null;
    }
  });
})();
