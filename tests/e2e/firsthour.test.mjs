// The first hour of a new company (issue 12), against `baton demo` itself: the demo
// company's admin and members in zh-CN and English, on a laptop (1366×768) and a phone.
// Each test checks one fix the way a newcomer would see it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, CHROMIUM_ARGS, CHROMIUM_PATH, REPO_ROOT } from './server.mjs';

const STEP_TIMEOUT = 15000;
const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 375, height: 740 };
const MOCK = process.env.BATON_E2E_MOCK === '1';
let demo;
let browser;

/** Runs `baton demo` on an empty directory; collects the printed logins. */
async function startDemo() {
  const bin = process.env.BATON_BIN || 'target/debug/baton';
  const exe = isAbsolute(bin) ? bin : resolve(REPO_ROOT, bin);
  const dir = await mkdtemp(join(tmpdir(), 'baton-e2e-demo-'));
  const config = join(dir, 'baton.toml');
  // reminders quickly, so a server-made log line shows up within the test
  await writeFile(config, 'scheduler_interval = "300ms"\n');
  const env = { ...process.env, BATON_ADMIN_PASSWORD: ADMIN_PASSWORD };
  delete env.BATON_DATA;
  const proc = spawn(exe, ['--data', join(dir, 'data'), '--config', config, 'demo', '--listen', '127.0.0.1:0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stderr.on('data', (d) => {
    out += d;
  });
  const logins = { admin: ADMIN_PASSWORD };
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`baton demo did not start:\n${out}`)), 60000);
    proc.stdout.on('data', (d) => {
      out += d;
      for (const m of out.matchAll(/^ {2}(\w+) \/ (\S+)/gm)) logins[m[1]] = m[2];
      const u = /running at (http:\/\/\S+?)\/?\s/.exec(out);
      if (u) {
        clearTimeout(timer);
        ok(u[1]);
      }
    });
    proc.once('exit', (code) => fail(new Error(`baton demo exited (${code}):\n${out}`)));
  });
  return {
    url,
    logins,
    out,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode != null ? r() : proc.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

before(async () => {
  if (MOCK) return;
  demo = await startDemo();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

async function newPage({ viewport = LAPTOP, locale = 'zh-CN' } = {}) {
  const context = await browser.newContext({ viewport, locale });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|404)/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return { context, page, problems };
}

async function signIn(username, opts = {}) {
  const p = await newPage(opts);
  await p.page.goto(`${demo.url}/`);
  if (opts.pickLanguage) await p.page.getByTestId(opts.pickLanguage).click();
  await p.page.getByTestId('login-username').fill(username);
  await p.page.getByTestId('login-password').fill(demo.logins[username]);
  await p.page.getByTestId('login-submit').click();
  await p.page.getByTestId('app-shell').waitFor();
  return p;
}

/** GET through the page's session. */
const get = (page, path) => page.evaluate(async (p) => (await fetch(p)).json(), path);
/** POST/PATCH through the page's session, with its CSRF token. */
async function send(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const me = await (await fetch('/api/me')).json();
      const res = await fetch(path, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
        body: JSON.stringify(body),
      });
      return res.json();
    },
    { method, path, body },
  );
}

async function refundTaskId(page) {
  const projects = (await get(page, '/api/projects')).items;
  const refunds = projects.find((p) => /Customer refunds/.test(p.name));
  const tasks = (await get(page, `/api/projects/${refunds.id}/tasks`)).items;
  return tasks.find((x) => /SO-0977/.test(x.title)).id;
}

async function openTask(page, id) {
  await page.goto(`${demo.url}/tasks/${id}`);
  await page.locator(`[data-testid="task-page"][data-task-id="${id}"]`).waitFor();
  await page.getByTestId('log-entry').first().waitFor();
}

const logActions = (page) => page.getByTestId('log-entry').evaluateAll((els) => els.map((e) => e.dataset.action));

