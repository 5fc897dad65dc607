// Node kinds in the browser (issue 16): a claim race between two members on two
// pages (one wins, the other is told it is taken), a countersign of three where one
// returns, and add-sign before and after with their marks in the stepper.
//
// Run from tests/e2e:  node --test flow-kinds.test.mjs   (needs the binary)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, apiSession, startBaton } from './server.mjs';

const STEP_TIMEOUT = 20000;
const PASSWORD = 'Kinds-Passw0rd-1';
const PEOPLE = { ana: '安娜', bob: '小波', cara: '卡拉', dan: '小丹' };
const mock = process.env.BATON_E2E_MOCK === '1';
let server;
let browser;
let admin;
let project;
const ids = {};
const sessions = {};

before(async () => {
  if (mock) return;
  server = await startBaton();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  admin = await apiSession(server.url, 'admin', server.adminPassword);
  for (const [username, display_name] of Object.entries(PEOPLE)) {
    const r = await admin.call('POST', '/api/users', { username, display_name, role: 'member', erp: false, password: PASSWORD });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids[username] = r.body.id;
  }
  const p = await admin.call('POST', '/api/projects', { name: 'Orders', members: Object.values(ids) });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  project = p.body.id;
  for (const u of Object.keys(PEOPLE)) sessions[u] = await apiSession(server.url, u, PASSWORD);
});

after(async () => {
  for (const s of Object.values(sessions)) await s.close();
  await admin?.close();
  await browser?.close();
  await server?.stop();
});

