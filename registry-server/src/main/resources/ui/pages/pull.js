import {copyField, h} from '../dom.js';

/** Copy-ready pull commands for docker, podman, ctr and berth-pull, by tag and (when known) by digest. */
export function pullCommands(name, tag, digest) {
  const host = location.host;
  const plain = location.protocol === 'http:';
  const refs = [];
  if (tag) refs.push(['tag', host + '/' + name + ':' + tag]);
  if (digest) refs.push(['digest', host + '/' + name + '@' + digest]);
  const tools = [
    ['docker', ref => 'docker pull ' + ref],
    ['podman', ref => 'podman pull ' + (plain ? '--tls-verify=false ' : '') + ref],
    ['ctr', ref => 'ctr images pull ' + (plain ? '--plain-http ' : '') + ref],
    ['berth-pull', ref => 'berth-pull pull ' + (plain ? '--plain-http ' : '') + ref],
  ];
  return h('div', {class: 'commands'}, refs.map(([by, ref]) => tools.map(([tool, command]) =>
    copyField(tool + ' by ' + by, command(ref)))));
}
