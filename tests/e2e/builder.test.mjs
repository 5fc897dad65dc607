// The scenario builder against the real server (issue 14): an admin builds "PO above
// 5000 → buyer (a record field) then finance (the admin of 财务部), watchers the
// company admins, escalate 24 h after due" entirely through the form — a bad money
// value is shown at its field first — dry-runs it before the first save, saves it,
// and it opens in the builder again; the ERP pushes two purchase orders (one above,
// one below) and exactly one task is made. A hand-edited script opens in the code
// editor with the reason. "Order out of stock for more than 3 days", built through the
// form with no wake_at, fires by time alone within a tick of the 3 days. The builder fits
// a 390 px phone.
//
// Run from tests/e2e:  node --test builder.test.mjs
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, request } from 'playwright-core';
import { adminPage } from './admin-page.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH, startBaton } from './server.mjs';

const IMG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'img');

let server;
let browser;
let api;
let h;
let token;
let skip = null;

before(async () => {
  if (process.env.BATON_E2E_MOCK === '1') {
    skip = 'the mock has no scenario builder';
    return;
  }
  // a 1 s tick: a time-based scenario fires within a second of its derived wake time
  server = await startBaton({ config: 'scheduler_interval = "1s"\n' });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  api = await request.newContext({ baseURL: server.url });
  const login = await api.post('/api/login', { data: { username: 'admin', password: server.adminPassword } });
  assert.equal(login.status(), 200, await login.text());
  h = { 'X-CSRF-Token': (await login.json()).csrf_token };
  const tok = await api.post('/api/tokens', { data: { name: 'erp-builder', scopes: ['erp:write'] }, headers: h });
  assert.equal(tok.status(), 201, await tok.text());
  token = (await tok.json()).token;
  // finance with its admin, and a buyer
  const dept = await api.post('/api/departments', { data: { name: '财务部' }, headers: h });
  assert.ok(dept.status() < 300, await dept.text());
  const deptId = (await dept.json()).id;
  for (const [username, role, department_id] of [['fin-boss', 'department_admin', deptId], ['buyer-li', 'member', null]]) {
    const u = await api.post('/api/users', {
      data: { username, display_name: username, role, department_id, erp: true, password: 'Builder-Passw0rd-1' },
      headers: h,
    });
    assert.ok(u.status() < 300, await u.text());
  }
  // the shipped PO scenario would fire on the same record: off, so one task is ours
  const list = await (await api.get('/api/scenarios')).json();
  const shipped = list.items.find((s) => s.key === 'po_over_5000');
  const off = await api.patch(`/api/scenarios/${shipped.id}`, { data: { enabled: false }, headers: h });
  assert.equal(off.status(), 200, await off.text());
});

after(async () => {
  await api?.dispose();
  await browser?.close();
  await server?.stop();
});

