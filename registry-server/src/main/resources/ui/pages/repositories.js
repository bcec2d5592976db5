import * as api from '../api.js';
import {bytes, h, table, time} from '../dom.js';
import {go, link} from '../router.js';

// Cursors of the pages before the current one, so "Previous" can go back (the server pages by name cursor).
let trail = [];

export async function repositoriesPage(params) {
  const q = params.q || '';
  const last = params.last || '';
  if (!last) trail = [];
  const page = await api.repositories(q, last, params.n);
  const search = h('input', {id: 'repo-search', type: 'search', name: 'q', value: q,
    placeholder: 'part of a name'});
  const form = h('form', {role: 'search', class: 'search', onsubmit: event => {
    event.preventDefault();
    go('repositories', {q: search.value.trim()});
  }}, h('label', {for: 'repo-search'}, 'Search repositories'), search, h('button', {type: 'submit'}, 'Search'));

  const rows = page.repositories.map(r => [
    h('a', {href: link('repository', {name: r.name}), class: 'repo-link'}, r.name),
    String(r.tags), bytes(r.size), time(r.lastPush)]);
  const previous = last ? h('button', {type: 'button', id: 'repos-prev', onclick: () => {
    const before = trail.pop();
    go('repositories', {q, last: before});
  }}, 'Previous') : null;
  const next = page.next ? h('button', {type: 'button', id: 'repos-next', onclick: () => {
    trail.push(last);
    go('repositories', {q, last: page.next});
  }}, 'Next') : null;
  return h('section', {},
    h('h1', {}, 'Repositories'),
    form,
    rows.length === 0 ? h('p', {class: 'empty'}, q ? 'No repository matches “' + q + '”.'
      : 'No repositories to show.') : table('Repositories' + (q ? ' matching “' + q + '”' : ''),
      ['Name', 'Tags', 'Size', 'Last push'], rows, {id: 'repositories'}),
    h('nav', {class: 'pager', 'aria-label': 'Pages'}, previous, next));
}
