// DOM building without HTML parsing: every value becomes a text node or an attribute, never markup.
// This is the only place the UI creates elements.

/**
 * h('a', {href: '#/x', class: 'c', onclick: fn}, 'text', child, [more]) builds an element. Strings and numbers
 * become text nodes; null/undefined/false children are skipped; arrays are flattened.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'value' || key === 'checked' || key === 'disabled' || key === 'readOnly') {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces the element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table with a caption, column headers (strings or elements) and rows of cells. */
export function table(caption, headers, rows, attrs) {
  return h('div', {class: 'scroll'}, h('table', attrs || {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map(x => x instanceof Node ? x : h('th', {scope: 'col'}, x)))),
    h('tbody', {}, rows.map(cells => h('tr', {}, cells.map(c => c instanceof Node && c.tagName === 'TD'
      ? c : h('td', {}, c)))))));
}

/** A definition list of label/value pairs, skipping empty values. */
export function facts(pairs) {
  return h('dl', {class: 'facts'}, pairs.filter(([, v]) => v !== null && v !== undefined && v !== ''
    && !(Array.isArray(v) && v.length === 0)).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function bytes(n) {
  if (n === null || n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
}

export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function shortDigest(digest) {
  return digest ? digest.replace(/^(sha256:|sha512:)?(.{12}).*$/, '$1$2') : '';
}

/** Announces a message to screen readers and shows it in the status line. */
export function status(message, isError) {
  const el = document.getElementById('status');
  el.textContent = message || '';
  el.classList.toggle('error', !!isError);
}

/** A read-only field with a copy button, for pull commands. */
export function copyField(label, text) {
  const input = h('input', {type: 'text', readOnly: true, value: text, 'aria-label': label, class: 'code'});
  const button = h('button', {type: 'button', onclick: async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(text);
      status('Copied: ' + label);
    } catch (e) {
      status('Selected: press Ctrl+C to copy');
    }
  }}, 'Copy');
  return h('div', {class: 'copy'}, h('span', {class: 'label'}, label), input, button);
}