async function createTask(title, nodes) {
  const r = await sessions.ana.call('POST', `/api/projects/${project}/tasks`, { kind: 'workflow', title, nodes });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function flowOp(user, task, op, extra = {}) {
  const fresh = (await sessions[user].call('GET', `/api/tasks/${task.id}`)).body;
  const r = await sessions[user].call('POST', `/api/tasks/${task.id}/${op}`, { rev: fresh.rev, ...extra });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function openTask(username, taskId, viewport = { width: 1280, height: 860 }, { viaToClaim = false } = {}) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // 401 before login; the lost claim is a 409 on purpose
    if (m.type() === 'error' && !/status of (401|409)/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.url}/`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('app-shell').waitFor();
  if (viaToClaim) {
    // My work → To claim (待认领) lists it; the card opens it
    await page.goto(`${server.url}/my`);
    await page.getByTestId('tab-to_claim').click();
    await page.locator(`[data-testid="list-to_claim"] [data-id="${taskId}"]`).click();
  } else {
    await page.goto(`${server.url}/tasks/${taskId}`);
  }
  await page.getByTestId('task-page').waitFor();
  return { context, page, problems };
}

/** Polls `fn` until it returns `want` (deep-equal) or the step times out. */
async function until(fn, want, what) {
  const deadline = Date.now() + STEP_TIMEOUT;
  let got;
  while (Date.now() < deadline) {
    got = await fn();
    try {
      assert.deepEqual(got, want);
      return;
    } catch (_) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.deepEqual(got, want, what);
}

const shareStates = (page) => page.getByTestId('flow-share').evaluateAll((els) => els.map((e) => e.dataset.state));
const currentIndex = (page) =>
  page.getByTestId('flow-node').evaluateAll((els) => els.findIndex((e) => e.dataset.current === 'true'));

describe('node kinds', { skip: mock && 'needs the binary (node kinds are not in the mock)' }, () => {
  test('the create dialog makes a countersign and a claim step', async () => {
    const { context, page, problems } = await openTask('ana', (await createTask('占位', [{ handler_id: ids.ana }])).id);
    await page.goto(`${server.url}/projects/${project}`);
    await page.getByTestId('task-new').click();
    const cf = page.getByTestId('task-create-form');
    await cf.getByTestId('task-kind-workflow').check();
    await cf.getByTestId('task-title').fill('会签加抢单 SO-3');
    const rows = cf.getByTestId('node-row');
    await rows.first().getByTestId('node-kind').selectOption('all');
    const pick = (row, testid, user) => row.getByTestId(testid).locator(`[data-testid="user-option"][data-username="${user}"]`).check();
    // one handler is not a countersign: the dialog says so before sending
    await pick(rows.first(), 'node-handlers', 'bob');
    await cf.getByTestId('task-create-submit').click();
    await cf.getByTestId('task-create-error').waitFor();
    await pick(rows.first(), 'node-handlers', 'cara');
    await cf.getByTestId('node-add').click();
    await rows.nth(1).getByTestId('node-kind').selectOption('claim');
    await pick(rows.nth(1), 'node-candidates', 'dan');
    await pick(rows.nth(1), 'node-candidates', 'ana');
    await cf.getByTestId('task-create-submit').click();
    await page.getByTestId('task-page').waitFor();
    const id = Number(await page.getByTestId('task-page').getAttribute('data-task-id'));
    const made = (await sessions.ana.call('GET', `/api/tasks/${id}`)).body;
    assert.deepEqual(
      made.nodes.map((n) => [n.kind, n.shares.map((s) => s.handler_id), n.candidates]),
      [
        ['all', [ids.bob, ids.cara], []],
        ['claim', [], [ids.ana, ids.dan].sort((a, b) => a - b)],
      ],
    );
    await until(() => shareStates(page), ['active', 'active'], 'both shares shown');
    await page.getByTestId('flow-node-kind').first().waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a claim race between two members on two pages: one wins, the other sees it taken', async () => {
    const task = await createTask('抢单 SO-1', [
      { kind: 'claim', claim_from: { users: [ids.bob, ids.cara] }, action: '发货' },
    ]);
    const bob = await openTask('bob', task.id, undefined, { viaToClaim: true });
    const cara = await openTask('cara', task.id, { width: 390, height: 844 }, { viaToClaim: true });
    for (const { page } of [bob, cara]) {
      await page.getByTestId('flow-node-candidates').waitFor();
      await page.getByTestId('op-claim').waitFor();
    }
    // both claim at once, on the same revision
    await Promise.all([bob.page.getByTestId('op-claim').click(), cara.page.getByTestId('op-claim').click()]);
    const settled = async (page) => {
      if (await page.getByTestId('op-release').isVisible()) return 'won';
      if (await page.getByTestId('task-claim-taken').isVisible()) return 'taken';
      return 'pending';
    };
    await until(async () => [await settled(bob.page), await settled(cara.page)].sort(), ['taken', 'won'], 'one wins, one is told');
    const [winner, loser, winnerName] =
      (await settled(bob.page)) === 'won' ? [bob, cara, PEOPLE.bob] : [cara, bob, PEOPLE.cara];
    assert.equal(await loser.page.getByTestId('op-claim').count(), 0, 'no claim button left for the loser');
    await until(
      () => loser.page.getByTestId('flow-node-handler').first().textContent(),
      winnerName,
      'the loser sees who has it',
    );
    await winner.page.getByTestId('op-complete').click();
    await until(async () => (await sessions.ana.call('GET', `/api/tasks/${task.id}`)).body.status, 'done', 'finished');
    for (const s of [bob, cara]) {
      assert.deepEqual(s.problems, []);
      await s.context.close();
    }
  });

  test('a countersign of three where one returns', async () => {
    const task = await createTask('会签 PO-9', [
      { handler_id: ids.ana, action: '准备' },
      { kind: 'all', handlers: [ids.bob, ids.cara, ids.dan], action: '会签' },
    ]);
    await flowOp('ana', task, 'complete');
    const bob = await openTask('bob', task.id);
    await until(() => shareStates(bob.page), ['active', 'active', 'active'], 'three active shares');
    await bob.page.getByTestId('op-complete').click();
    await until(() => shareStates(bob.page), ['done', 'active', 'active'], "bob's share done");
    assert.equal(await currentIndex(bob.page), 1, 'still the countersign');
    // cara, on a phone, returns the whole step with a reason
    const cara = await openTask('cara', task.id, { width: 390, height: 844 });
    await cara.page.getByTestId('op-return').click();
    await cara.page.getByTestId('return-dialog').waitFor();
    await cara.page.getByTestId('return-reason').fill('数量不对');
    await cara.page.getByTestId('return-submit').click();
    await cara.page.getByTestId('return-dialog').waitFor({ state: 'detached' });
    await until(() => currentIndex(cara.page), 0, 'back to the first step');
    await until(() => shareStates(cara.page), ['waiting', 'waiting', 'waiting'], 'every share reset');
    for (const s of [bob, cara]) {
      assert.deepEqual(s.problems, []);
      await s.context.close();
    }
  });

  test('add-sign before and after, marked in the stepper', async () => {
    const task = await createTask('加签 SO-5', [
      { handler_id: ids.ana, action: '报价' },
      { handler_id: ids.bob, action: '审批' },
    ]);
    const ana = await openTask('ana', task.id);
    await ana.page.getByTestId('op-add_before').click();
    const dlg = ana.page.getByTestId('addsign-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('addsign-to').selectOption(String(ids.cara));
    await dlg.getByTestId('addsign-action').fill('核对价格');
    await dlg.getByTestId('addsign-reason').fill('大额订单');
    await dlg.getByTestId('addsign-submit').click();
    await dlg.waitFor({ state: 'detached' });
    await until(() => ana.page.getByTestId('flow-node').count(), 3, 'a step added');
    const added = ana.page.getByTestId('flow-node-added');
    await until(() => added.first().textContent(), `${PEOPLE.ana} 加签（大额订单）`, 'marked with who and why');
    assert.equal(await currentIndex(ana.page), 0, 'the added step comes first');
    // the log says it in the reader's language, with the reason
    const line = ana.page.locator('[data-testid="log-entry"][data-action="add_before"]');
    await until(async () => (await line.count()) === 1 && /前加签第 1 步给 卡拉：核对价格/.test(await line.textContent()), true, 'log line');
    assert.match(await line.getByTestId('log-reason').textContent(), /大额订单/);
    // cara acts first; then it is ana's again, who adds a step after hers
    await flowOp('cara', task, 'complete');
    await ana.page.reload();
    await ana.page.getByTestId('op-add_after').click();
    await dlg.waitFor();
    await dlg.getByTestId('addsign-to').selectOption(String(ids.dan));
    await dlg.getByTestId('addsign-action').fill('订物流');
    await dlg.getByTestId('addsign-reason').fill('易碎品');
    await dlg.getByTestId('addsign-submit').click();
    await dlg.waitFor({ state: 'detached' });
    await until(() => ana.page.getByTestId('flow-node').count(), 4, 'another step added');
    await until(() => added.count(), 2, 'both marked');
    const handlers = await ana.page.getByTestId('flow-node').evaluateAll((els) => els.map((e) => e.dataset.handler));
    assert.deepEqual(handlers, [PEOPLE.cara, PEOPLE.ana, PEOPLE.dan, PEOPLE.bob]);
    assert.deepEqual(ana.problems, []);
    await ana.context.close();
  });
});
