// The one module that talks to the server. Credentials live in sessionStorage (gone when the tab closes) and
// travel in the Authorization header only; requests never carry cookies (credentials: 'omit'), so there is
// nothing for cross-site request forgery to ride on, and the browser never shows its own login prompt.

const CREDENTIALS = 'berth.credentials';
let session = {mode: 'none', user: null, admin: false};
const tokens = new Map(); // scope -> {token, expires}

export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function currentSession() {
  return session;
}

function stored() {
  const raw = sessionStorage.getItem(CREDENTIALS);
  return raw ? JSON.parse(raw) : null;
}

function basic(c) {
  const utf8 = new TextEncoder().encode(c.user + ':' + c.password);
  return 'Basic ' + btoa(String.fromCharCode(...utf8));
}

/** A token from Berth's token endpoint for the scope ('' for identity only), cached until it expires. */
async function token(c, scope) {
  const cached = tokens.get(scope);
  if (cached && cached.expires > Date.now()) return cached.token;
  const params = new URLSearchParams({service: session.service || ''});
  if (scope) params.set('scope', scope);
  const headers = c ? {Authorization: basic(c)} : {};
  const response = await fetch(session.tokenEndpoint + '?' + params, {headers, credentials: 'omit'});
  if (!response.ok) throw new HttpError(response.status, await errorText(response));
  const body = await response.json();
  const value = body.token || body.access_token;
  tokens.set(scope, {token: value, expires: Date.now() + ((body.expires_in || 60) - 10) * 1000});
  return value;
}

async function authorization(scope, c = stored()) {
  if (session.mode === 'htpasswd' && c) return basic(c);
  if (session.mode === 'token' && session.tokenEndpoint && (c || scope)) return 'Bearer ' + await token(c, scope);
  return null;
}

async function errorText(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (body.error) return body.error;
    if (body.errors && body.errors.length) return body.errors[0].message || body.errors[0].code;
  } catch (e) {
    // not JSON
  }
  return response.status + ' ' + response.statusText;
}

async function request(method, url, {scope = '', body, credentials} = {}) {
  const headers = {Accept: 'application/json'};
  const auth = await authorization(scope, credentials === undefined ? stored() : credentials);
  if (auth) headers.Authorization = auth;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, {method, headers, credentials: 'omit',
    body: body === undefined ? undefined : JSON.stringify(body)});
  if (!response.ok) throw new HttpError(response.status, await errorText(response));
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : null;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, v);
  return q.toString();
}

/** Learns the auth mode anonymously, then who the stored credentials belong to (dropping them if refused). */
export async function loadSession() {
  session = await request('GET', 'api/session', {credentials: null});
  if (stored()) {
    try {
      session = await request('GET', 'api/session');
    } catch (e) {
      if (e.status === 401) logout(); else throw e;
    }
  }
  return session;
}

/** Checks the password with the server before keeping it; throws HttpError 401 when it is wrong. */
export async function login(user, password) {
  const c = {user, password};
  tokens.clear();
  const checked = await request('GET', 'api/session', {credentials: c});
  sessionStorage.setItem(CREDENTIALS, JSON.stringify(c));
  session = checked;
  return session;
}

export function logout() {
  sessionStorage.removeItem(CREDENTIALS);
  tokens.clear();
  session = {...session, user: null, admin: session.mode === 'none'};
}

export const repositories = (q, last, n) => request('GET', 'api/repositories?' + query({q, last, n}));
export const tags = (repository, opts) => request('GET', 'api/tags?' + query({repository, ...opts}));
export const manifest = (repository, reference) => request('GET', 'api/manifest?' + query({repository, reference}));

/** DELETE through the registry API itself, so the same access rules and audit log apply. */
export const deleteReference = (repository, reference) => request('DELETE',
  '../v2/' + repository + '/manifests/' + encodeURIComponent(reference),
  {scope: 'repository:' + repository + ':delete'});

const ADMIN = {scope: 'registry:admin:*'};
export const gcStatus = () => request('GET', '../admin/gc', ADMIN);
export const gcRun = dryRun => request('POST', '../admin/gc?' + query({'dry-run': dryRun, wait: true}), ADMIN);
export const storage = (last, n) => request('GET', '../admin/repositories?' + query({last, n}), ADMIN);
export const readOnly = () => request('GET', '../admin/read-only', ADMIN);
export const setReadOnly = on => request('PUT', '../admin/read-only', {...ADMIN, body: {readOnly: on}});