/** Polls `fn` until it returns something truthy (the page renders after a debounce). */
async function until(fn, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const script = (page) => page.getByTestId('builder-script').innerText();

async function push(records) {
  const res = await fetch(`${server.url}/api/erp/records`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ records }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

describe('scenario builder', { timeout: 240000 }, () => {
  test('PO above 5000 → buyer then finance, built through the form, makes one task', async (t) => {
    if (skip) return t.skip(skip);
    const { context, page, problems } = await adminPage(browser, server, { width: 1366, height: 900 });
    await page.goto(`${server.url}/admin/scenarios/new`);
    await page.getByTestId('builder-templates').waitFor();
    await page.locator('[data-testid="builder-template"][data-key="blank"]').click();
    await page.getByTestId('scenario-builder').waitFor();

    await page.getByTestId('builder-name').fill('PO above 5000 (builder)');
    await page.getByTestId('builder-id').fill('po_builder_e2e');
    await page.getByTestId('builder-kind').fill('purchase_order');
    const cond = page.getByTestId('builder-cond').first();
    await cond.getByTestId('builder-cond-field').fill('amount');
    await cond.getByTestId('builder-cond-op').selectOption('money_above');
    // not money: shown at the value, in words
    await cond.getByTestId('builder-cond-value').fill('5000.505');
    const err = page.locator('[data-testid="builder-error"][data-path="conditions[0].value"]');
    await err.waitFor();
    assert.match(await err.innerText(), /金额|amount/i); // in the company's language
    await cond.getByTestId('builder-cond-value').fill('5000');
    await err.waitFor({ state: 'detached' });

    await page.getByTestId('builder-title').fill('Approve PO ');
    await page.getByTestId('builder-insert').selectOption('id');
    await until(async () => (await page.getByTestId('builder-title').inputValue()) === 'Approve PO ${r.id}', 'the placeholder');
    await page.getByTestId('builder-due').fill('1');

    const node1 = page.getByTestId('builder-node').nth(0);
    await node1.getByTestId('builder-node-handler-by').selectOption('field');
    await node1.getByTestId('builder-node-handler-value').fill('buyer');
    await node1.getByTestId('builder-node-action').fill('Check price and quantity');
    await page.getByTestId('builder-node-add').click();
    const node2 = page.getByTestId('builder-node').nth(1);
    await node2.waitFor();
    await node2.getByTestId('builder-node-handler-by').selectOption('department_admin');
    await node2.getByTestId('builder-node-handler-value').fill('财务部');
    await node2.getByTestId('builder-node-action').fill('Approve the payment');
    await page.getByTestId('builder-watchers-add').click(); // the company admins by default
    await page.getByTestId('builder-esc-add').click(); // 24 h after due, to the company admins

    const want = [
      'const WATCHES = "purchase_order";',
      'cents(r.amount) > cents("5000")',
      'title: `Approve PO ${r.id}`',
      '#{ handler: r.buyer, action: "Check price and quantity" }',
      '#{ handler: responsible("财务部"), action: "Approve the payment" }',
      'watchers: users_with_role("company_admin")',
      '#{ after_hours: 24, from: "due", notify: users_with_role("company_admin") }',
    ];
    await until(async () => {
      const s = await script(page);
      return want.every((w) => s.includes(w));
    }, 'the script to show every part');
    assert.equal(await page.getByTestId('builder-error-count').count(), 0);
    assert.ok(!(await script(page)).includes('wake_at'));

    // the dry run works before the first save
    await page.getByTestId('dryrun-json').fill(JSON.stringify({ kind: 'purchase_order', id: 'PO-D1', data: { amount: '6000', buyer: 'buyer-li' } }));
    await page.getByTestId('dryrun-run').click();
    await page.getByTestId('dryrun-match').waitFor();
    assert.equal(await page.getByTestId('dryrun-task-title').innerText(), 'Approve PO PO-D1');
    if (await page.getByTestId('dryrun-problem').count()) assert.fail(await page.getByTestId('dryrun-problem').innerText());

    await page.getByTestId('builder-save').click();
    await page.waitForURL(/\/admin\/scenarios\/\d+$/);
    await page.getByTestId('scenario-version').waitFor();
    // it opens in the builder again, as built
    await page.getByTestId('scenario-builder').waitFor();
    assert.equal(await page.getByTestId('builder-name').inputValue(), 'PO above 5000 (builder)');
    assert.equal(await page.getByTestId('builder-node').count(), 2);
    await until(async () => (await script(page)).includes('cents("5000")'), 'the script of the saved form');
    // the screenshot in docs/scenarios.md, without the toast
    await page.reload();
    await page.getByTestId('scenario-builder').waitFor();
    await until(async () => (await script(page)).includes('cents("5000")'), 'the script after a reload');
    mkdirSync(IMG, { recursive: true });
    await page.screenshot({ path: join(IMG, 'scenario-builder.png'), fullPage: false });

    const res = await push([
      { kind: 'purchase_order', id: 'PO-B1', data: { amount: '5200.50', buyer: 'buyer-li' } },
      { kind: 'purchase_order', id: 'PO-B2', data: { amount: '4999.99', buyer: 'buyer-li' } },
    ]);
    assert.deepEqual(res.rejected, []);
    assert.equal(res.scenarios.errors, 0, JSON.stringify(res.scenarios));
    assert.equal(res.scenarios.tasks_created, 1, JSON.stringify(res.scenarios));
    const projects = await (await api.get('/api/projects')).json();
    const erp = projects.items.find((p) => p.builtin === 'erp');
    const tasks = await (await api.get(`/api/projects/${erp.id}/tasks?status=all`)).json();
    const ours = tasks.items.filter((x) => x.title.startsWith('Approve PO'));
    assert.deepEqual(ours.map((x) => x.title), ['Approve PO PO-B1']);

    // switching to code is always possible; an edit by hand then opens in code with the reason
    await page.getByTestId('builder-to-code').click();
    const src = page.getByTestId('scenario-source');
    await src.waitFor();
    await src.fill((await src.inputValue()).replace('cents("5000")', 'cents("6000")'));
    await page.getByTestId('scenario-save').click();
    await until(async () => (await page.getByTestId('scenario-version').innerText()).includes('2'), 'version 2');
    await page.reload();
    await page.getByTestId('builder-code-reason').waitFor();
    assert.match(await page.getByTestId('builder-code-reason').innerText(), /edited by hand/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('order out of stock for more than 3 days, built with no wake_at, fires by time alone', async (t) => {
    if (skip) return t.skip(skip);
    const { context, page, problems } = await adminPage(browser, server, { width: 1366, height: 900 });
    await page.goto(`${server.url}/admin/scenarios/new`);
    await page.locator('[data-testid="builder-template"][data-key="blank"]').click();
    await page.getByTestId('scenario-builder').waitFor();
    await page.getByTestId('builder-name').fill('Out of stock over 3 days (builder)');
    await page.getByTestId('builder-id').fill('oos_builder_e2e');
    await page.getByTestId('builder-kind').fill('order');
    const c1 = page.getByTestId('builder-cond').first();
    await c1.getByTestId('builder-cond-field').fill('status');
    await c1.getByTestId('builder-cond-op').selectOption('equals');
    await c1.getByTestId('builder-cond-value').fill('out_of_stock');
    await page.getByTestId('builder-cond-add').click();
    const c2 = page.getByTestId('builder-cond').nth(1);
    await c2.waitFor();
    await c2.getByTestId('builder-cond-field').fill('out_of_stock_since');
    await c2.getByTestId('builder-cond-op').selectOption('older_than_days');
    await c2.getByTestId('builder-cond-value').fill('3');
    await page.getByTestId('builder-title').fill('OOS builder ${r.id}');
    const node = page.getByTestId('builder-node').first();
    await node.getByTestId('builder-node-handler-value').fill('admin');
    await node.getByTestId('builder-node-action').fill('Restock');
    await until(async () => (await script(page)).includes('days_since(r.out_of_stock_since) > 3'), 'the time condition');
    assert.ok(!(await script(page)).includes('wake_at'), 'the form writes no wake_at');
    assert.equal(await page.getByTestId('builder-error-count').count(), 0);
    await page.getByTestId('builder-save').click();
    await page.waitForURL(/\/admin\/scenarios\/\d+$/);
    await page.getByTestId('scenario-version').waitFor();

    // out of stock for 3 days less 4 s: nothing yet; nothing more is pushed, and the
    // task comes from the derived wake time within a tick
    const since = new Date(Date.now() - 3 * 86400000 + 4000).toISOString();
    const res = await push([{ kind: 'order', id: 'SO-W1', data: { status: 'out_of_stock', out_of_stock_since: since } }]);
    assert.equal(res.scenarios.errors, 0, JSON.stringify(res.scenarios));
    const projects = await (await api.get('/api/projects')).json();
    const erp = projects.items.find((p) => p.builtin === 'erp');
    const ours = async () => {
      const tasks = await (await api.get(`/api/projects/${erp.id}/tasks?status=all&q=OOS`)).json();
      return tasks.items.filter((x) => x.title === 'OOS builder SO-W1');
    };
    assert.equal((await ours()).length, 0, 'not before the 3 days are up');
    await until(async () => (await ours()).length === 1, 'the task made by time alone', 30000);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the builder fits a 390 px phone', async (t) => {
    if (skip) return t.skip(skip);
    const { context, page, problems } = await adminPage(browser, server, { width: 390, height: 844 });
    await page.goto(`${server.url}/admin/scenarios/new`);
    await page.locator('[data-testid="builder-template"][data-key="order_out_of_stock"]').click();
    await page.getByTestId('scenario-builder').waitFor();
    await until(async () => (await script(page)).includes('days_since(r.out_of_stock_since) > 3'), 'the template script');
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `page is ${w}px wide on a 390px screen`);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
