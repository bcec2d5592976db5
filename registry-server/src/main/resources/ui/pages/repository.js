import * as api from '../api.js';
import {bytes, h, shortDigest, status, table, time} from '../dom.js';
import {go, link} from '../router.js';
import {pullCommands} from './pull.js';

const PAGE = 50;

export async function repositoryPage(params) {
  const name = params.name;
  const state = {q: params.q || '', sort: params.sort || 'name', order: params.order || 'asc',
    page: Number(params.page || 0)};
  const result = await api.tags(name, {...state, n: PAGE});
  const pages = Math.max(1, Math.ceil(result.total / PAGE));
  const to = changes => go('repository', {name, ...state, ...changes});

  const sortHeader = (label, key) => {
    const active = state.sort === key;
    const next = active && state.order === 'asc' ? 'desc' : 'asc';
    return h('th', {scope: 'col', 'aria-sort': active ? (state.order === 'asc' ? 'ascending' : 'descending')
      : 'none'}, h('button', {type: 'button', class: 'sort', id: 'sort-' + key,
      onclick: () => to({sort: key, order: next, page: 0})},
    label, active ? (state.order === 'asc' ? ' ▲' : ' ▼') : ''));
  };

  const rows = result.tags.map(t => [
    h('a', {href: link('manifest', {name, ref: t.name}), class: 'tag-link'}, t.name),
    h('code', {title: t.digest}, shortDigest(t.digest)),
    bytes(t.size),
    t.platforms.join(', '),
    time(t.created),
    time(t.pushed)].concat(result.canDelete ? [deleteButton(name, t.name)] : []));
  const headers = [sortHeader('Tag', 'name'), 'Digest', 'Size', 'Platforms', 'Created', sortHeader('Pushed', 'pushed')];
  if (result.canDelete) headers.push('Actions');

  const filter = h('input', {id: 'tag-filter', type: 'search', value: state.q, placeholder: 'part of a tag'});
  const pager = h('nav', {class: 'pager', 'aria-label': 'Tag pages'},
    h('button', {type: 'button', id: 'tags-first', disabled: state.page === 0, onclick: () => to({page: 0})}, 'First'),
    h('button', {type: 'button', id: 'tags-prev', disabled: state.page === 0,
      onclick: () => to({page: state.page - 1})}, 'Previous'),
    h('span', {id: 'tags-position'}, 'Page ' + (state.page + 1) + ' of ' + pages + ' (' + result.total + ' tags)'),
    h('button', {type: 'button', id: 'tags-next', disabled: state.page + 1 >= pages,
      onclick: () => to({page: state.page + 1})}, 'Next'),
    h('button', {type: 'button', id: 'tags-last', disabled: state.page + 1 >= pages,
      onclick: () => to({page: pages - 1})}, 'Last'));
  const firstTag = result.tags.length ? result.tags[0].name : 'latest';
  return h('section', {},
    h('p', {class: 'crumbs'}, h('a', {href: link('repositories')}, 'Repositories'), ' / '),
    h('h1', {}, name),
    h('details', {class: 'pull'}, h('summary', {}, 'Pull commands'), pullCommands(name, firstTag, null)),
    h('form', {role: 'search', class: 'search', onsubmit: event => {
      event.preventDefault();
      to({q: filter.value.trim(), page: 0});
    }}, h('label', {for: 'tag-filter'}, 'Filter tags'), filter, h('button', {type: 'submit'}, 'Filter')),
    result.tags.length === 0 ? h('p', {class: 'empty'}, 'No tags.')
      : table('Tags of ' + name, headers, rows, {id: 'tags'}),
    pager);
}

/** Delete with an inline confirmation (no window.confirm: it would block and cannot be styled). */
function deleteButton(name, tag) {
  const cell = h('td', {});
  const ask = h('button', {type: 'button', class: 'danger delete-tag', 'aria-label': 'Delete tag ' + tag,
    onclick: () => {
      const confirm = h('button', {type: 'button', class: 'danger confirm-delete',
        'aria-label': 'Confirm deleting tag ' + tag, onclick: async () => {
          try {
            await api.deleteReference(name, tag);
            status('Deleted tag ' + tag);
            window.dispatchEvent(new HashChangeEvent('hashchange'));
          } catch (e) {
            status('Could not delete ' + tag + ': ' + e.message, true);
          }
        }}, 'Confirm');
      const cancel = h('button', {type: 'button', onclick: () => cell.replaceChildren(ask)}, 'Cancel');
      cell.replaceChildren(confirm, cancel);
      confirm.focus();
    }}, 'Delete');
  cell.appendChild(ask);
  return cell;
}
