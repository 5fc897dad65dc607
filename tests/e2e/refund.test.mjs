// The refund-approval story through the real UI: a workflow template, a task made
// from it, and every flow operation (complete, start, urge, withdraw, transfer,
// return with a reason) by the people the Flow rules allow — with several browsers
// open at once, one of them a phone.
//
// Run from tests/e2e:  node --test refund.test.mjs   (BATON_E2E_MOCK=1 for the mock)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, apiSession, startBaton } from './server.mjs';

const STEP_TIMEOUT = 15000;
const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 860 };
const PASSWORD = 'Refund-Passw0rd-1';
const PEOPLE = {
  cs: '客服小陈',
  lead: '主管老李',
  lead2: '副主管小王',
  fin: '财务阿芳',
  mia: '运营米娅',
};

let server;
let browser;
const ids = {}; // username -> user id
let projectId;

before(async () => {
  server = await startBaton();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const admin = await apiSession(server.url, 'admin', server.adminPassword);
  const me = await admin.call('GET', '/api/me');
  ids.admin = me.body.user.id;
  for (const [username, display_name] of Object.entries(PEOPLE)) {
    const r = await admin.call('POST', '/api/users', { username, display_name, role: 'member', erp: false, password: PASSWORD });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids[username] = r.body.id;
  }
  const p = await admin.call('POST', '/api/projects', {
    name: 'Refunds',
    members: [ids.admin, ids.cs, ids.lead, ids.lead2, ids.fin, ids.mia],
    business_types: ['退款', '换货'],
  });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  projectId = p.body.id;
  await admin.close();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A browser of its own for one person, signed in through the login page. */
async function signIn(username, { viewport = DESKTOP, password = PASSWORD } = {}) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`${username} pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`${username} console: ${m.text()}`);
  });
  await page.goto(`${server.url}/`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('app-shell').waitFor();
  return { context, page, problems, username };
}

const flowNode = (page, i) => page.getByTestId('flow-node').nth(i);

/** Wait until node i is the current one, in `state`. */
async function waitCurrent(page, i, state) {
  await flowNode(page, i)
    .and(page.locator(`[data-current="true"][data-state="${state}"]`))
    .waitFor();
}

/** The flow operation buttons on the task page, in order. */
async function opsShown(page) {
  await page.getByTestId('flow-card').waitFor();
  return page.locator('[data-testid^="op-"]').evaluateAll((els) => els.map((e) => e.dataset.testid.slice(3)));
}

async function openTask(page, taskId) {
  await page.goto(`${server.url}/tasks/${taskId}`);
  await page.locator(`[data-testid="task-page"][data-task-id="${taskId}"]`).waitFor();
}

/** Open the inbox from the shell and return the message of `kind` about `title`. */
async function inboxMessage(page, kind, title) {
  await page.getByTestId('topbar-inbox').click();
  await page.getByTestId('inbox-page').waitFor();
  const item = page.locator(`[data-testid="inbox-item"][data-kind="${kind}"]`).filter({ hasText: title }).first();
  await item.waitFor();
  return item;
}

describe('refund approval through the UI', { timeout: 240000 }, () => {
  test('template → task → complete, urge, withdraw, start, transfer, return, finish', async () => {
    const TITLE = '退款申请 R-1001：客户收到破损商品';
    const everyone = [];

    // --- admin builds the workflow template "Refund approval": cs → lead → fin
    const admin = await signIn('admin', { password: server.adminPassword });
    everyone.push(admin);
    await admin.page.getByTestId('nav-templates').click();
    await admin.page.getByTestId('templates-page').waitFor();
    // the two built-ins are listed and read-only
    assert.equal(await admin.page.locator('[data-testid="template-row"][data-builtin="simple"]').count(), 1);
    assert.equal(await admin.page.locator('[data-testid="template-row"][data-builtin="empty_workflow"]').count(), 1);
    assert.equal(await admin.page.locator('[data-testid="template-row"][data-builtin="simple"] [data-testid="template-edit"]').count(), 0);
    await admin.page.getByTestId('template-create-open').click();
    const tf = admin.page.getByTestId('template-form');
    await tf.getByTestId('template-name').fill('Refund approval');
    await tf.getByTestId('node-add').click();
    await tf.getByTestId('node-add').click();
    const rows = tf.getByTestId('node-row');
    assert.equal(await rows.count(), 3);
    const steps = [
      ['cs', '核对订单与退款金额', '24'],
      ['lead', '审批退款', '24'],
      ['fin', '原路退款', ''],
    ];
    for (const [i, [who, action, hours]] of steps.entries()) {
      await rows.nth(i).getByTestId('node-handler').selectOption(String(ids[who]));
      await rows.nth(i).getByTestId('node-action').fill(action);
      if (hours) await rows.nth(i).getByTestId('node-due-hours').fill(hours);
    }
    await tf.getByTestId('template-submit').click();
    const tplRow = admin.page.locator('[data-testid="template-row"][data-name="Refund approval"]');
    await tplRow.waitFor();
    assert.match(await tplRow.innerText(), new RegExp(`${PEOPLE.cs}[\\s\\S]*${PEOPLE.lead}[\\s\\S]*${PEOPLE.fin}`));

    // --- mia (a member) creates the task from the template, admin watches
    const mia = await signIn('mia');
    everyone.push(mia);
    await mia.page.getByTestId('nav-projects').getByText('Refunds').click();
    await mia.page.getByTestId('project-tasks').waitFor();
    await mia.page.getByTestId('task-new').click();
    const cf = mia.page.getByTestId('task-create-form');
    await cf.getByTestId('task-template').selectOption({ label: 'Refund approval' });
    // the template prefills a three-node workflow with its handlers
    await cf.getByTestId('task-kind-workflow').and(mia.page.locator(':checked')).waitFor();
    const nodeRows = cf.getByTestId('node-row');
    assert.equal(await nodeRows.count(), 3);
    assert.equal(await nodeRows.nth(0).getByTestId('node-handler').inputValue(), String(ids.cs));
    assert.equal(await nodeRows.nth(1).getByTestId('node-handler').inputValue(), String(ids.lead));
    assert.equal(await nodeRows.nth(2).getByTestId('node-handler').inputValue(), String(ids.fin));
    assert.equal(await nodeRows.nth(1).getByTestId('node-action').inputValue(), '审批退款');
    // handler pickers offer project members only
    const options = await nodeRows.nth(0).locator('option[data-username]').evaluateAll((els) => els.map((e) => e.dataset.username));
    assert.deepEqual(options.sort(), ['admin', 'cs', 'fin', 'lead', 'lead2', 'mia']);
    await cf.getByTestId('task-title').fill(TITLE);
    await cf.getByTestId('task-description').fill('客户 **张三** 收到的杯子破损，申请退款 ¥89。\n\n- 订单号 R-1001\n- 已附照片');
    await cf.getByTestId('task-business-type').selectOption('退款');
    await cf.getByTestId('task-priority').selectOption('high');
    await cf.getByTestId('task-checklist-input').fill('核对破损照片');
    await cf.getByTestId('task-checklist-add').click();
    await cf.getByTestId('task-watchers').locator('[data-testid="user-option"][data-username="admin"]').check();
    await cf.getByTestId('task-create-submit').click();
    await mia.page.getByTestId('task-page').waitFor();
    const taskId = await mia.page.getByTestId('task-page').getAttribute('data-task-id');
    assert.match(taskId, /^\d+$/);
    assert.equal(await mia.page.getByTestId('flow-node').count(), 3);
    await waitCurrent(mia.page, 0, 'active');
    assert.equal(await flowNode(mia.page, 0).getAttribute('data-handler'), PEOPLE.cs);
    assert.match(await mia.page.getByTestId('task-description-html').innerHTML(), /<strong>张三<\/strong>/);
    assert.doesNotMatch(await mia.page.getByTestId('task-watchers').innerText(), /—/);
    // the creator is no handler: no flow buttons
    assert.deepEqual(await opsShown(mia.page), []);
    await mia.page.getByTestId('flow-no-ops').waitFor();
    // the project list shows it
    await mia.page.getByTestId('task-project-link').click();
    await mia.page.locator(`[data-testid="task-row"][data-title="${TITLE}"]`).waitFor();

    // --- fin handles node 3, not reached yet: sees the task but no flow buttons
    const fin = await signIn('fin');
    everyone.push(fin);
    await openTask(fin.page, taskId);
    await waitCurrent(fin.page, 0, 'active');
    assert.deepEqual(await opsShown(fin.page), [], 'a handler whose node is not reached may not act');
    assert.equal(await fin.page.getByTestId('flow-ops').count(), 0);

    // --- cs on a phone: the task is in My todo (home) and the inbox
    const cs = await signIn('cs', { viewport: PHONE });
    everyone.push(cs);
    await cs.page.getByTestId('unread-badge').waitFor();
    const todoNew = cs.page.getByTestId('todo-new');
    await todoNew.locator(`[data-testid="task-card"][data-title="${TITLE}"]`).waitFor();
    assert.equal((await cs.page.getByTestId('stat-todo').innerText()).trim().split(/\s+/)[0], '1');
    const assigned = await inboxMessage(cs.page, 'assigned', TITLE);
    assert.equal(await assigned.getAttribute('data-read'), 'false');
    await assigned.getByTestId('inbox-open').click();
    await cs.page.locator(`[data-testid="task-page"][data-task-id="${taskId}"]`).waitFor();
    // a phone: the stepper is vertical and nothing is wider than the screen
    const b0 = await flowNode(cs.page, 0).boundingBox();
    const b1 = await flowNode(cs.page, 1).boundingBox();
    assert.ok(b1.y > b0.y + b0.height - 1 && Math.abs(b1.x - b0.x) < 2, 'vertical stepper on a phone');
    assert.ok((await cs.page.evaluate(() => document.documentElement.scrollWidth)) <= PHONE.width, 'no horizontal overflow');
    assert.deepEqual(await opsShown(cs.page), ['start', 'complete', 'transfer', 'add_before', 'add_after']);
    // ticking a checklist item starts the node
    await cs.page.getByTestId('checklist-tick').first().check();
    await waitCurrent(cs.page, 0, 'started');
    assert.deepEqual(await opsShown(cs.page), ['complete', 'transfer', 'add_before', 'add_after']);
    await cs.page.getByTestId('op-complete').click();
    await waitCurrent(cs.page, 1, 'active');
    assert.equal(await flowNode(cs.page, 0).getAttribute('data-state'), 'done');
    // cs's node is done and lead has not started: urge or withdraw, nothing else
    assert.deepEqual(await opsShown(cs.page), ['urge', 'withdraw']);

    // urge (with a note)
    await cs.page.getByTestId('op-urge').click();
    await cs.page.getByTestId('urge-reason').fill('客户在催，请今天处理');
    await cs.page.getByTestId('urge-submit').click();
    await cs.page.getByTestId('urge-dialog').waitFor({ state: 'detached' });
    await cs.page.locator('[data-testid="log-entry"][data-action="urge"]').waitFor();
    // withdraw back to cs
    await cs.page.getByTestId('op-withdraw').click();
    await cs.page.getByTestId('withdraw-reason').fill('金额填错了，我先改一下');
    await cs.page.getByTestId('withdraw-submit').click();
    await waitCurrent(cs.page, 0, 'active');
    assert.equal(await flowNode(cs.page, 1).getAttribute('data-state'), 'waiting');
    assert.deepEqual(await opsShown(cs.page), ['start', 'complete', 'transfer', 'add_before', 'add_after']);
    // and complete again
    await cs.page.getByTestId('op-complete').click();
    await waitCurrent(cs.page, 1, 'active');

    // --- lead: told (urged, withdrawn, assigned); starts, which ends cs's right to withdraw
    const lead = await signIn('lead');
    everyone.push(lead);
    await inboxMessage(lead.page, 'urged', TITLE);
    const urged = lead.page.locator('[data-testid="inbox-item"][data-kind="urged"]').filter({ hasText: TITLE }).first();
    assert.match(await urged.innerText(), /客户在催/);
    await lead.page.locator('[data-testid="inbox-item"][data-kind="withdrawn"]').filter({ hasText: TITLE }).first().waitFor();
    // follow-up flag, then the follow-up filter shows it
    await urged.getByTestId('inbox-follow-up').click();
    await urged.locator('[data-testid="inbox-follow-up"][aria-pressed="true"]').waitFor();
    await lead.page.getByTestId('inbox-filter-follow_up').click();
    await lead.page.waitForFunction(() => {
      const items = document.querySelectorAll('[data-testid="inbox-item"]');
      return items.length === 1 && items[0].dataset.kind === 'urged';
    });
    await lead.page.getByTestId('inbox-filter-all').click();
    // My work → My todo → the task
    await lead.page.getByTestId('nav-mywork').click();
    await lead.page.getByTestId('mywork-page').waitFor();
    await lead.page.getByTestId('todo-new').locator(`[data-testid="task-card"][data-title="${TITLE}"]`).click();
    await waitCurrent(lead.page, 1, 'active');
    assert.deepEqual(await opsShown(lead.page), ['start', 'complete', 'transfer', 'return', 'add_before', 'add_after']);
    await lead.page.getByTestId('op-start').click();
    await waitCurrent(lead.page, 1, 'started');
    // cs (phone) reloads: may still urge, but no longer withdraw
    await cs.page.reload();
    await waitCurrent(cs.page, 1, 'started');
    assert.deepEqual(await opsShown(cs.page), ['urge']);

    // lead transfers to lead2 (a member)
    await lead.page.getByTestId('op-transfer').click();
    const transferTo = lead.page.getByTestId('transfer-to');
    const choices = await transferTo.locator('option[data-username]').evaluateAll((els) => els.map((e) => e.dataset.username));
    assert.ok(!choices.includes('lead'), 'no transfer to oneself');
    assert.ok(choices.includes('lead2'));
    await transferTo.selectOption(String(ids.lead2));
    await lead.page.getByTestId('transfer-note').fill('我出差，交给小王');
    await lead.page.getByTestId('transfer-submit').click();
    await lead.page.getByTestId('transfer-dialog').waitFor({ state: 'detached' });
    await lead.page.locator(`[data-testid="flow-node"][data-handler="${PEOPLE.lead2}"][data-current="true"]`).waitFor();
    // lead no longer handles anything here: no buttons
    assert.deepEqual(await opsShown(lead.page), []);

    // --- lead2 returns it; the UI refuses an empty reason
    const lead2 = await signIn('lead2');
    everyone.push(lead2);
    const transferred = await inboxMessage(lead2.page, 'transferred', TITLE);
    await transferred.getByTestId('inbox-open').click();
    await lead2.page.locator(`[data-testid="task-page"][data-task-id="${taskId}"]`).waitFor();
    await flowNode(lead2.page, 1).and(lead2.page.locator('[data-current="true"]')).waitFor();
    const lead2Ops = await opsShown(lead2.page);
    for (const op of ['complete', 'transfer', 'return']) assert.ok(lead2Ops.includes(op), `lead2 may ${op}`);
    assert.ok(!lead2Ops.includes('urge') && !lead2Ops.includes('withdraw'));
    const returnCalls = [];
    lead2.page.on('request', (r) => {
      if (r.method() === 'POST' && /\/api\/tasks\/\d+\/return$/.test(r.url())) returnCalls.push(r.url());
    });
    await lead2.page.getByTestId('op-return').click();
    await lead2.page.getByTestId('return-submit').click();
    await lead2.page.getByTestId('return-reason-error').waitFor();
    await lead2.page.getByTestId('return-reason').fill('   ');
    await lead2.page.getByTestId('return-submit').click();
    await lead2.page.getByTestId('return-reason-error').waitFor();
    assert.equal(returnCalls.length, 0, 'an empty reason is not sent');
    await lead2.page.getByTestId('return-reason').fill('退款金额与订单不符，请重新核对');
    await lead2.page.getByTestId('return-submit').click();
    await waitCurrent(lead2.page, 0, 'active');
    assert.equal(returnCalls.length, 1);
    assert.deepEqual(await opsShown(lead2.page), []);

    // --- cs (phone) is told with the reason, completes again
    const returned = await inboxMessage(cs.page, 'returned', TITLE);
    assert.match(await returned.innerText(), /退款金额与订单不符/);
    await returned.getByTestId('inbox-open').click();
    await waitCurrent(cs.page, 0, 'active');
    await cs.page.getByTestId('op-complete').click();
    await waitCurrent(cs.page, 1, 'active');
    assert.equal(await flowNode(cs.page, 1).getAttribute('data-handler'), PEOPLE.lead2);

    // --- lead2 approves
    await lead2.page.reload();
    await waitCurrent(lead2.page, 1, 'active');
    await lead2.page.getByTestId('op-complete').click();
    await waitCurrent(lead2.page, 2, 'active');

    // --- fin completes: the task is done
    await fin.page.reload();
    await waitCurrent(fin.page, 2, 'active');
    assert.deepEqual(await opsShown(fin.page), ['start', 'complete', 'transfer', 'return', 'add_before', 'add_after']);
    await fin.page.getByTestId('op-complete').click();
    await fin.page.locator('[data-testid="status-badge"]').filter({ hasText: '已完成' }).first().waitFor();
    assert.equal(await fin.page.locator('[data-testid="flow-node"][data-current="true"]').count(), 0);
    assert.equal(await fin.page.locator('[data-testid="flow-node"][data-state="done"]').count(), 3);
    assert.deepEqual(await opsShown(fin.page), []);
    // the node before the (no longer) current one: nothing left to urge
    await cs.page.reload();
    await cs.page.locator('[data-testid="flow-node"][data-state="done"]').nth(2).waitFor();
    assert.deepEqual(await opsShown(cs.page), []);

    // --- the creator and the watcher are told it finished
    for (const who of [mia, admin]) {
      const msg = await inboxMessage(who.page, 'finished', TITLE);
      assert.equal(await msg.getAttribute('data-task-id'), taskId);
    }
    // the creator sees it under "Created" in My work
    await mia.page.getByTestId('nav-mywork').click();
    await mia.page.getByTestId('tab-created').click();
    await mia.page.locator(`[data-testid="list-created"] [data-testid="task-card"][data-title="${TITLE}"]`).waitFor();

    // --- the log shows every step, in order, with who and why
    await openTask(admin.page, taskId);
    await admin.page.locator('[data-testid="log-entry"][data-action="return"]').waitFor();
    const log = await admin.page.getByTestId('log-entry').evaluateAll((els) =>
      els.map((e) => ({ action: e.dataset.action, text: e.innerText })),
    );
    const flowOps = ['create', 'start', 'complete', 'urge', 'withdraw', 'transfer', 'return'];
    assert.deepEqual(
      log.filter((x) => flowOps.includes(x.action)).map((x) => x.action),
      ['create', 'complete', 'urge', 'withdraw', 'complete', 'start', 'transfer', 'return', 'complete', 'complete', 'complete'],
    );
    // one line per event: who received the step is on the event's line, not a line of its own
    assert.deepEqual(log.filter((x) => x.action === 'receive'), []);
    const by = (action, n = 0) => log.filter((x) => x.action === action)[n].text;
    assert.match(by('create'), new RegExp(PEOPLE.mia));
    assert.match(by('urge'), new RegExp(`${PEOPLE.cs}[\\s\\S]*客户在催`));
    assert.match(by('withdraw'), new RegExp(PEOPLE.cs));
    assert.match(by('start'), new RegExp(PEOPLE.lead));
    assert.match(by('transfer'), new RegExp(`${PEOPLE.lead}[\\s\\S]*我出差`));
    assert.match(by('return'), new RegExp(`${PEOPLE.lead2}[\\s\\S]*退款金额与订单不符`));
    assert.match(by('complete', 4), new RegExp(PEOPLE.fin));

    for (const who of everyone) assert.deepEqual(who.problems, [], `${who.username}: no page errors`);
    for (const who of everyone) await who.context.close();
  });
});
