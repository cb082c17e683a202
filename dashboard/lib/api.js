/**
 * The admin API (docs/api.md) with the session's bearer token, kept in sessionStorage (a closed
 * tab logs out). Every refusal is thrown as an ApiError with the API's code, message and field
 * problems; a 401 anywhere but the login itself also calls the handler set by `onUnauthorized`
 * (back to the login form).
 */
const TOKEN_KEY = 'gatewarden.token';
let unauthorized = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error ?? 'HTTP';
    this.problems = Array.isArray(body?.problems) ? body.problems : [];
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** Logs in; the token is kept. Resolves to `{ user, role }`. */
export async function login(user, password) {
  const body = await request('POST', '/api/session', { user, password }, false);
  sessionStorage.setItem(TOKEN_KEY, body.token);
  return { user: body.user, role: body.role };
}

export async function logout() {
  try {
    if (token()) await request('DELETE', '/api/session');
  } finally {
    forget();
  }
}

export function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export const get = (path) => request('GET', path);
export const post = (path, body = {}) => request('POST', path, body);
export const put = (path, body = {}) => request('PUT', path, body);

/** Text of a route that answers with text (the printable shift report). */
export async function getText(path) {
  if (!token()) throw new ApiError(401, { error: 'UNAUTHENTICATED', message: 'log in first' });
  const response = await send('GET', path);
  if (!response.ok) throw await refusal(response, true);
  return response.text();
}

async function request(method, path, body, authenticated = true) {
  // A timer of a session that has ended asks nothing (and does not end the next one).
  if (authenticated && !token())
    throw new ApiError(401, { error: 'UNAUTHENTICATED', message: 'log in first' });
  const response = await send(method, path, body);
  if (!response.ok) throw await refusal(response, authenticated);
  if (response.status === 204) return null;
  return response.json();
}

function send(method, path, body) {
  const headers = { accept: 'application/json' };
  const saved = token();
  if (saved) headers.authorization = `Bearer ${saved}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function refusal(response, authenticated) {
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = new ApiError(response.status, body);
  if (response.status === 401 && authenticated) {
    forget();
    unauthorized(error);
  }
  return error;
}
