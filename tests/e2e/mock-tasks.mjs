// The tasks / workflow templates / inbox / my-work part of the mock API, after
// docs/tasks-api.md and the Flow rules in the product brief. Used by mock-server.mjs.
//
// `tasksApi(ctx)` returns `handle(req, m, path, query, body, me)` which answers
// [status, data] (data may be { raw: Buffer, headers } for downloads) or null when
// the route is not one of its own.

const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const PRIO_RANK = { low: 0, normal: 1, high: 2, urgent: 3 };
const INBOX_KINDS = ['assigned', 'transferred', 'returned', 'withdrawn', 'urged', 'mentioned', 'commented', 'due_soon', 'overdue', 'finished'];

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** A very small Markdown stand-in: paragraphs, **bold**, `code`, - lists. Always escaped. */
export function miniMarkdown(src) {
  if (!src) return '';
  const inline = (s) =>
    escapeHtml(s)
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
      .replace(/`([^`]+)`/g, '<code>$1</code>');
  const blocks = String(src).split(/\n{2,}/);
  return blocks
    .map((b) => {
      const lines = b.split('\n');
      if (lines.every((l) => /^\s*[-*] /.test(l))) return `<ul>${lines.map((l) => `<li>${inline(l.replace(/^\s*[-*] /, ''))}</li>`).join('')}</ul>`;
      return `<p>${lines.map(inline).join('<br>')}</p>`;
    })
    .join('\n');
}

/** Parse a multipart/form-data body (Buffer) into [{ name, filename, contentType, data }]. */
function parseMultipart(buf, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType || '');
  if (!m) return [];
  const boundary = Buffer.from(`--${m[1] || m[2]}`);
  const parts = [];
  let pos = buf.indexOf(boundary);
  while (pos !== -1) {
    const start = pos + boundary.length;
    if (buf.slice(start, start + 2).toString() === '--') break;
    const next = buf.indexOf(boundary, start);
    if (next === -1) break;
    const part = buf.slice(start + 2, next - 2); // skip CRLF after boundary and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    const head = part.slice(0, headerEnd).toString();
    const data = part.slice(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    const ct = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] || 'application/octet-stream';
    parts.push({ name, filename, contentType: ct, data });
    pos = next;
  }
  return parts;
}

export function tasksApi({ users, projects, nextId, now, HttpError, attachmentLimit = 10 * 1024 * 1024, seed = false }) {
  const tasks = [];
  const inbox = [];
  const templates = [
    { id: 1, name: 'Simple task', builtin: 'simple', nodes: [{ handler_id: null, action: '', due_in_hours: null }], rev: 1 },
    { id: 2, name: 'Empty workflow', builtin: 'empty_workflow', nodes: [], rev: 1 },
  ];

  const user = (id) => users.find((u) => u.id === id);
  const uname = (id) => {
    const u = user(id);
    return u ? u.display_name || u.username : `#${id}`;
  };
  const project = (id) => {
    const p = projects.find((x) => x.id === Number(id));
    if (!p) throw new HttpError(404, 'not_found', 'no such project');
    return p;
  };
  const isAdmin = (u) => u.role === 'company_admin' || u.role === 'department_admin';
  const invalid = (msg, field) => {
    const e = new HttpError(400, 'invalid', msg);
    e.field = field;
    return e;
  };

  const overdue = (t) => {
    if (t.status !== 'open') return false;
    const n = now();
    if (t.due_at && t.due_at < n) return true;
    const cur = t.current_node != null ? t.nodes[t.current_node] : null;
    return !!(cur && cur.due_at && cur.due_at < n);
  };
  const canSee = (me, t) =>
    isAdmin(me) ||
    t.creator_id === me.id ||
    t.participants.includes(me.id) ||
    t.nodes.some((n) => n.handler_id === me.id) ||
    t.watchers.includes(me.id) ||
    t.editors.includes(me.id);
  const canEdit = (me, t) => isAdmin(me) || t.creator_id === me.id || t.editors.includes(me.id);

  function allowed(me, t) {
    const ops = [];
    const c = t.current_node;
    if (t.status === 'open' && c != null && !t.archived) {
      const cur = t.nodes[c];
      if (cur.handler_id === me.id) {
        ops.push('complete');
        if (cur.state === 'active') ops.push('start');
        ops.push('transfer');
        if (c > 0) ops.push('return');
      }
      const prev = c > 0 ? t.nodes[c - 1] : null;
      if (prev && prev.handler_id === me.id && prev.state === 'done') {
        ops.push('urge');
        if (cur.state === 'active') ops.push('withdraw');
      }
    }
    const cur = c != null ? t.nodes[c] : null;
    return {
      ops,
      edit: t.status === 'open' && !t.archived && canEdit(me, t),
      delete: isAdmin(me) || t.creator_id === me.id,
      archive: isAdmin(me) && t.status === 'done' && !t.archived,
      comment: !t.archived,
      check: !!(cur && cur.handler_id === me.id && t.status === 'open'),
    };
  }

  function view(me, t) {
    const { participants, log, comments, files, ...rest } = t;
    return { ...rest, description_html: miniMarkdown(t.description), overdue: overdue(t), allowed: allowed(me, t) };
  }
  function summary(t) {
    const cur = t.current_node != null ? t.nodes[t.current_node] : null;
    return {
      id: t.id, project_id: t.project_id, title: t.title, kind: t.kind, priority: t.priority, business_type: t.business_type,
      due_at: t.due_at, status: t.status, archived: t.archived, overdue: overdue(t),
      current_handler_id: cur ? cur.handler_id : null, current_action: cur ? cur.action : null,
      current_index: t.current_node, node_count: t.nodes.length, creator_id: t.creator_id,
      created_at: t.created_at, updated_at: t.updated_at,
    };
  }

  function addLog(t, me, action, detail = '', reason = null) {
    t.log.push({ at: now(), actor_id: me ? me.id : null, actor_name: me ? uname(me.id) : 'system', action, detail, reason });
  }
  function notify(userId, kind, t, me, text, reason = null) {
    if (!userId || (me && userId === me.id)) return;
    inbox.push({
      id: nextId(), user_id: userId, kind, task_id: t.id, task_title: t.title, actor_id: me ? me.id : null,
      text, reason, read: false, follow_up: false, created_at: now(),
    });
  }
  function touch(t) {
    t.rev++;
    t.updated_at = now();
  }
  function participate(t, uid) {
    if (!t.participants.includes(uid)) t.participants.push(uid);
  }
  function getTask(me, id) {
    const t = tasks.find((x) => x.id === Number(id));
    if (!t || !canSee(me, t)) throw new HttpError(404, 'not_found', 'no such task');
    return t;
  }
  function checkRev(t, body) {
    if (body.rev === undefined) throw invalid('rev is required', 'rev');
    if (body.rev !== t.rev) throw new HttpError(409, 'conflict', 'the task was changed by someone else');
  }
  function validDate(v, field) {
    if (v == null || v === '') return null;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw invalid(`${field}: not a date-time`, field);
    return d.toISOString();
  }
  function checkMembers(p, ids, what) {
    for (const id of ids) {
      const u = user(id);
      if (!u) throw invalid(`${what}: unknown user #${id}`, what);
      if (!p.members.includes(id)) throw invalid(`${what}: ${u.username} is not a member of ${p.name}`, what);
    }
  }
  function buildNodes(p, raw, kind) {
    if (!Array.isArray(raw) || raw.length === 0) throw invalid('a task needs at least one node', 'nodes');
    if (kind === 'simple' && raw.length !== 1) throw invalid('a simple task has exactly one node', 'nodes');
    return raw.map((n) => {
      if (!n.handler_id) throw invalid('every node needs a handler', 'nodes');
      checkMembers(p, [n.handler_id], 'nodes');
      return {
        id: n.id || nextId(), handler_id: n.handler_id, action: String(n.action || '').trim(), due_at: validDate(n.due_at, 'nodes'),
        state: 'waiting', received_at: null, started_at: null, done_at: null,
      };
    });
  }
  function activate(t, idx, me, kind = 'assigned', reason = null) {
    const n = t.nodes[idx];
    n.state = 'active';
    n.received_at = now();
    n.started_at = null;
    n.done_at = null;
    t.current_node = idx;
    participate(t, n.handler_id);
    const text = { assigned: `${uname(me.id)} 把任务交给你：${n.action || t.title}`, returned: `${uname(me.id)} 回退了任务`, withdrawn: `${uname(me.id)} 撤回了任务` }[kind] || '';
    notify(n.handler_id, kind, t, me, text, reason);
  }

  function create(me, p, body, extra = {}) {
    const kind = body.kind === 'simple' ? 'simple' : body.kind === 'workflow' ? 'workflow' : null;
    if (!kind) throw invalid('kind must be simple or workflow', 'kind');
    const title = String(body.title || '').trim();
    if (!title) throw invalid('title is required', 'title');
    if (body.priority && !PRIORITIES.includes(body.priority)) throw invalid('unknown priority', 'priority');
    if (body.business_type && !p.business_types.includes(body.business_type)) throw invalid(`unknown business type ${body.business_type}`, 'business_type');
    const watchers = [...new Set(body.watchers || [])];
    const editors = [...new Set(body.editors || [])];
    for (const id of [...watchers, ...editors]) if (!user(id)) throw invalid(`unknown user #${id}`, 'watchers');
    const t = {
      id: nextId(), rev: 1, project_id: p.id, title, description: body.description || '', kind,
      business_type: body.business_type || null, priority: body.priority || 'normal', due_at: validDate(body.due_at, 'due_at'),
      creator_id: me.id, status: 'open', archived: false, created_at: now(), updated_at: now(), finished_at: null,
      current_node: 0, nodes: buildNodes(p, body.nodes, kind),
      checklist: (body.checklist || []).filter((x) => String(x).trim()).map((x) => ({ id: nextId(), text: String(x).trim(), done: false, done_by: null, done_at: null })),
      watchers, editors, attachments: [], source: extra.source || null, participants: [], log: [], comments: [], files: new Map(),
    };
    tasks.push(t);
    addLog(t, me, 'create', extra.detail || '');
    activate(t, 0, me);
    return t;
  }

  function flowOp(me, t, op, body) {
    checkRev(t, body);
    const ops = allowed(me, t).ops;
    if (!ops.includes(op)) {
      const why =
        t.status !== 'open' ? 'the task is finished' : `you may not ${op} this task now (allowed: ${ops.join(', ') || 'nothing'})`;
      throw new HttpError(403, 'forbidden', why);
    }
    const c = t.current_node;
    const cur = t.nodes[c];
    const reason = body.reason && String(body.reason).trim() ? String(body.reason).trim() : null;
    const nodeLabel = `#${c + 1} ${cur.action || ''}`.trim();
    switch (op) {
      case 'complete':
        cur.state = 'done';
        cur.started_at = cur.started_at || now();
        cur.done_at = now();
        addLog(t, me, 'complete', nodeLabel, reason);
        if (c + 1 < t.nodes.length) activate(t, c + 1, me);
        else {
          t.status = 'done';
          t.current_node = null;
          t.finished_at = now();
          const told = new Set([t.creator_id, ...t.watchers]);
          for (const uid of told) notify(uid, 'finished', t, me, `任务已完成：${t.title}`);
        }
        break;
      case 'start':
        cur.state = 'started';
        cur.started_at = now();
        addLog(t, me, 'start', nodeLabel, reason);
        break;
      case 'transfer': {
        const to = Number(body.to);
        const target = user(to);
        if (!target || !project(t.project_id).members.includes(to)) throw invalid('transfer: the target must be a member of the project', 'to');
        if (to === cur.handler_id) throw invalid('transfer: that user already handles this node', 'to');
        cur.handler_id = to;
        cur.state = 'active';
        cur.received_at = now();
        cur.started_at = null;
        participate(t, to);
        addLog(t, me, 'transfer', `${nodeLabel} → ${uname(to)}`, reason);
        notify(to, 'transferred', t, me, `${uname(me.id)} 把任务转给你`, reason);
        break;
      }
      case 'return':
        if (!reason) throw invalid('return: a reason is required', 'reason');
        cur.state = 'waiting';
        cur.received_at = null;
        cur.started_at = null;
        addLog(t, me, 'return', `#${c + 1} → #${c}`, reason);
        activate(t, c - 1, me, 'returned', reason);
        break;
      case 'urge':
        addLog(t, me, 'urge', `${nodeLabel} · ${uname(cur.handler_id)}`, reason);
        notify(cur.handler_id, 'urged', t, me, `${uname(me.id)} 催办：${t.title}`, reason);
        break;
      case 'withdraw': {
        const was = cur.handler_id;
        cur.state = 'waiting';
        cur.received_at = null;
        addLog(t, me, 'withdraw', `#${c + 1} → #${c}`, reason);
        const prev = t.nodes[c - 1];
        prev.state = 'active';
        prev.received_at = now();
        prev.done_at = null;
        prev.started_at = null;
        t.current_node = c - 1;
        notify(was, 'withdrawn', t, me, `${uname(me.id)} 撤回了任务`, reason);
        break;
      }
      default:
        throw new HttpError(404, 'not_found', 'unknown operation');
    }
    touch(t);
    return t;
  }

  function patch(me, t, body) {
    checkRev(t, body);
    if (!canEdit(me, t)) throw new HttpError(403, 'forbidden', 'only the creator, editors and admins may edit this task');
    const p = project(t.project_id);
    const changed = [];
    if (body.title !== undefined) {
      if (!String(body.title).trim()) throw invalid('title is required', 'title');
      t.title = String(body.title).trim();
      changed.push('title');
    }
    if (body.description !== undefined) (t.description = String(body.description)), changed.push('description');
    if (body.business_type !== undefined) {
      if (body.business_type && !p.business_types.includes(body.business_type)) throw invalid('unknown business type', 'business_type');
      t.business_type = body.business_type || null;
      changed.push('business_type');
    }
    if (body.priority !== undefined) {
      if (!PRIORITIES.includes(body.priority)) throw invalid('unknown priority', 'priority');
      t.priority = body.priority;
      changed.push('priority');
    }
    if (body.due_at !== undefined) (t.due_at = validDate(body.due_at, 'due_at')), changed.push('due_at');
    if (body.watchers !== undefined) (t.watchers = [...new Set(body.watchers)]), changed.push('watchers');
    if (body.editors !== undefined) (t.editors = [...new Set(body.editors)]), changed.push('editors');
    if (body.nodes !== undefined) {
      const c = t.current_node == null ? t.nodes.length - 1 : t.current_node;
      for (let i = 0; i <= c; i++) {
        const a = t.nodes[i];
        const b = body.nodes[i];
        if (!b || b.id !== a.id || b.handler_id !== a.handler_id || (b.action ?? '') !== a.action)
          throw invalid('nodes up to and including the current one cannot change', 'nodes');
      }
      if (t.kind === 'simple' && body.nodes.length !== 1) throw invalid('a simple task has exactly one node', 'nodes');
      const rest = body.nodes.slice(c + 1);
      t.nodes = [...t.nodes.slice(0, c + 1), ...(rest.length ? buildNodes(p, rest, 'workflow') : [])];
      changed.push('nodes');
    }
    if (body.checklist !== undefined) {
      t.checklist = body.checklist
        .filter((x) => String(x.text || '').trim())
        .map((x) => {
          const old = x.id && t.checklist.find((c) => c.id === x.id);
          return old ? { ...old, text: String(x.text).trim() } : { id: nextId(), text: String(x.text).trim(), done: false, done_by: null, done_at: null };
        });
      changed.push('checklist');
    }
    addLog(t, me, 'edit', changed.join(', '));
    touch(t);
    return t;
  }

  function listTasks(me, p, q) {
    let items = tasks.filter((t) => t.project_id === p.id && canSee(me, t));
    const status = q.get('status') || 'open';
    if (status !== 'all') items = items.filter((t) => t.status === status);
    if (q.get('business_type')) items = items.filter((t) => t.business_type === q.get('business_type'));
    if (q.get('priority')) items = items.filter((t) => t.priority === q.get('priority'));
    if (q.get('handler')) {
      const h = Number(q.get('handler'));
      items = items.filter((t) => t.current_node != null && t.nodes[t.current_node].handler_id === h);
    }
    if (q.get('due_from')) items = items.filter((t) => t.due_at && t.due_at >= validDate(q.get('due_from'), 'due_from'));
    if (q.get('due_to')) items = items.filter((t) => t.due_at && t.due_at <= validDate(q.get('due_to'), 'due_to'));
    if (q.get('q')) {
      const needle = q.get('q').toLowerCase();
      items = items.filter((t) => t.title.toLowerCase().includes(needle) || t.description.toLowerCase().includes(needle));
    }
    const sort = q.get('sort') || 'created';
    const order = q.get('order') === 'asc' ? 1 : -1;
    const key = {
      created: (t) => t.created_at,
      updated: (t) => t.updated_at,
      due: (t) => t.due_at || '9999',
      priority: (t) => PRIO_RANK[t.priority],
    }[sort];
    if (!key) throw invalid('unknown sort', 'sort');
    items.sort((a, b) => (key(a) < key(b) ? -order : key(a) > key(b) ? order : (a.id - b.id) * order));
    const page = Math.max(1, Number(q.get('page')) || 1);
    const per = Math.min(100, Math.max(1, Number(q.get('per_page')) || 20));
    return { items: items.slice((page - 1) * per, page * per).map(summary), total: items.length, page, per_page: per };
  }

  function checkTemplate(body, partial) {
    if (!partial || body.name !== undefined) {
      if (!String(body.name || '').trim()) throw invalid('name is required', 'name');
    }
    if (!partial || body.nodes !== undefined) {
      if (!Array.isArray(body.nodes)) throw invalid('nodes must be a list', 'nodes');
      for (const n of body.nodes) {
        if (n.handler_id != null && !user(n.handler_id)) throw invalid(`unknown user #${n.handler_id}`, 'nodes');
        if (n.due_in_hours != null && !(Number(n.due_in_hours) > 0)) throw invalid('due_in_hours must be positive', 'nodes');
      }
    }
  }
  const tplNodes = (nodes) =>
    nodes.map((n) => ({ handler_id: n.handler_id ?? null, action: String(n.action || '').trim(), due_in_hours: n.due_in_hours == null ? null : Number(n.due_in_hours) }));

  if (seed) {
    const admin = users[0];
    const erp = projects.find((p) => p.builtin === 'erp');
    create(
      admin,
      erp,
      {
        kind: 'simple', title: 'SKU A-1001 缺货超过 3 天', description: '请联系供应商补货，**今天**内回复。', business_type: '缺货',
        priority: 'high', nodes: [{ handler_id: admin.id, action: '联系供应商' }], checklist: ['确认库存', '下采购单'],
      },
      {
        source: {
          scenario_id: 7, scenario_name: '缺货提醒', scenario_version: 3, fired_at: now(), record_kind: 'stock', record_id: 'A-1001',
          record: { sku: 'A-1001', warehouse: 'US-West', available: 0, days_out_of_stock: 4, supplier: { name: 'Shenzhen Co.' } },
        },
        detail: 'scenario 缺货提醒 v3',
      },
    );
  }

  return function handle(req, m, path, query, body, me, raw) {
    let r;
    // ------------------------------------------------------------ templates
    if (path === '/api/templates') {
      if (m === 'GET') return [200, { items: templates }];
      if (m === 'POST') {
        if (!isAdmin(me)) throw new HttpError(403, 'forbidden', 'only admins manage workflow templates');
        checkTemplate(body, false);
        const tpl = { id: nextId(), name: String(body.name).trim(), builtin: null, nodes: tplNodes(body.nodes), rev: 1 };
        templates.push(tpl);
        return [201, tpl];
      }
    }
    if ((r = /^\/api\/templates\/(\d+)$/.exec(path))) {
      const tpl = templates.find((x) => x.id === Number(r[1]));
      if (!tpl) throw new HttpError(404, 'not_found', 'no such template');
      if (m === 'GET') return [200, tpl];
      if (!isAdmin(me)) throw new HttpError(403, 'forbidden', 'only admins manage workflow templates');
      if (tpl.builtin) throw new HttpError(403, 'forbidden', 'built-in templates cannot be changed');
      if (m === 'PATCH') {
        if (body.rev !== tpl.rev) throw new HttpError(409, 'conflict', 'the template was changed by someone else');
        checkTemplate(body, true);
        if (body.name !== undefined) tpl.name = String(body.name).trim();
        if (body.nodes !== undefined) tpl.nodes = tplNodes(body.nodes);
        tpl.rev++;
        return [200, tpl];
      }
      if (m === 'DELETE') {
        templates.splice(templates.indexOf(tpl), 1);
        return [204];
      }
    }

    // ------------------------------------------------------------ project tasks
    if ((r = /^\/api\/projects\/(\d+)\/tasks$/.exec(path))) {
      const p = project(r[1]);
      if (!isAdmin(me) && !p.members.includes(me.id)) throw new HttpError(404, 'not_found', 'no such project');
      if (m === 'GET') return [200, listTasks(me, p, query)];
      if (m === 'POST') {
        if (p.archived) throw new HttpError(409, 'conflict', 'the project is archived');
        return [201, view(me, create(me, p, body))];
      }
    }
    if ((r = /^\/api\/projects\/(\d+)\/archive-finished$/.exec(path)) && m === 'POST') {
      const p = project(r[1]);
      if (!isAdmin(me)) throw new HttpError(403, 'forbidden', 'admins only');
      let n = 0;
      for (const t of tasks) if (t.project_id === p.id && t.status === 'done' && !t.archived) (t.archived = true), touch(t), n++;
      return [200, { archived: n }];
    }

    // ------------------------------------------------------------ one task
    if ((r = /^\/api\/tasks\/(\d+)$/.exec(path))) {
      const t = getTask(me, r[1]);
      if (m === 'GET') return [200, view(me, t)];
      if (m === 'PATCH') return [200, view(me, patch(me, t, body))];
      if (m === 'DELETE') {
        if (!allowed(me, t).delete) throw new HttpError(403, 'forbidden', 'only the creator or an admin may delete a task');
        tasks.splice(tasks.indexOf(t), 1);
        return [204];
      }
    }
    if ((r = /^\/api\/tasks\/(\d+)\/(complete|start|transfer|return|urge|withdraw)$/.exec(path)) && m === 'POST') {
      const t = getTask(me, r[1]);
      return [200, view(me, flowOp(me, t, r[2], body))];
    }
    if ((r = /^\/api\/tasks\/(\d+)\/checklist\/(\d+)$/.exec(path)) && m === 'POST') {
      const t = getTask(me, r[1]);
      checkRev(t, body);
      if (!allowed(me, t).check) throw new HttpError(403, 'forbidden', 'only the current handler may tick checklist items');
      const item = t.checklist.find((x) => x.id === Number(r[2]));
      if (!item) throw new HttpError(404, 'not_found', 'no such checklist item');
      item.done = !!body.done;
      item.done_by = item.done ? me.id : null;
      item.done_at = item.done ? now() : null;
      const cur = t.nodes[t.current_node];
      if (cur.state === 'active') (cur.state = 'started'), (cur.started_at = now());
      addLog(t, me, item.done ? 'check' : 'uncheck', item.text);
      touch(t);
      return [200, view(me, t)];
    }
    if ((r = /^\/api\/tasks\/(\d+)\/(copy|move|archive)$/.exec(path)) && m === 'POST') {
      const t = getTask(me, r[1]);
      if (r[2] === 'archive') {
        if (!allowed(me, t).archive) throw new HttpError(403, 'forbidden', 'only admins archive, and only finished tasks');
        t.archived = true;
        addLog(t, me, 'archive');
        touch(t);
        return [200, view(me, t)];
      }
      const target = project(body.project_id);
      if (!isAdmin(me) && !target.members.includes(me.id)) throw new HttpError(403, 'forbidden', 'you are not a member of that project');
      if (r[2] === 'copy') {
        const c = create(
          me,
          target,
          {
            kind: t.kind, title: t.title, description: t.description,
            business_type: target.business_types.includes(t.business_type) ? t.business_type : null, priority: t.priority,
            due_at: t.due_at, nodes: t.nodes.map((n) => ({ handler_id: n.handler_id, action: n.action, due_at: n.due_at })),
            checklist: t.checklist.map((x) => x.text), watchers: t.watchers, editors: t.editors,
          },
          { detail: `copy of #${t.id}` },
        );
        addLog(t, me, 'copy', `→ #${c.id}`);
        return [201, view(me, c)];
      }
      checkRev(t, body);
      if (!canEdit(me, t)) throw new HttpError(403, 'forbidden', 'only the creator, editors and admins may move this task');
      checkMembers(target, t.nodes.map((n) => n.handler_id), 'project_id');
      addLog(t, me, 'move', `${project(t.project_id).name} → ${target.name}`);
      t.project_id = target.id;
      if (t.business_type && !target.business_types.includes(t.business_type)) t.business_type = null;
      touch(t);
      return [200, view(me, t)];
    }

    // ------------------------------------------------------------ comments, log, attachments
    if ((r = /^\/api\/tasks\/(\d+)\/comments$/.exec(path))) {
      const t = getTask(me, r[1]);
      if (m === 'GET') return [200, { items: t.comments }];
      if (m === 'POST') {
        const text = String(body.body || '').trim();
        if (!text) throw invalid('the comment is empty', 'body');
        const mentions = [...text.matchAll(/@([A-Za-z0-9_.-]+)/g)].map((x) => users.find((u) => u.username === x[1])).filter(Boolean).map((u) => u.id);
        const c = { id: nextId(), author_id: me.id, body: text, body_html: miniMarkdown(text), mentions: [...new Set(mentions)], created_at: now() };
        t.comments.push(c);
        addLog(t, me, 'comment', text.slice(0, 80));
        for (const uid of c.mentions) notify(uid, 'mentioned', t, me, `${uname(me.id)} 在评论中提到了你`);
        const cur = t.current_node != null ? t.nodes[t.current_node].handler_id : null;
        for (const uid of new Set([t.creator_id, cur])) if (!c.mentions.includes(uid)) notify(uid, 'commented', t, me, `${uname(me.id)} 评论了任务`);
        return [201, c];
      }
    }
    if ((r = /^\/api\/tasks\/(\d+)\/log$/.exec(path)) && m === 'GET') return [200, { items: getTask(me, r[1]).log }];
    if ((r = /^\/api\/tasks\/(\d+)\/attachments$/.exec(path)) && m === 'POST') {
      const t = getTask(me, r[1]);
      if (raw.length > attachmentLimit) throw new HttpError(413, 'too_large', `the file is larger than ${attachmentLimit} bytes`);
      const part = parseMultipart(raw, req.headers['content-type']).find((x) => x.name === 'file');
      if (!part) throw invalid('multipart field "file" is missing', 'file');
      const a = { id: nextId(), name: part.filename || 'file', size: part.data.length, content_type: part.contentType, uploaded_by: me.id, uploaded_at: now() };
      t.attachments.push(a);
      t.files.set(a.id, part.data);
      addLog(t, me, 'attach', a.name);
      touch(t);
      return [201, a];
    }
    if ((r = /^\/api\/tasks\/(\d+)\/attachments\/(\d+)$/.exec(path))) {
      const t = getTask(me, r[1]);
      const a = t.attachments.find((x) => x.id === Number(r[2]));
      if (!a) throw new HttpError(404, 'not_found', 'no such attachment');
      if (m === 'GET')
        return [200, { raw: t.files.get(a.id), headers: { 'Content-Type': a.content_type, 'Content-Disposition': `attachment; filename="${encodeURIComponent(a.name)}"` } }];
      if (m === 'DELETE') {
        if (a.uploaded_by !== me.id && !canEdit(me, t)) throw new HttpError(403, 'forbidden', 'not yours');
        t.attachments = t.attachments.filter((x) => x !== a);
        addLog(t, me, 'detach', a.name);
        touch(t);
        return [204];
      }
    }

    // ------------------------------------------------------------ my work
    if (m === 'GET' && path === '/api/my/todo') {
      const mine = tasks.filter((t) => t.status === 'open' && !t.archived && t.nodes[t.current_node].handler_id === me.id);
      const newest = (a, b) => (a.updated_at < b.updated_at ? 1 : -1);
      return [
        200,
        {
          overdue: mine.filter(overdue).sort(newest).map(summary),
          new: mine.filter((t) => !overdue(t) && t.nodes[t.current_node].state === 'active').sort(newest).map(summary),
          started: mine.filter((t) => !overdue(t) && t.nodes[t.current_node].state === 'started').sort(newest).map(summary),
        },
      ];
    }
    if (m === 'GET' && (r = /^\/api\/my\/(done|created|watching)$/.exec(path))) {
      const pick = {
        done: (t) => t.nodes.some((n) => n.handler_id === me.id && n.state === 'done'),
        created: (t) => t.creator_id === me.id,
        watching: (t) => t.watchers.includes(me.id),
      }[r[1]];
      return [200, { items: tasks.filter(pick).sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1)).map(summary) }];
    }

    // ------------------------------------------------------------ inbox
    if (m === 'GET' && path === '/api/inbox') {
      let items = inbox.filter((x) => x.user_id === me.id);
      const unread = items.filter((x) => !x.read).length;
      if (query.get('unread') === 'true') items = items.filter((x) => !x.read);
      if (query.get('follow_up') === 'true') items = items.filter((x) => x.follow_up);
      if (query.get('kind')) {
        if (!INBOX_KINDS.includes(query.get('kind'))) throw invalid('unknown kind', 'kind');
        items = items.filter((x) => x.kind === query.get('kind'));
      }
      items = items.slice().sort((a, b) => b.id - a.id);
      if (query.get('before')) items = items.filter((x) => x.id < Number(query.get('before')));
      const limit = Math.min(200, Number(query.get('limit')) || 50);
      return [200, { items: items.slice(0, limit).map(({ user_id, ...x }) => x), unread }];
    }
    if (m === 'GET' && path === '/api/inbox/unread-count') return [200, { unread: inbox.filter((x) => x.user_id === me.id && !x.read).length }];
    if (m === 'POST' && path === '/api/inbox/read-all') {
      for (const x of inbox) if (x.user_id === me.id) x.read = true;
      return [204];
    }
    if (m === 'POST' && (r = /^\/api\/inbox\/(\d+)\/(read|follow-up)$/.exec(path))) {
      const x = inbox.find((v) => v.id === Number(r[1]) && v.user_id === me.id);
      if (!x) throw new HttpError(404, 'not_found', 'no such message');
      if (r[2] === 'read') x.read = !!body.read;
      else x.follow_up = !!body.follow_up;
      const { user_id, ...out } = x;
      return [200, out];
    }
    return null;
  };
}
