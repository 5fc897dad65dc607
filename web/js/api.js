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
  // multipart: the browser sets Content-Type with the boundary itself
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.form || (body === undefined ? undefined : JSON.stringify(body)),
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
    apiErr.field = err.field || null;
    apiErr.body = data; // what else the answer says (the failing cases of a refused save)
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

  // workflow templates
  templates: () => request('GET', '/api/templates'),
  createTemplate: (tpl) => request('POST', '/api/templates', tpl),
  updateTemplate: (id, patch) => request('PATCH', `/api/templates/${enc(id)}`, patch),
  deleteTemplate: (id) => request('DELETE', `/api/templates/${enc(id)}`),

  // tasks
  projectTasks: (pid, params) => request('GET', `/api/projects/${enc(pid)}/tasks${query(params)}`),
  createTask: (pid, task) => request('POST', `/api/projects/${enc(pid)}/tasks`, task),
  task: (id) => request('GET', `/api/tasks/${enc(id)}`),
  updateTask: (id, patch) => request('PATCH', `/api/tasks/${enc(id)}`, patch),
  deleteTask: (id) => request('DELETE', `/api/tasks/${enc(id)}`),
  copyTask: (id, project_id) => request('POST', `/api/tasks/${enc(id)}/copy`, { project_id }),
  moveTask: (id, project_id, rev) => request('POST', `/api/tasks/${enc(id)}/move`, { project_id, rev }),
  archiveTask: (id) => request('POST', `/api/tasks/${enc(id)}/archive`),
  archiveFinished: (pid) => request('POST', `/api/projects/${enc(pid)}/archive-finished`),
  /** op: complete | start | transfer | return | urge | withdraw; body: { rev, to?, reason? } */
  flow: (id, op, body) => request('POST', `/api/tasks/${enc(id)}/${enc(op)}`, body),
  checkItem: (id, itemId, done, rev) => request('POST', `/api/tasks/${enc(id)}/checklist/${enc(itemId)}`, { done, rev }),
  comments: (id) => request('GET', `/api/tasks/${enc(id)}/comments`),
  addComment: (id, body) => request('POST', `/api/tasks/${enc(id)}/comments`, { body }),
  taskLog: (id) => request('GET', `/api/tasks/${enc(id)}/log`),
  uploadAttachment: (id, file) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return request('POST', `/api/tasks/${enc(id)}/attachments`, undefined, { form });
  },
  deleteAttachment: (id, aid) => request('DELETE', `/api/tasks/${enc(id)}/attachments/${enc(aid)}`),
  attachmentUrl: (id, aid) => `/api/tasks/${enc(id)}/attachments/${enc(aid)}`,

  // my work
  myTodo: () => request('GET', '/api/my/todo'),
  myList: (which) => request('GET', `/api/my/${enc(which)}`),

  // inbox
  inbox: (params) => request('GET', `/api/inbox${query(params)}`),
  unreadCount: () => request('GET', '/api/inbox/unread-count'),
  markRead: (id, read) => request('POST', `/api/inbox/${enc(id)}/read`, { read }),
  setFollowUp: (id, follow_up) => request('POST', `/api/inbox/${enc(id)}/follow-up`, { follow_up }),
  readAll: () => request('POST', '/api/inbox/read-all'),
};

/** `?a=1&b=x` from an object, leaving out empty values. */
function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** For pages that keep their own API calls (personal centre, statistics, board). */
export { request as apiRequest };