describe('the first hour with baton demo', { timeout: 180000, skip: MOCK && 'needs the binary' }, () => {
  test('admin, zh-CN laptop: ERP通知, translated business types and audit, the whole admin menu, no empty chart', async () => {
    const { context, page, problems } = await signIn('admin');
    // the built-in project is named in the company language
    await page.getByTestId('nav-projects').getByText('ERP通知').waitFor();
    // ERP record kinds are business types people can read (the home page's module may
    // still be loading when the sidebar is there)
    await page.getByTestId('home-project').first().waitFor();
    const home = await page.locator('.tags').allInnerTexts();
    assert.ok(home.some((x) => /采购单/.test(x)), home.join('|'));
    assert.ok(!home.some((x) => /purchase_order/.test(x)), home.join('|'));
    // every admin item is on screen at 1366×768
    const last = await page.getByTestId('nav-delivery').boundingBox();
    assert.ok(last.y + last.height <= LAPTOP.height, `nav-delivery ends at ${last.y + last.height}`);
    // audit actions and details in Chinese
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-table').waitFor();
    const actions = await page.getByTestId('audit-action').allInnerTexts();
    assert.ok(actions.includes('创建用户'), actions.join('|'));
    assert.ok(!actions.some((a) => /user\.create/.test(a)));
    const details = (await page.getByTestId('audit-detail').allInnerTexts()).join('\n');
    assert.match(details, /用户 'lily' 角色 普通成员/);
    assert.doesNotMatch(details, /department_admin|as member/);
    await page.screenshot({ path: join(tmpdir(), 'firsthour-audit-zh.png') });
    // the admin has no statistics yet: a sentence, not a big empty chart
    await page.getByTestId('nav-me').click();
    await page.getByTestId('trend-empty').waitFor();
    assert.equal(await page.getByTestId('trend-chart').count(), 0);
    // an announcement the admin wrote is not unread for the admin; dates in the one format
    await page.getByTestId('nav-announcements').click();
    await page.getByTestId('announce-title').fill('放假通知');
    await page.getByTestId('announce-body').fill('周五放假');
    await page.getByTestId('announce-submit').click();
    const a = page.getByTestId('announcement').filter({ hasText: '放假通知' });
    await a.waitFor();
    assert.equal(await a.getByTestId('announcement-unread').count(), 0);
    assert.match(await a.innerText(), /Administrator · \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}(?!:)/);
    // the title box is styled like the other text boxes
    assert.equal(await page.getByTestId('announce-title').getAttribute('type'), 'text');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the task log: one line per event, worded for what happened (zh-CN phone, then English)', async () => {
    const lily = await signIn('lily', { viewport: PHONE });
    const id = await refundTaskId(lily.page);
    await openTask(lily.page, id);
    // the demo's refund: created, then Lily completed her step: two lines, not four
    assert.deepEqual(await logActions(lily.page), ['create', 'complete']);
    const to = await lily.page.getByTestId('log-received-by').allInnerTexts();
    assert.match(to[1], /李客服/);
    // Lily's avatar: a letter, no punctuation
    assert.equal(await lily.page.getByTestId('user-menu').locator('.avatar').innerText(), 'L');
    // Lily urges with a note: the CS lead's inbox calls it a note, not a reason
    await lily.page.getByTestId('op-urge').click();
    await lily.page.getByTestId('urge-reason').fill('客户在等');
    await lily.page.getByTestId('urge-submit').click();
    await lily.page.locator('[data-testid="log-entry"][data-action="urge"]').waitFor();
    assert.match(await lily.page.locator('[data-testid="log-entry"][data-action="urge"]').innerText(), /附言: 客户在等/);
    // …and withdraws: the line says the flow went back, to her
    const t = await get(lily.page, `/api/tasks/${id}`);
    await lily.page.getByTestId('op-withdraw').click();
    await lily.page.getByTestId('withdraw-submit').click();
    const w = lily.page.locator('[data-testid="log-entry"][data-action="withdraw"]');
    await w.waitFor();
    assert.match(await w.innerText(), /第 2 步撤回到第 1 步/);
    assert.match(await w.getByTestId('log-received-by').innerText(), /Lily/);
    assert.doesNotMatch(await lily.page.getByTestId('task-log').innerText(), /流转到下一节点/);
    assert.deepEqual(await logActions(lily.page), ['create', 'complete', 'urge', 'withdraw']);
    assert.ok(t.rev >= 1);
    await lily.page.screenshot({ path: join(tmpdir(), 'firsthour-log-phone-zh.png'), fullPage: true });
    assert.deepEqual(lily.problems, []);
    await lily.context.close();

    // the CS lead, in English: the urge note is a "Note", and acting on the task reads it
    const lead = await signIn('cs_lead', { locale: 'en-GB', pickLanguage: 'lang-en' });
    const urged = lead.page.locator('[data-testid="inbox-item"][data-kind="urged"]').first();
    await lead.page.getByTestId('topbar-inbox').click();
    await urged.waitFor();
    assert.match(await urged.getByTestId('inbox-reason').innerText(), /^Note: 客户在等/);
    assert.ok((await get(lead.page, '/api/inbox?unread=true')).items.some((m) => m.task_id === id));
    await openTask(lead.page, id);
    await lead.page.getByTestId('comment-body').fill('Looking at it');
    await lead.page.getByTestId('comment-submit').click();
    await lead.page.locator('[data-testid="log-entry"][data-action="comment"]').waitFor();
    assert.ok(!(await get(lead.page, '/api/inbox?unread=true')).items.some((m) => m.task_id === id), 'read after acting');
    // and the shell's unread count follows without a reload
    const left = (await get(lead.page, '/api/inbox?unread=true')).unread;
    if (left === 0) await lead.page.getByTestId('unread-badge').waitFor({ state: 'detached' });
    else await lead.page.getByTestId('unread-badge').filter({ hasText: new RegExp(`^${left}$`) }).waitFor();
    assert.match(await lead.page.locator('[data-testid="log-entry"][data-action="withdraw"]').innerText(), /step 2 back to step 1 → Lily/);
    assert.deepEqual(lead.problems, []);
    await lead.context.close();
  });

  test('server-made log lines are the system’s, in the reader’s language', async () => {
    const admin = await signIn('admin');
    const projects = (await get(admin.page, '/api/projects')).items;
    const wh = projects.find((p) => /Warehouse ops/.test(p.name));
    const me = await get(admin.page, '/api/me');
    const task = await send(admin.page, 'POST', `/api/projects/${wh.id}/tasks`, {
      kind: 'simple',
      title: '盘点 A 区',
      due_at: new Date(Date.now() - 3600 * 1000).toISOString(),
      nodes: [{ handler_id: me.user.id, action: '盘点' }],
    });
    await admin.page.goto(`${demo.url}/tasks/${task.id}`);
    const line = admin.page.locator('[data-testid="log-entry"][data-action="overdue"]');
    for (let i = 0; i < 30 && (await line.count()) === 0; i++) {
      await admin.page.waitForTimeout(300);
      await admin.page.reload();
      await admin.page.getByTestId('log-entry').first().waitFor();
    }
    assert.match(await line.innerText(), /^系统\s+逾期提醒/);
    assert.match(await line.innerText(), /“盘点 A 区”已逾期/);
    await admin.page.getByTestId('task-log').screenshot({ path: join(tmpdir(), 'firsthour-system-line-zh.png') });
    // in English
    await admin.page.getByTestId('user-menu').click();
    await admin.page.getByTestId('lang-en').click();
    await admin.page.locator('[data-testid="log-entry"][data-action="overdue"]').filter({ hasText: 'System' }).waitFor();
    assert.match(await line.innerText(), /“盘点 A 区” is overdue/);
    // back to Chinese for the other tests
    await send(admin.page, 'PATCH', '/api/me', { language: 'zh-CN' });
    assert.deepEqual(admin.problems, []);
    await admin.context.close();
  });

  test('the language picked on the login page wins over the profile and is saved', async () => {
    const { context, page, problems } = await signIn('finance', { pickLanguage: 'lang-en' });
    await page.getByTestId('nav-mywork').getByText('My work').waitFor();
    assert.equal((await get(page, '/api/me')).user.language, 'en');
    // 赵财务 Zhao (Finance): the Chinese name's characters, no punctuation
    assert.equal(await page.getByTestId('user-menu').locator('.avatar').innerText(), '财务');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('create-task dialog: template and kind are one choice; simple tasks have no step tools; errors clear', async () => {
    const { context, page, problems } = await signIn('cs_lead', { pickLanguage: 'lang-en' });
    const projects = (await get(page, '/api/projects')).items;
    const refunds = projects.find((p) => /Customer refunds/.test(p.name));
    await page.goto(`${demo.url}/projects/${refunds.id}`);
    await page.getByTestId('task-new').click();
    const cf = page.getByTestId('task-create-form');
    // simple by default: one handler, no step numbers, tools or step due date
    await cf.getByTestId('task-kind-simple').and(page.locator(':checked')).waitFor();
    assert.equal(await cf.getByTestId('node-remove').count(), 0);
    assert.equal(await cf.getByTestId('node-due').count(), 0);
    // a missing handler is said once, and the message goes when it is fixed
    await cf.getByTestId('task-title').fill('Refund SO-1100');
    await cf.getByTestId('task-create-submit').click();
    await cf.getByTestId('task-create-error').waitFor();
    await cf.getByTestId('node-handler').selectOption({ index: 1 });
    assert.equal(await cf.getByTestId('task-create-error').count(), 0);
    // the template makes a three-step workflow
    await cf.getByTestId('task-template').selectOption({ label: '退款审批 Refund approval' });
    await cf.getByTestId('task-kind-workflow').and(page.locator(':checked')).waitFor();
    assert.equal(await cf.getByTestId('node-row').count(), 3);
    // Simple: the template follows, one step
    await cf.getByTestId('task-kind-simple').check();
    assert.equal(await cf.getByTestId('node-row').count(), 1);
    assert.match(await cf.getByTestId('task-template').locator('option:checked').innerText(), /simple|Simple/i);
    // back to Workflow: the three steps of the template come back
    await cf.getByTestId('task-kind-workflow').check();
    assert.equal(await cf.getByTestId('node-row').count(), 3);
    assert.equal(await cf.getByTestId('task-template').locator('option:checked').innerText(), '退款审批 Refund approval');
    await page.screenshot({ path: join(tmpdir(), 'firsthour-create-en.png') });
    // per-step due dates from the template, no task due date: the page shows the step's
    await cf.getByTestId('task-create-submit').click();
    await page.getByTestId('task-page').waitFor();
    const due = await page.getByTestId('task-due').innerText();
    assert.doesNotMatch(due, /No due date/);
    assert.match(due, /\(this step\)/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('feedback reaches the admins, the reply is the author’s news, signed with a name (phone zh-CN)', async () => {
    const lily = await signIn('lily', { viewport: PHONE });
    await lily.page.goto(`${demo.url}/feedback`);
    await lily.page.getByTestId('feedback-new').click();
    assert.equal(await lily.page.getByTestId('feedback-title').getAttribute('type'), 'text');
    await lily.page.getByTestId('feedback-title').fill('怎么导出退款？');
    await lily.page.getByTestId('feedback-body').fill('找不到导出按钮');
    await lily.page.getByTestId('feedback-submit').click();
    await lily.page.getByTestId('feedback-reply-body').waitFor();
    const fid = lily.page.url().split('/').pop();

    const admin = await signIn('admin');
    await admin.page.getByTestId('topbar-inbox').click();
    const news = admin.page.locator('[data-testid="inbox-item"][data-kind="feedback_new"]').first();
    await news.waitFor();
    assert.match(await news.getByTestId('inbox-text').innerText(), /Lily \(Customer service\) 提交了新反馈/);
    await news.getByTestId('inbox-open').click();
    await admin.page.waitForURL(/\/feedback$/);
    await admin.page.goto(`${demo.url}/feedback/${fid}`);
    await admin.page.getByTestId('feedback-reply-body').fill('在统计页面');
    await admin.page.getByTestId('feedback-reply-send').click();
    const by = admin.page.getByTestId('feedback-reply-by').first();
    await by.waitFor();
    assert.match(await by.innerText(), /^Administrator 管理员 · \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}$/);
    assert.deepEqual(admin.problems, []);
    await admin.context.close();

    await lily.page.getByTestId('topbar-inbox').click();
    const reply = lily.page.locator('[data-testid="inbox-item"][data-kind="feedback"]').first();
    await reply.waitFor();
    assert.match(await reply.getByTestId('inbox-text').innerText(), /Administrator 回复了你的反馈/);
    await lily.page.screenshot({ path: join(tmpdir(), 'firsthour-inbox-phone-zh.png') });
    assert.ok((await lily.page.evaluate(() => document.documentElement.scrollWidth)) <= PHONE.width);
    assert.deepEqual(lily.problems, []);
    await lily.context.close();
  });
});
