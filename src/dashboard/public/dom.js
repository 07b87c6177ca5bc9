/* global document -- a browser module (eslint.config.js sets Node's globals only) */
// Small DOM helpers. Text goes in through textContent only: trigger names and API messages are never parsed as HTML.

/** `<tag attrs…>children</tag>`; `text` sets textContent, null and false attributes are left out. */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children);
  return node;
}

/**
 * A table whose first column heads each row. `columns`: [{label, numeric}]; `rows`: [{header, testid, cells}],
 * where a cell is {text, value, testid, note, content, numeric}: `value` (the API's raw figure) goes to
 * data-value, `note` is a smaller line under the figure, `content` a node shown instead of `text`.
 */
export function dataTable({ caption, columns, rows, testid }) {
  const head = el(
    'tr',
    {},
    columns.map((c) => el('th', { scope: 'col', class: c.numeric ? 'num' : null, text: c.label })),
  );
  const body = rows.map((row) =>
    el('tr', {}, [
      el('th', { scope: 'row', 'data-testid': row.testid }, [row.header]),
      ...row.cells.map((cell) => {
        const figure = { 'data-testid': cell.testid, 'data-value': cell.value };
        const numeric = cell.numeric === false ? null : 'num';
        if (cell.content) return el('td', { class: numeric, ...figure }, [cell.content]);
        if (!cell.note) return el('td', { class: numeric, ...figure, text: cell.text });
        return el('td', { class: numeric }, [
          el('span', { ...figure, text: cell.text }),
          el('span', { class: 'cell-note', text: cell.note }),
        ]);
      }),
    ]),
  );
  const table = el('table', { class: 'data', 'data-testid': testid }, [
    el('caption', { class: 'visually-hidden', text: caption }),
    el('thead', {}, [head]),
    el('tbody', {}, body),
  ]);
  // A wide table scrolls on its own; the region is focusable so keyboard users can scroll it too.
  return el('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: 0 }, [table]);
}

/** A pill such as "trigger" or "broadcast". */
export const tag = (text, kind) => el('span', { class: `tag tag-${kind}`, text });

/** One card of the page: a state (idle, loading, ready, empty, error) shown in data-state, and its body. */
export class Section {
  constructor(id, onClear) {
    this.id = id;
    this.root = document.getElementById(id);
    this.body = this.root.querySelector('.card-body');
    this.onClear = onClear;
  }

  show(state, ...nodes) {
    this.onClear(this.body);
    this.root.dataset.state = state;
    this.root.setAttribute('aria-busy', String(state === 'loading'));
    this.body.replaceChildren(...nodes);
  }

  idle() {
    this.show('idle', el('p', { class: 'placeholder', text: 'Paste an API key and pick a range to see figures.' }));
  }

  loading() {
    this.show('loading', el('p', { class: 'placeholder', text: 'Loading…' }));
  }

  empty(text) {
    this.show('empty', el('p', { class: 'empty', 'data-testid': `${this.id}-empty`, text }));
  }

  error(message) {
    this.show(
      'error',
      el('p', { class: 'section-error', 'data-testid': `${this.id}-error` }, [
        el('strong', { text: 'Could not load this report: ' }),
        message,
      ]),
    );
  }

  ready(...nodes) {
    this.show('ready', ...nodes);
  }
}
