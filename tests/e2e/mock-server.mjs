// An in-memory stand-in for the Baton API, for developing and testing the web UI
// when the real binary is not built. It follows the HTTP contract the UI is
// written against (cookie session + X-CSRF-Token, rev conflicts, error envelope)
// and serves ../../web with the same CSP as the real server.
//
// Run by hand:  node mock-server.mjs [port]   (admin password: BATON_ADMIN_PASSWORD or "admin-pass")
// The e2e tests use the real binary unless BATON_E2E_MOCK=1.

import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tasksApi } from './mock-tasks.mjs';

const WEB = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../web');
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.md': 'text/markdown; charset=utf-8',
};

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function createMockServer({ adminPassword = 'admin-pass', attachmentLimit, seed = false } = {}) {
  const now = () => new Date().toISOString();
  let seq = 100;
  const nextId = () => ++seq;
  const users = [
    {
      id: 1, username: 'admin', display_name: '管理员', email: null, department_id: null, role: 'company_admin',
      erp: false, language: 'zh-CN', disabled: false, created_at: now(), rev: 1,
    },
  ];
  const passwords = new Map([[1, adminPassword]]);
  const departments = [];
  const projects = [
    { id: 1, name: 'ERP通知', department_id: null, members: [1], business_types: ['缺货', '采购'], archived: false, builtin: 'erp', created_at: now(), rev: 1 },
  ];
  const tokens = [];
  const audit = [];
  const sessions = new Map(); // cookie value -> { userId, csrf }
  const tasksRoute = tasksApi({ users, projects, nextId, now: () => new Date().toISOString(), HttpError, attachmentLimit, seed });

  const log = (actor, action, detail, ip) =>
    audit.unshift({ id: nextId(), at: now(), actor: actor ? actor.username : null, action, detail, ip: ip || '127.0.0.1' });
  const find = (list, id) => {
    const x = list.find((v) => v.id === Number(id));
    if (!x) throw new HttpError(404, 'not_found', 'not found');
    return x;
  };
  const checkRev = (obj, body) => {
    if (body.rev === undefined) throw new HttpError(400, 'invalid', 'rev is required');
    if (body.rev !== obj.rev) throw new HttpError(409, 'conflict', 'the record was changed by someone else');
  };
  const admin = (u) => {
    if (u.role !== 'company_admin' && u.role !== 'department_admin') throw new HttpError(403, 'forbidden', 'admins only');
  };
  const companyAdmin = (u) => {
    if (u.role !== 'company_admin') throw new HttpError(403, 'forbidden', 'company admins only');
  };

  async function api(req, path, body, res, query, raw) {
    const m = req.method;
    const cookie = /(?:^|;\s*)baton_session=([^;]+)/.exec(req.headers.cookie || '');
    const session = cookie && sessions.get(cookie[1]);
    const me = session && users.find((u) => u.id === session.userId && !u.disabled);

    if (m === 'POST' && path === '/api/login') {
      const u = users.find((x) => x.username === body.username);
      if (!u || u.disabled || passwords.get(u.id) !== body.password) {
        log(null, 'login.failed', `username=${body.username}`);
        throw new HttpError(401, 'invalid_credentials', 'invalid username or password');
      }
      const tok = randomBytes(16).toString('hex');
      const csrf = randomBytes(16).toString('hex');
      sessions.set(tok, { userId: u.id, csrf });
      res.setHeader('Set-Cookie', `baton_session=${tok}; HttpOnly; SameSite=Lax; Path=/`);
      log(u, 'login', 'password login');
      return [200, { token: tok, csrf_token: csrf, user: u }];
    }
    if (!me) throw new HttpError(401, 'unauthenticated', 'log in first');
    if (m !== 'GET' && req.headers['x-csrf-token'] !== session.csrf) throw new HttpError(403, 'csrf', 'missing or wrong CSRF token');

    let r;
    if (m === 'POST' && path === '/api/logout') {
      sessions.delete(cookie[1]);
      return [204];
    }
    if (m === 'GET' && path === '/api/me') return [200, { user: me, csrf_token: session.csrf }];
    if (m === 'PATCH' && path === '/api/me') {
      for (const k of ['display_name', 'email', 'language']) if (body[k] !== undefined) me[k] = body[k];
      if (me.language !== 'zh-CN' && me.language !== 'en') throw new HttpError(400, 'invalid', 'unknown language');
      me.rev++;
      return [200, me];
    }
    if (m === 'POST' && path === '/api/me/password') {
      if (passwords.get(me.id) !== body.current_password) throw new HttpError(400, 'invalid', 'the current password is wrong');
      if (!body.new_password || body.new_password.length < 8) throw new HttpError(400, 'invalid', 'new password must have at least 8 characters');
      passwords.set(me.id, body.new_password);
      for (const [k, s] of sessions) if (s.userId === me.id) sessions.delete(k);
      log(me, 'password.change', '');
      return [204];
    }
    if (path === '/api/users') {
      // the directory every member may read
      if (m === 'GET') return [200, { items: users }];
      admin(me);
      if (m === 'POST') {
        if (!body.username || !/^[a-z0-9_.-]{2,32}$/i.test(body.username)) throw new HttpError(400, 'invalid', 'username: 2-32 letters, digits, _ . -');
        if (users.some((u) => u.username === body.username)) throw new HttpError(409, 'exists', `username ${body.username} is taken`);
        if (!body.password || body.password.length < 8) throw new HttpError(400, 'invalid', 'password must have at least 8 characters');
        const u = {
          id: nextId(), username: body.username, display_name: body.display_name || body.username, email: body.email || null,
          department_id: body.department_id ?? null, role: body.role || 'member', erp: !!body.erp, language: 'zh-CN',
          disabled: false, created_at: now(), rev: 1,
        };
        users.push(u);
        passwords.set(u.id, body.password);
        log(me, 'user.create', u.username);
        return [201, u];
      }
    }
    if ((r = /^\/api\/users\/(\d+)$/.exec(path)) && m === 'PATCH') {
      admin(me);
      const u = find(users, r[1]);
      checkRev(u, body);
      for (const k of ['display_name', 'email', 'department_id', 'role', 'erp', 'disabled']) if (body[k] !== undefined) u[k] = body[k];
      u.rev++;
      log(me, 'user.update', u.username);
      return [200, u];
    }
    if ((r = /^\/api\/users\/(\d+)\/password$/.exec(path)) && m === 'POST') {
      admin(me);
      const u = find(users, r[1]);
      if (!body.password || body.password.length < 8) throw new HttpError(400, 'invalid', 'password must have at least 8 characters');
      passwords.set(u.id, body.password);
      return [204];
    }
    if (path === '/api/departments') {
      if (m === 'GET') return [200, { items: departments }];
      admin(me);
      if (m === 'POST') {
        if (!body.name) throw new HttpError(400, 'invalid', 'name is required');
        const d = { id: nextId(), name: body.name, parent_id: body.parent_id ?? null, rev: 1 };
        departments.push(d);
        log(me, 'department.create', d.name);
        return [201, d];
      }
    }
    if ((r = /^\/api\/departments\/(\d+)$/.exec(path))) {
      admin(me);
      const d = find(departments, r[1]);
      if (m === 'PATCH') {
        checkRev(d, body);
        if (body.name !== undefined) d.name = body.name;
        if (body.parent_id !== undefined) d.parent_id = body.parent_id;
        d.rev++;
        return [200, d];
      }
      if (m === 'DELETE') {
        if (users.some((u) => u.department_id === d.id) || departments.some((x) => x.parent_id === d.id))
          throw new HttpError(409, 'conflict', 'the department still has users or sub-departments');
        departments.splice(departments.indexOf(d), 1);
        return [204];
      }
    }
    if (path === '/api/projects') {
      if (m === 'GET') return [200, { items: me.role === 'member' ? projects.filter((p) => p.members.includes(me.id)) : projects }];
      admin(me);
      if (m === 'POST') {
        if (!body.name) throw new HttpError(400, 'invalid', 'name is required');
        const p = {
          id: nextId(), name: body.name, department_id: body.department_id ?? null, members: body.members || [],
          business_types: body.business_types || [], archived: false, builtin: null, created_at: now(), rev: 1,
        };
        projects.push(p);
        log(me, 'project.create', p.name);
        return [201, p];
      }
    }
    if ((r = /^\/api\/projects\/(\d+)(?:\/(members|archive|restore))?(?:\/(\d+))?$/.exec(path))) {
      const p = find(projects, r[1]);
      if (m === 'GET' && !r[2]) return [200, p];
      admin(me);
      if (m === 'PATCH' && !r[2]) {
        checkRev(p, body);
        for (const k of ['name', 'department_id', 'business_types']) if (body[k] !== undefined) p[k] = body[k];
        p.rev++;
        return [200, p];
      }
      if (r[2] === 'members' && m === 'POST') {
        find(users, body.user_id);
        if (!p.members.includes(body.user_id)) p.members.push(body.user_id);
        p.rev++;
        return [200, p];
      }
      if (r[2] === 'members' && m === 'DELETE' && r[3]) {
        p.members = p.members.filter((x) => x !== Number(r[3]));
        p.rev++;
        return [200, p];
      }
      if (r[2] === 'archive' && m === 'POST') {
        if (p.builtin) throw new HttpError(409, 'builtin', 'the ERP Notifications project cannot be archived');
        p.archived = true;
        p.rev++;
        return [200, p];
      }
      if (r[2] === 'restore' && m === 'POST') {
        p.archived = false;
        p.rev++;
        return [200, p];
      }
    }
    if (path === '/api/tokens') {
      companyAdmin(me);
      if (m === 'GET') return [200, { items: tokens }];
      if (m === 'POST') {
        if (!body.name) throw new HttpError(400, 'invalid', 'name is required');
        const info = { id: nextId(), name: body.name, scopes: body.scopes || [], created_at: now(), created_by: me.id, last_used_at: null, revoked: false };
        tokens.push(info);
        return [201, { token: `baton_${randomBytes(24).toString('hex')}`, info }];
      }
    }
    if ((r = /^\/api\/tokens\/(\d+)$/.exec(path)) && m === 'DELETE') {
      companyAdmin(me);
      find(tokens, r[1]).revoked = true;
      return [204];
    }
    const tr = tasksRoute(req, m, path, query, body, me, raw);
    if (tr) return tr;
    // two-factor sign-in: off for everyone (the real flows run against the binary)
    if (path === '/api/me/two-factor' && m === 'GET') return [200, { enabled: false, enabled_at: null, recovery_codes_left: 0, required: false }];
    if (path === '/api/admin/two-factor-policy' && m === 'GET') {
      companyAdmin(me);
      return [200, { require: 'off' }];
    }
    if (path === '/api/audit' && m === 'GET') {
      companyAdmin(me);
      return [200, { items: audit.slice(0, 200) }];
    }
    throw new HttpError(404, 'not_found', `no route for ${m} ${path}`);
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname;
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    try {
      if (path === '/healthz') {
        res.end('ok');
        return;
      }
      if (path.startsWith('/api/')) {
        const chunks = [];
        for await (const c of req) chunks.push(c);
        const raw = Buffer.concat(chunks);
        let body = {};
        const multipart = /^multipart\//.test(req.headers['content-type'] || '');
        if (raw.length && !multipart) {
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch {
            throw new HttpError(400, 'bad_json', 'the body is not valid JSON');
          }
        }
        const [status, data] = await api(req, path, body, res, url.searchParams, raw);
        res.statusCode = status;
        if (data && data.raw) {
          for (const [k, v] of Object.entries(data.headers || {})) res.setHeader(k, v);
          res.end(data.raw);
        } else if (data !== undefined) {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify(data));
        } else res.end();
        return;
      }
      let file = normalize(join(WEB, decodeURIComponent(path)));
      if (!file.startsWith(WEB)) throw new HttpError(400, 'bad_path', 'bad path');
      let st = await stat(file).catch(() => null);
      if (!st || st.isDirectory()) {
        file = join(WEB, 'index.html');
        st = await stat(file);
      }
      res.setHeader('Content-Type', TYPES[extname(file)] || 'application/octet-stream');
      res.setHeader('Cache-Control', 'no-cache');
      res.end(await readFile(file));
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json');
      const error = { code: e.code || 'internal', message: e instanceof HttpError ? e.message : 'internal error' };
      if (e.field) error.field = e.field;
      res.end(JSON.stringify({ error }));
      if (!(e instanceof HttpError)) console.error(e);
    }
  });
  return server;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] || 18081);
  createMockServer({ adminPassword: process.env.BATON_ADMIN_PASSWORD || 'admin-pass', seed: true }).listen(port, '127.0.0.1', () =>
    console.log(`mock Baton on http://127.0.0.1:${port}`),
  );
}
