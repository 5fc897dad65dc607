// Checks on web/ that need no server or browser: translations are complete and
// consistent, and nothing in the UI would be blocked by the server's CSP.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './server.mjs';

const WEB = join(REPO_ROOT, 'web');

function files(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

function flatten(obj, prefix = '', out = new Map()) {
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === 'object') flatten(v, `${prefix}${k}.`, out);
    else out.set(`${prefix}${k}`, v);
  }
  return out;
}

const zh = flatten(JSON.parse(readFileSync(join(WEB, 'i18n/zh-CN.json'), 'utf8')));
const en = flatten(JSON.parse(readFileSync(join(WEB, 'i18n/en.json'), 'utf8')));
const ownJs = files(join(WEB, 'js')).concat(join(WEB, 'app.js')).filter((f) => f.endsWith('.js'));

test('zh-CN and en have the same keys, all non-empty strings', () => {
  assert.deepEqual([...zh.keys()].filter((k) => !en.has(k)), [], 'keys missing in en.json');
  assert.deepEqual([...en.keys()].filter((k) => !zh.has(k)), [], 'keys missing in zh-CN.json');
  for (const [k, v] of [...zh, ...en]) assert.ok(typeof v === 'string' && v.trim(), `empty translation ${k}`);
});

test('placeholders agree between languages', () => {
  const ph = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
  for (const [k, v] of zh) assert.equal(ph(en.get(k)), ph(v), `placeholders of ${k}`);
});

test('every literal t() key used by the UI exists', () => {
  const missing = [];
  for (const f of ownJs) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/\bt\('([a-zA-Z0-9_]+(?:\.[a-zA-Z0-9_]+)+)'/g)) {
      if (m[1] === 'a.b') continue; // the example in i18n.js' comment
      if (!zh.has(m[1])) missing.push(`${relative(REPO_ROOT, f)}: ${m[1]}`);
    }
    for (const m of src.matchAll(/'((?:login|errors)\.[a-zA-Z_]+)'/g)) {
      if (!zh.has(m[1])) missing.push(`${relative(REPO_ROOT, f)}: ${m[1]}`);
    }
  }
  for (const r of ['company_admin', 'department_admin', 'member']) if (!zh.has(`roles.${r}`)) missing.push(`roles.${r}`);
  assert.deepEqual(missing, []);
});

test('nothing the CSP would block: no inline script/style, no style attributes, no remote assets', () => {
  const html = readFileSync(join(WEB, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<style/i);
  for (const m of html.matchAll(/<script\b([^>]*)>/gi)) assert.match(m[1], /\bsrc=/, 'inline <script>');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'inline event handler');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, 'remote asset');
  for (const f of ownJs.concat(join(WEB, 'index.html'))) {
    const src = readFileSync(f, 'utf8');
    assert.doesNotMatch(src, /\sstyle=/, `style attribute in ${relative(REPO_ROOT, f)}`);
    assert.doesNotMatch(src, /\b(eval|new Function)\(/, `eval in ${relative(REPO_ROOT, f)}`);
    assert.doesNotMatch(src, /https?:\/\/(?!127\.0\.0\.1)/, `absolute URL in ${relative(REPO_ROOT, f)}`);
  }
});

test('index.html preloads exactly the static import graph of the entry module (page modules load lazily)', () => {
  const html = readFileSync(join(WEB, 'index.html'), 'utf8');
  assert.match(html, /<!-- importmap -->/, 'the marker where the server puts the import map');
  assert.ok(html.indexOf('<!-- importmap -->') < html.search(/<link rel="modulepreload"|<script/), 'import map marker after a module load');
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)"/g)].map((m) => m[1]);
  for (const href of preloaded) assert.ok(statSync(join(WEB, href)).isFile(), `${href} does not exist`);
  // what the entry module pulls in through static imports (dynamic import() excluded)
  const graph = new Set();
  const walk = (file) => {
    const href = `/${relative(WEB, file)}`;
    if (graph.has(href)) return;
    graph.add(href);
    for (const m of readFileSync(file, 'utf8').matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)) walk(join(file, '..', m[1]));
  };
  walk(join(WEB, 'app.js'));
  graph.delete('/app.js');
  assert.deepEqual([...preloaded].sort(), [...graph].sort(), 'preloads differ from the static import graph');
  for (const heavy of ['/js/pages/task.js', '/js/pages/scenarios.js', '/js/pages/tasks.js']) assert.ok(!graph.has(heavy), `${heavy} is loaded up front`);
});

test('the vendored module matches the checksum in web/vendor/README.md', () => {
  const readme = readFileSync(join(WEB, 'vendor/README.md'), 'utf8');
  const want = /`([0-9a-f]{64})`/.exec(readme)?.[1];
  const got = createHash('sha256').update(readFileSync(join(WEB, 'vendor/htm-preact-standalone.mjs'))).digest('hex');
  assert.equal(got, want);
});

