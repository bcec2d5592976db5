import * as api from '../api.js';
import {bytes, facts, h, shortDigest, status, table, time} from '../dom.js';
import {go, link} from '../router.js';
import {pullCommands} from './pull.js';

export async function manifestPage(params) {
  const name = params.name;
  const ref = params.ref;
  const m = await api.manifest(name, ref);
  const isDigest = ref.includes(':');
  const isIndex = Array.isArray(m.manifests);
  const sections = [
    h('p', {class: 'crumbs'}, h('a', {href: link('repositories')}, 'Repositories'), ' / ',
      h('a', {href: link('repository', {name})}, name), ' / '),
    h('h1', {}, name + (isDigest ? '@' + shortDigest(ref) : ':' + ref)),
    facts([['Kind', isIndex ? 'Index (multi-platform)' : m.config ? 'Image' : 'Manifest'],
      ['Digest', h('code', {id: 'manifest-digest'}, m.digest)], ['Media type', m.mediaType],
      ['Artifact type', m.artifactType], ['Manifest size', bytes(m.size)],
      ['Subject', m.subject ? h('a', {href: link('manifest', {name, ref: m.subject.digest})}, m.subject.digest)
        : null]]),
    h('details', {class: 'pull'}, h('summary', {}, 'Pull commands'),
      pullCommands(name, isDigest ? null : ref, m.digest)),
  ];
  if (m.canDelete) sections.push(deleteSection(name, ref, m.digest, isDigest));
  if (isIndex) {
    sections.push(h('h2', {}, 'Platforms'), table('Manifests of this index',
      ['Platform', 'Digest', 'Media type', 'Size'],
      m.manifests.map(c => [
        h('a', {href: link('manifest', {name, ref: c.digest}), class: 'platform-link'}, c.platform || 'unknown'),
        h('code', {title: c.digest}, shortDigest(c.digest)), c.mediaType, bytes(c.size)]), {id: 'platforms'}));
  }
  if (m.layers) {
    const total = m.layers.reduce((sum, l) => sum + l.size, 0);
    sections.push(h('h2', {}, 'Layers'), table('Layers, ' + bytes(total) + ' in all',
      ['#', 'Digest', 'Media type', 'Size'],
      m.layers.map((l, i) => [String(i + 1), h('code', {title: l.digest}, shortDigest(l.digest)), l.mediaType,
        bytes(l.size)]), {id: 'layers'}));
  }
  if (m.config) sections.push(configSection(m.config));
  if (m.annotations && Object.keys(m.annotations).length) {
    sections.push(h('h2', {}, 'Annotations'), keyValues('Annotations', m.annotations, 'annotations'));
  }
  sections.push(referrersSection(name, m.referrers || {}));
  sections.push(h('details', {class: 'raw'}, h('summary', {}, 'Raw manifest'), h('pre', {}, m.raw)));
  return h('section', {}, sections);
}

function configSection(c) {
  const command = list => list && list.length ? h('code', {}, JSON.stringify(list)) : null;
  const parts = [h('h2', {}, 'Configuration'),
    facts([['Config digest', h('code', {}, c.digest)], ['Config media type', c.mediaType],
      ['Platform', c.os ? [c.os, c.architecture, c.variant].filter(Boolean).join('/') : null],
      ['Created', time(c.created)], ['Entrypoint', command(c.entrypoint)], ['Cmd', command(c.cmd)],
      ['Working directory', c.workingDir], ['User', c.user], ['Stop signal', c.stopSignal],
      ['Exposed ports', (c.exposedPorts || []).join(', ')]])];
  if (c.env && c.env.length) {
    parts.push(h('h3', {}, 'Environment'), h('ul', {class: 'env', id: 'env'}, c.env.map(e => h('li', {},
      h('code', {}, e)))));
  }
  if (c.labels && Object.keys(c.labels).length) {
    parts.push(h('h3', {}, 'Labels'), keyValues('Labels', c.labels, 'labels'));
  }
  if (c.history && c.history.length) {
    parts.push(h('h3', {}, 'History'), table('Build steps', ['#', 'Created', 'Step', 'Size'],
      c.history.map((s, i) => [String(i + 1), time(s.created),
        h('code', {class: 'step'}, s.createdBy || s.comment || ''), s.emptyLayer ? '—' : bytes(s.size)]),
      {id: 'history'}));
  }
  return h('div', {}, parts);
}

function keyValues(caption, map, id) {
  return table(caption, ['Key', 'Value'], Object.entries(map).map(([k, v]) => [h('code', {}, k),
    h('code', {}, v)]), {id});
}

function referrersSection(name, grouped) {
  const types = Object.keys(grouped);
  const body = types.length === 0 ? [h('p', {class: 'empty'}, 'No signatures, SBOMs or attestations.')]
    : types.map(type => h('div', {class: 'referrer-group'}, h('h3', {}, type),
      h('ul', {}, grouped[type].map(r => h('li', {},
        h('a', {href: link('manifest', {name, ref: r.digest}), class: 'referrer-link'}, shortDigest(r.digest)),
        ' ', bytes(r.size),
        r.annotations ? h('ul', {class: 'annotations'}, Object.entries(r.annotations).map(([k, v]) =>
          h('li', {}, h('code', {}, k), ': ', v))) : null)))));
  return h('section', {id: 'referrers', 'aria-labelledby': 'referrers-heading'},
    h('h2', {id: 'referrers-heading'}, 'Referrers'), body);
}

function deleteSection(name, ref, digest, isDigest) {
  const box = h('div', {class: 'actions'});
  const choose = () => box.replaceChildren(
    isDigest ? null : h('button', {type: 'button', class: 'danger', id: 'delete-tag',
      onclick: () => confirmDelete('tag ' + ref, ref)}, 'Delete tag ' + ref),
    h('button', {type: 'button', class: 'danger', id: 'delete-manifest',
      onclick: () => confirmDelete('manifest ' + shortDigest(digest) + ' and every tag pointing at it', digest)},
    'Delete manifest'));
  const confirmDelete = (what, reference) => {
    const yes = h('button', {type: 'button', class: 'danger', id: 'confirm-delete', onclick: async () => {
      try {
        await api.deleteReference(name, reference);
        status('Deleted ' + what);
        go('repository', {name});
      } catch (e) {
        status('Could not delete: ' + e.message, true);
      }
    }}, 'Yes, delete');
    box.replaceChildren(h('p', {}, 'Delete ' + what + '?'), yes,
      h('button', {type: 'button', onclick: choose}, 'Cancel'));
    yes.focus();
  };
  choose();
  return box;
}
