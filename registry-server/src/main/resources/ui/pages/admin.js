import * as api from '../api.js';
import {bytes, facts, h, replace, status, table, time} from '../dom.js';

const PAGE = 50;

export async function adminPage(params) {
  if (!api.currentSession().admin) {
    return h('section', {}, h('h1', {}, 'Admin'), h('p', {}, 'You need the admin grant to see this page.'));
  }
  const [gc, readOnly, usage] = await Promise.all([api.gcStatus(), api.readOnly(), api.storage(params.last, PAGE)]);
  const report = h('div', {id: 'gc-report'}, reportView(gc.lastReport));
  const state = h('span', {id: 'gc-state'}, gc.state + (gc.lastError ? ' (last error: ' + gc.lastError + ')' : ''));
  const run = dryRun => async () => {
    status(dryRun ? 'Dry run started…' : 'Garbage collection started…');
    buttons.forEach(b => { b.disabled = true; });
    try {
      const result = await api.gcRun(dryRun);
      replace(report, reportView(result));
      state.textContent = 'idle';
      status(dryRun ? 'Dry run finished' : 'Garbage collection finished');
    } catch (e) {
      status('Garbage collection failed: ' + e.message, true);
    } finally {
      buttons.forEach(b => { b.disabled = false; });
    }
  };
  const buttons = [
    h('button', {type: 'button', id: 'gc-dry-run', onclick: run(true)}, 'Dry run'),
    h('button', {type: 'button', id: 'gc-run', class: 'danger', onclick: run(false)}, 'Collect garbage')];
  const toggle = h('input', {type: 'checkbox', id: 'read-only', checked: readOnly.readOnly, onchange: async () => {
    try {
      const now = await api.setReadOnly(toggle.checked);
      toggle.checked = now.readOnly;
      status(now.readOnly ? 'Read-only mode is on' : 'Read-only mode is off');
    } catch (e) {
      toggle.checked = !toggle.checked;
      status('Could not switch read-only mode: ' + e.message, true);
    }
  }});
  const repos = usage.repositories || [];
  return h('section', {},
    h('h1', {}, 'Admin'),
    h('h2', {}, 'Garbage collection'), h('p', {}, 'State: ', state), h('div', {class: 'actions'}, buttons), report,
    h('h2', {}, 'Read-only mode'),
    h('p', {}, toggle, ' ', h('label', {for: 'read-only'}, 'Read-only (refuse pushes and deletes on this replica)')),
    h('h2', {}, 'Storage per repository'),
    repos.length === 0 ? h('p', {class: 'empty'}, 'No repositories.') : table('Storage per repository',
      ['Repository', 'Manifests', 'Blobs', 'Size'],
      repos.map(r => [r.name, String(r.manifests), String(r.blobs), bytes(r.bytes)]), {id: 'storage'}),
    h('nav', {class: 'pager', 'aria-label': 'Storage pages'},
      params.last ? h('a', {href: '#/admin'}, 'First page') : null,
      usage.next ? h('a', {href: '#/admin?last=' + encodeURIComponent(usage.next)}, 'Next') : null));
}

function reportView(r) {
  if (!r) return h('p', {class: 'empty'}, 'No collection has run yet.');
  return h('div', {}, h('h3', {}, r.dryRun ? 'Last report (dry run)' : 'Last report'), facts([
    ['Started', time(r.startedAt)], ['Duration', (r.durationMillis / 1000).toFixed(1) + ' s'],
    ['Repositories scanned', String(r.repositoriesScanned)],
    ['Manifests kept / deleted', r.manifestsKept + ' / ' + r.manifestsDeleted],
    ['Blobs scanned / kept / deleted', r.blobsScanned + ' / ' + r.blobsKept + ' / ' + r.blobsDeleted],
    [r.dryRun ? 'Bytes that would be freed' : 'Bytes freed', bytes(r.bytesFreed)],
    ['Uploads purged', String(r.uploadsPurged)]]));
}
