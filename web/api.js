// The API, as the page speaks to it: a bearer token on every request, errors as the API words them.

const TOKEN_KEY = 'callbackd.token';
export const BASE = '/api/v1';

/** The token: taken once from ?token= (then removed from the address bar and the history), else from sessionStorage. */
export function takeToken() {
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export const token = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (value) => sessionStorage.setItem(TOKEN_KEY, value);
export const dropToken = () => sessionStorage.removeItem(TOKEN_KEY);

/** What the API refused, in its own words ({error: {code, message}}), or what went wrong on the way. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let unauthorized = () => {};
/** Called when the API refuses the token (401): the page asks for another one. */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

export function authHeaders(extra = {}) {
  const t = token();
  return t ? { Authorization: `Bearer ${t}`, ...extra } : { ...extra };
}

/** `query` values that are empty are left out. */
export function path(route, query = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return `${BASE}${route}${qs ? `?${qs}` : ''}`;
}

export async function request(method, url, { body, idempotencyKey } = {}) {
  const headers = authHeaders({ Accept: 'application/json' });
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', 'The daemon cannot be reached (network error). Is callbackd running?');
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (res.ok) return json;
  const message = json?.error?.message ?? json?.message ?? (text && text.length < 300 ? text : `${res.status} ${res.statusText}`);
  const code = json?.error?.code ?? `http_${res.status}`;
  if (res.status === 401) unauthorized(message);
  throw new ApiError(res.status, code, message);
}

export const get = (route, query) => request('GET', path(route, query));
export const post = (route, body, idempotencyKey) => request('POST', path(route), { body, idempotencyKey });
export const enc = encodeURIComponent;
