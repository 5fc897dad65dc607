// Custom fields, conditional steps and CC through the real UI (issue 16): an order
// template whose general manager's approval applies only above 20000 and whose
// "Packed" step copies finance; a task created in the dialog with its fields; the
// GM step skipped under 20000 (greyed with the reason) and reached above; finance
// told at "Packed" (inbox → the task opens); a field as a list column and filter.
//
// Run from tests/e2e:  node --test fields.test.mjs   (needs the binary: skipped with BATON_E2E_MOCK=1)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, apiSession, startBaton } from './server.mjs';

const STEP_TIMEOUT = 15000;
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };
const PASSWORD = 'Fields-Passw0rd-1';
const GM = 'cents(fields.amount) > cents("20000")';
const MOCK = process.env.BATON_E2E_MOCK === '1';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core over the page as it stands: no serious or critical violation. */
async function noSeriousViolations(page, state) {
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(found, [], `${state}: ${found.join('\n')}`);
}

let server;
let browser;
let admin;
const ids = {};
let projectId;
let templateId;

before(async () => {
  if (MOCK) return;
  server = await startBaton();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  admin = await apiSession(server.url, 'admin', server.adminPassword);
  ids.admin = (await admin.call('GET', '/api/me')).body.user.id;
  for (const username of ['mia', 'packer', 'gm', 'fin']) {
    const r = await admin.call('POST', '/api/users', { username, display_name: username, role: 'member', erp: false, password: PASSWORD });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids[username] = r.body.id;
  }
  const p = await admin.call('POST', '/api/projects', {
    name: 'Orders',
    members: [ids.admin, ids.mia, ids.packer, ids.gm, ids.fin],
    fields: [
      { key: 'amount', label: 'Amount', type: 'money', required: true },
      { key: 'region', label: 'Region', type: 'choice', options: ['north', 'south'] },
    ],
  });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  projectId = p.body.id;
  const tpl = await admin.call('POST', '/api/templates', {
    name: 'Order approval',
    nodes: [
      { handler_id: ids.mia, action: 'Pick' },
      { handler_id: ids.packer, action: 'Packed', cc: [ids.fin], cc_on: 'reached' },
      { handler_id: ids.gm, action: 'GM approval', condition: GM },
    ],
  });
  assert.equal(tpl.status, 201, JSON.stringify(tpl.body));
  templateId = tpl.body.id;
});

after(async () => {
  await admin?.close();
  await browser?.close();
  await server?.stop();
});

async function signIn(username, { viewport = DESKTOP, password = PASSWORD, locale = 'en-US' } = {}) {
  const context = await browser.newContext({ viewport, locale });
  context.setDefaultTimeout(STEP_TIMEOUT);
  // axe-core in every page (an init script: the app's CSP forbids inline scripts)
  await context.addInitScript(AXE_SOURCE);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`${username} pageerror: ${e.message}`));
  await page.goto(`${server.url}/`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('app-shell').waitFor();
  return { context, page, problems };
}

async function openTask(page, taskId) {
  await page.goto(`${server.url}/tasks/${taskId}`);
  await page.locator(`[data-testid="task-page"][data-task-id="${taskId}"]`).waitFor();
}

const flowNode = (page, i) => page.getByTestId('flow-node').nth(i);