test('key families built at run time (`tasks.op.${op}` …) are complete', () => {
  const families = {
    'tasks.op': ['start', 'complete', 'transfer', 'return', 'urge', 'withdraw', 'claim', 'release', 'add_before', 'add_after'],
    'tasks.opDone': ['start', 'complete', 'transfer', 'return', 'urge', 'withdraw', 'claim', 'release', 'add_before', 'add_after'],
    'tasks.opExplain': ['return', 'urge', 'withdraw', 'add_before', 'add_after'],
    'tasks.kinds': ['single', 'all', 'any', 'claim'],
    'tasks.shareState': ['waiting', 'active', 'started', 'done', 'closed'],
    'tasks.state': ['waiting', 'active', 'started', 'done'],
    'tasks.priority': ['low', 'normal', 'high', 'urgent'],
    'tasks.kind': ['simple', 'workflow'],
    'tasks.status': ['open', 'done', 'all'],
    'tasks.sort': ['created', 'updated', 'due', 'priority'],
    'tasks.log': ['create', 'receive', 'start', 'complete', 'transfer', 'return', 'urge', 'withdraw', 'edit', 'comment', 'attach', 'detach', 'copy', 'move', 'archive', 'delete', 'due_soon', 'overdue', 'escalation', 'auto_close', 'claim', 'release', 'add_before', 'add_after'],
    'inbox.kind': ['assigned', 'transferred', 'returned', 'withdrawn', 'urged', 'mentioned', 'commented', 'due_soon', 'overdue', 'finished', 'escalation', 'feedback', 'feedback_new', 'announcement'],
    'inbox.msg': ['assigned', 'transferred', 'returned', 'withdrawn', 'urged', 'mentioned', 'commented', 'due_soon', 'overdue', 'finished', 'escalation', 'feedback', 'feedback_new', 'announcement'],
    'inbox.filters': ['all', 'unread', 'follow_up'],
    'mywork.tabs': ['todo', 'to_claim', 'done', 'created', 'watching'],
    'mywork.groups': ['overdue', 'new', 'started'],
    'mywork.empty': ['done', 'created', 'watching', 'to_claim'],
    'tasks.logDetail': ['started', 'next', 'finished', 'transferred', 'returned', 'urged', 'withdrew', 'received', 'created', 'dueSoon', 'overdue', 'escalation', 'autoClosed', 'shareDone', 'shareTransferred', 'claimed', 'released', 'addedBefore', 'addedAfter'],
    'me.events': ['assigned', 'transferred', 'returned', 'urged', 'due_soon', 'overdue', 'escalation', 'finished', 'mentioned', 'announcement'],
    'feedback.kinds': ['question', 'request', 'problem'],
    'feedback.statuses': ['open', 'answered', 'closed'],
  };
  const missing = [];
  for (const [prefix, names] of Object.entries(families)) for (const n of names) if (!zh.has(`${prefix}.${n}`)) missing.push(`${prefix}.${n}`);
  assert.deepEqual(missing, []);
  // and every template-literal family of these areas used in the code is listed above
  const used = new Set();
  for (const f of ownJs) for (const m of readFileSync(f, 'utf8').matchAll(/t\(`([a-zA-Z0-9_.]+)\.\$\{/g)) used.add(m[1]);
  const areas = /^(tasks|inbox|mywork|templates)\./;
  assert.deepEqual([...used].filter((p) => areas.test(p) && !families[p]), []);
});

test('one date format: no toLocaleString/toLocaleDateString outside i18n.js (use fmtTime/fmtDate)', () => {
  const offenders = ownJs
    .filter((f) => !f.endsWith(join('js', 'i18n.js')))
    .filter((f) => /\.toLocale(Date|Time)?String\(/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(REPO_ROOT, f));
  assert.deepEqual(offenders, []);
});

test('English plurals are words, not "(s)"; counts of one have a _one form where the noun changes', () => {
  assert.deepEqual([...en].filter(([, v]) => /\(s\)/.test(v)).map(([k]) => k), []);
  for (const k of ['departments.userCount', 'scenarios.firedTimes', 'projects.memberCount', 'scenarios.inDays']) assert.ok(en.has(`${k}_one`), k);
});

test('old logs: a "receive" line right after an event is folded into it (one line per event)', async () => {
  const { foldReceipts } = await import('../../web/js/tasklog.js');
  const folded = foldReceipts([
    { action: 'create', at: '1', detail: "created 'x'" },
    { action: 'receive', at: '1', detail: 'step 1 to user 5' },
    { action: 'withdraw', at: '2', detail: 'withdrew step 2 back to step 1' },
    { action: 'receive', at: '2', detail: 'step 1 to user 5' },
    { action: 'urge', at: '3', detail: 'urged user 6 on step 2' },
    { action: 'complete', at: '4', detail: 'completed step 1; step 2 is next', received_by: 6 },
  ]);
  assert.deepEqual(folded.map((x) => [x.action, x.received_by ?? null]), [
    ['create', 5],
    ['withdraw', 5],
    ['urge', null],
    ['complete', 6],
  ]);
});
