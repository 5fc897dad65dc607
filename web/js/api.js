// Thin JSON client for Baton's HTTP API.
//
// The session lives in the HttpOnly `baton_session` cookie; the CSRF token is
// kept in memory only and sent as `X-CSRF-Token` on every non-GET request.

let csrfToken = null;
let onUnauthorized = null;

export function setCsrfToken(token) {
  csrfToken = token || null;
}

/** Called (once per 401) when a logged-in request comes back unauthorized. */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || null;
  }
}

async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', e && e.message);
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (_) {
      data = null;
    }
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    const apiErr = new ApiError(res.status, err.code || `http_${res.status}`, err.message || text.slice(0, 200));
    if (res.status === 401 && !opts.noAuthRedirect && onUnauthorized) onUnauthorized(apiErr);
    throw apiErr;
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  // session
  login: (username, password) =>
    request('POST', '/api/login', { username, password }, { noAuthRedirect: true }),
  logout: () => request('POST', '/api/logout', undefined, { noAuthRedirect: true }),
  me: () => request('GET', '/api/me', undefined, { noAuthRedirect: true }),
  updateMe: (patch) => request('PATCH', '/api/me', patch),
  changePassword: (current_password, new_password) =>
    request('POST', '/api/me/password', { current_password, new_password }),

  // users
  users: () => request('GET', '/api/users'),
  createUser: (u) => request('POST', '/api/users', u),
  updateUser: (id, patch) => request('PATCH', `/api/users/${enc(id)}`, patch),
  resetPassword: (id, password) => request('POST', `/api/users/${enc(id)}/password`, { password }),

  // departments
  departments: () => request('GET', '/api/departments'),
  createDepartment: (d) => request('POST', '/api/departments', d),
  updateDepartment: (id, patch) => request('PATCH', `/api/departments/${enc(id)}`, patch),
  deleteDepartment: (id) => request('DELETE', `/api/departments/${enc(id)}`),

  // projects
  projects: () => request('GET', '/api/projects'),
  project: (id) => request('GET', `/api/projects/${enc(id)}`),
  createProject: (p) => request('POST', '/api/projects', p),
  updateProject: (id, patch) => request('PATCH', `/api/projects/${enc(id)}`, patch),
  addMember: (id, user_id) => request('POST', `/api/projects/${enc(id)}/members`, { user_id }),
  removeMember: (id, userId) => request('DELETE', `/api/projects/${enc(id)}/members/${enc(userId)}`),
  archiveProject: (id) => request('POST', `/api/projects/${enc(id)}/archive`),
  restoreProject: (id) => request('POST', `/api/projects/${enc(id)}/restore`),

  // API tokens
  tokens: () => request('GET', '/api/tokens'),
  createToken: (name, scopes) => request('POST', '/api/tokens', { name, scopes }),
  revokeToken: (id) => request('DELETE', `/api/tokens/${enc(id)}`),

  // audit
  audit: (limit = 200) => request('GET', `/api/audit?limit=${enc(limit)}`),
};