/** A task from the template through the API, as `who` (a session). */
async function orderTask(session, title, amount, region) {
  const r = await session.call('POST', `/api/projects/${projectId}/tasks`, {
    kind: 'workflow',
    title,
    template_id: templateId,
    fields: { amount, region },
    nodes: [
      { handler_id: ids.mia, action: 'Pick' },
      { handler_id: ids.packer, action: 'Packed', cc: [ids.fin], cc_on: 'reached' },
      { handler_id: ids.gm, action: 'GM approval', condition: GM },
    ],
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function completeAs(username, taskId) {
  const s = await apiSession(server.url, username, PASSWORD);
  const task = (await s.call('GET', `/api/tasks/${taskId}`)).body;
  const r = await s.call('POST', `/api/tasks/${taskId}/complete`, { rev: task.rev });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await s.close();
  return r.body;
}

describe('custom fields, conditional steps and CC', { timeout: 240000, skip: MOCK && 'needs the binary' }, () => {
  test('created in the dialog with fields; GM skipped under 20000 and greyed; finance told at Packed opens the task', async () => {
    const mia = await signIn('mia');
    const { page } = mia;
    await page.goto(`${server.url}/projects/${projectId}`);
    await page.getByTestId('task-new').click();
    const dialog = page.getByTestId('task-create-form');
    await dialog.waitFor();
    await dialog.getByTestId('task-template').selectOption({ label: 'Order approval' });
    // the template's steps arrive with their condition and CC
    const gmRow = dialog.getByTestId('node-row').nth(2);
    await gmRow.getByTestId('node-condition').waitFor();
    assert.equal(await gmRow.getByTestId('node-condition').inputValue(), GM);
    await noSeriousViolations(page, 'create dialog with fields, condition and CC');
    await dialog.getByTestId('task-title').fill('Order SO-15000');
    await dialog.getByTestId('field-input-amount').fill('15000');
    await dialog.getByTestId('field-input-region').selectOption('north');
    await dialog.getByTestId('task-create-submit').click();
    await page.getByTestId('task-page').waitFor();
    const taskId = await page.getByTestId('task-page').getAttribute('data-task-id');
    // the fields in the detail
    await page.getByTestId('task-field-amount').filter({ hasText: '15000.00' }).waitFor();
    await page.getByTestId('task-field-region').filter({ hasText: 'north' }).waitFor();
    // the GM step shows its condition; step 2 its CC
    await flowNode(page, 1).getByTestId('flow-node-cc').filter({ hasText: 'fin' }).waitFor();

    // mia completes Pick in the UI: "Packed" is reached, finance is told
    await page.getByTestId('op-complete').click();
    await flowNode(page, 1).and(page.locator('[data-current="true"]')).waitFor();

    const fin = await signIn('fin', { viewport: PHONE });
    await fin.page.goto(`${server.url}/inbox`);
    const msg = fin.page.locator(`[data-testid="inbox-item"][data-kind="cc"][data-task-id="${taskId}"]`);
    await msg.waitFor();
    await msg.getByTestId('inbox-open').click();
    await fin.page.locator(`[data-testid="task-page"][data-task-id="${taskId}"]`).waitFor();
    // finance may view, with no operations
    assert.equal(await fin.page.locator('[data-testid^="op-"]').count(), 0);

    // the packer completes: the GM step (15000 ≤ 20000) is skipped and the task finishes
    await completeAs('packer', taskId);
    await openTask(page, taskId);
    const gmStep = flowNode(page, 2);
    await gmStep.and(page.locator('[data-skipped="true"]')).waitFor();
    await gmStep.getByTestId('flow-node-skip-reason').waitFor();
    assert.match(await gmStep.getByTestId('flow-node-skip-reason').innerText(), /condition not met|条件不满足/);
    await noSeriousViolations(page, 'task with a skipped step and a CC');
    await page.getByTestId('op-complete').waitFor({ state: 'detached' });
    await page.getByTestId('flow-no-ops').waitFor({ state: 'detached' });
    assert.deepEqual(mia.problems.concat(fin.problems), []);
    await mia.context.close();
    await fin.context.close();
  });

  test('above 20000 the GM approval is reached and the GM sees it', async () => {
    const s = await apiSession(server.url, 'mia', PASSWORD);
    const task = await orderTask(s, 'Order SO-25000', '25000.50', 'south');
    await s.close();
    await completeAs('mia', task.id);
    await completeAs('packer', task.id);
    const gm = await signIn('gm');
    await openTask(gm.page, task.id);
    await flowNode(gm.page, 2).and(gm.page.locator('[data-current="true"][data-skipped="false"]')).waitFor();
    await gm.page.getByTestId('op-complete').waitFor();
    await gm.context.close();
  });

  test('a custom field is a list column and filters the list', async () => {
    const s = await apiSession(server.url, 'mia', PASSWORD);
    await orderTask(s, 'Order North-2', '300', 'north');
    await orderTask(s, 'Order South-2', '400', 'south');
    await s.close();
    const mia = await signIn('mia');
    const { page } = mia;
    await page.goto(`${server.url}/projects/${projectId}`);
    const table = page.getByTestId('tasks-table');
    await table.waitFor();
    assert.deepEqual(await table.getByTestId('field-column').allInnerTexts(), ['Amount', 'Region']);
    await page.locator('[data-testid="task-row"][data-title="Order South-2"] [data-testid="field-cell-region"]').filter({ hasText: 'south' }).waitFor();
    // filters fold away on small screens: open them when the toggle is shown
    if (await page.getByTestId('filters-toggle').isVisible()) await page.getByTestId('filters-toggle').click();
    await page.getByTestId('filter-field-key').selectOption('region');
    await page.getByTestId('filter-field-value').selectOption('north');
    await page.locator('[data-testid="task-row"][data-title="Order South-2"]').waitFor({ state: 'detached' });
    await page.locator('[data-testid="task-row"][data-title="Order North-2"]').waitFor();
    await noSeriousViolations(page, 'list with field columns and filter');
    // the export link carries the same filter: a CSV with the field columns
    const href = await page.getByTestId('tasks-export').getAttribute('href');
    assert.match(href, /field=region%3Anorth/);
    const csv = await (await page.request.get(`${server.url}${href}`)).text();
    assert.match(csv, /Amount,Region/);
    assert.match(csv, /Order North-2/);
    assert.doesNotMatch(csv, /Order South-2/);
    const titles = await page.getByTestId('task-row').evaluateAll((rows) => rows.map((r) => r.dataset.title));
    assert.ok(titles.length > 0 && titles.every((t) => t !== 'Order South-2' && t !== 'Order SO-25000'), titles.join(', '));
    assert.deepEqual(mia.problems, []);
    await mia.context.close();
  });
});
