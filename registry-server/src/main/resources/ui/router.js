// Hash routes: #/page?param=value. Pages read their parameters; links are built with link().

/** link('repository', {name: 'a/b'}) is '#/repository?name=a%2Fb'; empty parameters are left out. */
export function link(page, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return '#/' + page + (s ? '?' + s : '');
}

export function go(page, params) {
  location.hash = link(page, params);
}

/** The current page name and its parameters. */
export function current() {
  const hash = location.hash.replace(/^#\/?/, '');
  const at = hash.indexOf('?');
  const page = at < 0 ? hash : hash.slice(0, at);
  const q = at < 0 ? '' : hash.slice(at + 1);
  return {page: page || 'repositories', params: Object.fromEntries(new URLSearchParams(q))};
}
