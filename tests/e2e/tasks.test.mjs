// Task screens beyond the flow story: the project list (filters, sorting,
// pagination, cards on a phone), the task page's edit / comments / attachments /
// copy / move / archive / delete, a stale-rev conflict, and the inbox's actions.
//
// Run from tests/e2e:  node --test tasks.test.mjs   (BATON_E2E_MOCK=1 for the mock)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, apiSession, startBaton } from './server.mjs';

const STEP_TIMEOUT = 15000;
const PASSWORD = 'Tasks-Passw0rd-1';
let server;
let browser;
const ids = {};
let orders; // project ids
let other;
let adminApi;

before(async () => {
  server = await startBaton();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  adminApi = await apiSession(server.url, 'admin', server.adminPassword);
  ids.admin = (await adminApi.call('GET', '/api/me')).body.user.id;
  for (const [username, display_name] of [['ana', '采购安娜'], ['bob', '仓库小波']]) {
    const r = await adminApi.call('POST', '/api/users', { username, display_name, role: 'member', erp: false, password: PASSWORD });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids[username] = r.body.id;
  }
  const mk = async (name) => {
    const r = await adminApi.call('POST', '/api/projects', { name, members: [ids.admin, ids.ana, ids.bob], business_types: ['缺货', '采购'] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id;
  };
  orders = await mk('Orders');
  other = await mk('Suppliers');
  // 23 tasks for ana: 3 urgent out-of-stock ones, the rest normal purchase ones
  for (let i = 1; i <= 23; i++) {
    const urgent = i <= 3;
    const r = await adminApi.call('POST', `/api/projects/${orders}/tasks`, {
      kind: 'simple',
      title: `${urgent ? '缺货' : '采购'}任务 ${String(i).padStart(2, '0')}`,
      business_type: urgent ? '缺货' : '采购',
      priority: urgent ? 'urgent' : 'normal',
      nodes: [{ handler_id: ids.ana, action: '处理' }],
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
});

after(async () => {
  await adminApi?.close();
  await browser?.close();
  await server?.stop();
});

async function signIn(username, { viewport = { width: 1280, height: 860 }, password = PASSWORD } = {}) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // 401 before login; 409/413 are provoked on purpose below
    if (m.type() === 'error' && !/status of (401|409|413)/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.url}/`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('app-shell').waitFor();
  return { context, page, problems };
}

const rowTitles = (page) => page.getByTestId('task-row').evaluateAll((els) => els.map((e) => e.dataset.title));

/** Wait until the task table shows `n` rows and settles. */
async function waitRows(page, n) {
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="task-row"]').length === n && !document.querySelector('.table-wrap.is-loading'),
    n,
  );
}

describe('task screens', { timeout: 180000 }, () => {
  test('project task list: pagination, filters, sorting; cards on a phone', async () => {
    const { context, page, problems } = await signIn('ana');
    await page.goto(`${server.url}/projects/${orders}`);
    await page.getByTestId('project-tasks').waitFor();
    await waitRows(page, 20);
    assert.match(await page.getByTestId('page-info').innerText(), /1\/2.*23/);
    // newest first by default
    assert.equal((await rowTitles(page))[0], '采购任务 23');
    await page.getByTestId('page-next').click();
    await waitRows(page, 3);
    assert.match(await page.getByTestId('page-info').innerText(), /2\/2/);
    // oldest first
    await page.getByTestId('sort-order').click();
    await waitRows(page, 20);
    assert.equal((await rowTitles(page))[0], '缺货任务 01');
    // by priority, highest first
    await page.getByTestId('sort-by').selectOption('priority');
    await page.waitForFunction(() => document.querySelector('[data-testid="task-row"]')?.dataset.title.startsWith('采购'));
    await page.getByTestId('sort-order').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="task-row"]')?.dataset.title.startsWith('缺货'));
    // filters
    await page.getByTestId('filter-priority').selectOption('urgent');
    await waitRows(page, 3);
    await page.getByTestId('filter-priority').selectOption('');
    await page.getByTestId('filter-business-type').selectOption('采购');
    await page.getByTestId('page-info').filter({ hasText: /共 20 条/ }).waitFor();
    await waitRows(page, 20);
    await page.getByTestId('filter-q').fill('任务 07');
    await waitRows(page, 1);
    assert.deepEqual(await rowTitles(page), ['采购任务 07']);
    await page.getByTestId('filter-handler').selectOption(String(ids.bob));
    await page.getByTestId('tasks-empty').waitFor();
    await page.getByTestId('filter-reset').click();
    await waitRows(page, 20);
    await page.getByTestId('filter-status').selectOption('done');
    await page.getByTestId('tasks-empty').waitFor();
    // desktop: a real table
    await page.getByTestId('filter-status').selectOption('open');
    await waitRows(page, 20);
    assert.equal(await page.getByTestId('task-row').first().evaluate((e) => getComputedStyle(e).display), 'table-row');
    assert.deepEqual(problems, []);
    await context.close();

    // phone: cards, filters folded away, nothing overflows
    const phone = await signIn('ana', { viewport: { width: 375, height: 740 } });
    await phone.page.goto(`${server.url}/projects/${orders}`);
    await waitRows(phone.page, 20);
    assert.equal(await phone.page.getByTestId('task-row').first().evaluate((e) => getComputedStyle(e).display), 'block');
    assert.equal(await phone.page.getByTestId('filter-priority').isVisible(), false);
    await phone.page.getByTestId('filters-toggle').click();
    await phone.page.getByTestId('filter-priority').waitFor({ state: 'visible' });
    assert.ok((await phone.page.evaluate(() => document.documentElement.scrollWidth)) <= 375);
    // a card opens the task
    await phone.page.getByTestId('task-link').first().click();
    await phone.page.getByTestId('task-page').waitFor();
    assert.deepEqual(phone.problems, []);
    await phone.context.close();
  });

  test('task page: create, edit, comment with @mention, attachments, conflict, copy, move, archive, delete', async () => {
    const ana = await signIn('ana');
    const { page } = ana;
    await page.goto(`${server.url}/projects/${orders}`);
    await page.getByTestId('task-new').click();
    const cf = page.getByTestId('task-create-form');
    // a simple task by default: one handler, no add button
    await cf.getByTestId('task-kind-simple').and(page.locator(':checked')).waitFor();
    assert.equal(await cf.getByTestId('node-add').count(), 0);
    // the UI asks for a handler before sending
    await cf.getByTestId('task-title').fill('供应商 A 延期交货');
    await cf.getByTestId('task-create-submit').click();
    await cf.getByTestId('task-create-error').waitFor();
    await cf.getByTestId('node-handler').selectOption(String(ids.ana));
    await cf.getByTestId('node-action').fill('联系供应商确认交期');
    await cf.getByTestId('task-due').fill('2030-01-31T18:00');
    await cf.getByTestId('task-checklist-input').fill('打电话');
    await cf.getByTestId('task-checklist-input').press('Enter');
    await cf.getByTestId('task-editors').locator('[data-testid="user-option"][data-username="bob"]').check();
    await cf.getByTestId('task-create-submit').click();
    await page.getByTestId('task-page').waitFor();
    const taskId = await page.getByTestId('task-page').getAttribute('data-task-id');
    assert.match(await page.getByTestId('task-due').innerText(), /2030/);
    assert.match(await page.getByTestId('task-editors').innerText(), /仓库小波/);
    await page.getByTestId('checklist-item').first().waitFor();

    // edit: title and priority
    await page.getByTestId('task-edit').click();
    const ef = page.getByTestId('task-edit-form');
    await ef.getByTestId('edit-title').fill('供应商 A 延期交货（加急）');
    await ef.getByTestId('edit-priority').selectOption('urgent');
    await ef.getByTestId('task-edit-submit').click();
    await page.locator('h1').filter({ hasText: '（加急）' }).waitFor();
    await page.locator('[data-testid="task-badges"] [data-testid="priority-badge"]').filter({ hasText: '紧急' }).waitFor();
    await page.locator('[data-testid="log-entry"][data-action="edit"]').waitFor();

    // comment with an @mention picked from the suggestions
    await page.getByTestId('comment-body').fill('请仓库确认库存 @bo');
    await page.getByTestId('mention-option').filter({ hasText: '@bob' }).click();
    assert.equal(await page.getByTestId('comment-body').inputValue(), '请仓库确认库存 @bob ');
    await page.getByTestId('comment-body').type('谢谢');
    await page.getByTestId('comment-submit').click();
    await page.getByTestId('comment').filter({ hasText: '谢谢' }).waitFor();

    // attachments: upload, download, too large
    await page.getByTestId('attachment-input').setInputFiles({ name: 'invoice.txt', mimeType: 'text/plain', buffer: Buffer.from('invoice 42\n') });
    const att = page.locator('[data-testid="attachment"][data-name="invoice.txt"]');
    await att.waitFor();
    const href = await att.getByTestId('attachment-link').getAttribute('href');
    const dl = await page.request.get(`${server.url}${href}`);
    assert.equal(dl.status(), 200);
    assert.equal(await dl.text(), 'invoice 42\n');
    assert.match(dl.headers()['content-disposition'] || '', /attachment/);
    await page.getByTestId('attachment-input').setInputFiles({
      name: 'huge.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(10 * 1024 * 1024 + 4096, 1),
    });
    const attErr = page.getByTestId('attachment-error');
    await attErr.waitFor({ timeout: 30000 });
    assert.match(await attErr.innerText(), /huge\.bin.*太大/);
    assert.equal(await page.locator('[data-testid="attachment"][data-name="huge.bin"]').count(), 0);

    // a stale rev: another tab starts the node, this one then tries to complete
    const tab2 = await ana.context.newPage();
    await tab2.goto(`${server.url}/tasks/${taskId}`);
    await tab2.getByTestId('op-start').click();
    await tab2.locator('[data-testid="flow-node"][data-state="started"]').waitFor();
    await tab2.close();
    const revBefore = await page.getByTestId('task-page').getAttribute('data-rev');
    await page.getByTestId('op-complete').click();
    await page.getByTestId('task-conflict').waitFor();
    assert.match(await page.getByTestId('task-conflict').innerText(), /其他人修改/);
    // reloaded: the newer rev and the started node are shown, and the operation now works
    assert.notEqual(await page.getByTestId('task-page').getAttribute('data-rev'), revBefore);
    await page.locator('[data-testid="flow-node"][data-state="started"]').waitFor();
    await page.getByTestId('op-complete').click();
    await page.locator('[data-testid="status-badge"]').filter({ hasText: '已完成' }).first().waitFor();
    assert.equal(await page.getByTestId('task-conflict').count(), 0);

    // copy to the other project: a fresh open task
    await page.getByTestId('task-copy').click();
    await page.getByTestId('copy-project').selectOption(String(other));
    await page.getByTestId('copy-submit').click();
    await page.waitForURL((u) => !u.pathname.endsWith(`/tasks/${taskId}`));
    const copyId = new URL(page.url()).pathname.split('/').pop();
    assert.notEqual(copyId, taskId);
    await page.locator(`[data-testid="task-page"][data-task-id="${copyId}"]`).waitFor();
    await page.locator('[data-testid="flow-node"][data-current="true"][data-state="active"]').waitFor();
    await page.getByTestId('task-project-link').filter({ hasText: 'Suppliers' }).waitFor();
    // and move it back to Orders
    await page.getByTestId('task-move').click();
    await page.getByTestId('move-project').selectOption(String(orders));
    await page.getByTestId('move-submit').click();
    await page.getByTestId('task-project-link').filter({ hasText: 'Orders' }).waitFor();

    // bob was mentioned
    const bob = await signIn('bob');
    await bob.page.getByTestId('unread-badge').waitFor();
    await bob.page.getByTestId('topbar-inbox').click();
    const mention = bob.page.locator('[data-testid="inbox-item"][data-kind="mentioned"]').first();
    await mention.waitFor();
    assert.equal(await mention.getAttribute('data-read'), 'false');
    // read / unread toggle, then mark all read: the badge goes away
    await mention.getByTestId('inbox-toggle-read').click();
    await bob.page.locator('[data-testid="inbox-item"][data-kind="mentioned"][data-read="true"]').first().waitFor();
    await mention.getByTestId('inbox-toggle-read').click();
    await bob.page.locator('[data-testid="inbox-item"][data-kind="mentioned"][data-read="false"]').first().waitFor();
    await bob.page.getByTestId('inbox-filter-unread').click();
    await bob.page.locator('[data-testid="inbox-item"][data-kind="mentioned"]').first().waitFor();
    await bob.page.getByTestId('inbox-read-all').click();
    await bob.page.getByTestId('inbox-empty').waitFor();
    await bob.page.getByTestId('unread-badge').waitFor({ state: 'detached' });
    // a message opens its task
    await bob.page.getByTestId('inbox-filter-all').click();
    await bob.page.locator('[data-testid="inbox-item"][data-kind="mentioned"] [data-testid="inbox-open"]').first().click();
    await bob.page.locator(`[data-testid="task-page"][data-task-id="${taskId}"]`).waitFor();
    // an editor, but no handler: no flow buttons on a finished task, no archive (not an admin)
    assert.equal(await bob.page.locator('[data-testid^="op-"]').count(), 0);
    assert.equal(await bob.page.getByTestId('task-archive').count(), 0);

    // admin archives the finished task and deletes the copy
    const admin = await signIn('admin', { password: server.adminPassword });
    await admin.page.goto(`${server.url}/tasks/${taskId}`);
    await admin.page.getByTestId('task-archive').click();
    await admin.page.getByTestId('confirm-ok').click();
    await admin.page.locator('[data-testid="task-badges"]').filter({ hasText: '已归档' }).waitFor();
    assert.equal(await admin.page.getByTestId('task-archive').count(), 0);
    await admin.page.goto(`${server.url}/tasks/${copyId}`);
    await admin.page.getByTestId('task-delete').click();
    await admin.page.getByTestId('confirm-ok').click();
    await admin.page.getByTestId('project-page').waitFor();
    const gone = await adminApi.call('GET', `/api/tasks/${copyId}`);
    assert.equal(gone.status, 404);

    for (const p of [ana, bob, admin]) assert.deepEqual(p.problems, []);
    for (const p of [ana, bob, admin]) await p.context.close();
  });

  test('edit: nodes already reached are locked, later ones change', async () => {
    const r = await adminApi.call('POST', `/api/projects/${orders}/tasks`, {
      kind: 'workflow',
      title: '两步审批',
      nodes: [
        { handler_id: ids.ana, action: '起草' },
        { handler_id: ids.bob, action: '审核' },
      ],
      editors: [ids.ana],
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const ana = await signIn('ana');
    await ana.page.goto(`${server.url}/tasks/${r.body.id}`);
    await ana.page.getByTestId('task-edit').click();
    const ef = ana.page.getByTestId('task-edit-form');
    assert.equal(await ef.getByTestId('node-row-locked').count(), 1);
    assert.equal(await ef.getByTestId('node-row').count(), 1);
    await ef.getByTestId('node-add').click();
    const added = ef.getByTestId('node-row').nth(1);
    await added.getByTestId('node-handler').selectOption(String(ids.admin));
    await added.getByTestId('node-action').fill('归档');
    await ef.getByTestId('node-row').nth(0).getByTestId('node-action').fill('审核并盖章');
    await ef.getByTestId('task-edit-submit').click();
    await ana.page.getByTestId('task-edit-dialog').waitFor({ state: 'detached' });
    await ana.page.waitForFunction(() => document.querySelectorAll('[data-testid="flow-node"]').length === 3);
    const flow = await ana.page.getByTestId('flow').innerText();
    assert.match(flow, /起草[\s\S]*审核并盖章[\s\S]*归档/);
    assert.deepEqual(ana.problems, []);
    await ana.context.close();
  });

  test('workflow templates: create, reorder, edit, delete; members have no access', async () => {
    const admin = await signIn('admin', { password: server.adminPassword });
    const { page } = admin;
    await page.getByTestId('nav-templates').click();
    await page.getByTestId('template-create-open').click();
    const f = page.getByTestId('template-form');
    await f.getByTestId('template-submit').click();
    await page.getByTestId('template-error').waitFor(); // a name is needed
    await f.getByTestId('template-name').fill('Restock');
    await f.getByTestId('node-add').click();
    await f.getByTestId('node-add').click();
    const rows = f.getByTestId('node-row');
    await rows.nth(0).getByTestId('node-action').fill('下单');
    await rows.nth(1).getByTestId('node-action').fill('收货');
    await rows.nth(1).getByTestId('node-handler').selectOption(String(ids.bob));
    await rows.nth(2).getByTestId('node-action').fill('多余');
    await rows.nth(0).getByTestId('node-due-hours').fill('48');
    await f.getByTestId('template-submit').click();
    const row = page.locator('[data-testid="template-row"][data-name="Restock"]');
    await row.waitFor();
    assert.match(await row.innerText(), /下单[\s\S]*48[\s\S]*仓库小波[\s\S]*收货[\s\S]*多余/);

    // edit: rename, drop the last node, swap the first two
    await row.getByTestId('template-edit').click();
    const ef = page.getByTestId('template-form');
    await ef.getByTestId('template-name').fill('Restock v2');
    await ef.getByTestId('node-row').nth(2).getByTestId('node-remove').click();
    await ef.getByTestId('node-row').nth(0).getByTestId('node-down').click();
    assert.equal(await ef.getByTestId('node-row').nth(0).getByTestId('node-action').inputValue(), '收货');
    await ef.getByTestId('template-submit').click();
    const row2 = page.locator('[data-testid="template-row"][data-name="Restock v2"]');
    await row2.waitFor();
    const text = await row2.innerText();
    assert.match(text, /收货[\s\S]*下单/);
    assert.doesNotMatch(text, /多余/);
    // survives a reload (it is on the server)
    await page.reload();
    await page.locator('[data-testid="template-row"][data-name="Restock v2"]').waitFor();

    // delete
    await page.locator('[data-testid="template-row"][data-name="Restock v2"]').getByTestId('template-delete').click();
    await page.getByTestId('confirm-ok').click();
    await page.locator('[data-testid="template-row"][data-name="Restock v2"]').waitFor({ state: 'detached' });
    assert.deepEqual(admin.problems, []);
    await admin.context.close();

    const ana = await signIn('ana');
    assert.equal(await ana.page.getByTestId('nav-templates').count(), 0);
    await ana.page.goto(`${server.url}/admin/templates`);
    await ana.page.getByTestId('forbidden').waitFor();
    await ana.context.close();
  });
});
