// Browser test of the embedded web UI against a real Baton server.
// Run from tests/e2e:  node --test
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, startBaton } from './server.mjs';

const STEP_TIMEOUT = 15000;
let server;
let browser;

before(async () => {
  server = await startBaton();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A fresh context in Chinese (the product default), collecting page errors. */
async function newPage(viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // CSP violations and script errors show up as console errors
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return { context, page, problems };
}

async function login(page, password = server.adminPassword) {
  await page.goto(`${server.url}/`);
  await page.getByTestId('login-username').fill('admin');
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

describe('web UI', { timeout: 120000 }, () => {
  test('a wrong password shows the error on the login page', async () => {
    const { context, page, problems } = await newPage();
    await login(page, 'definitely-not-the-password');
    const err = page.getByTestId('login-error');
    await err.waitFor();
    assert.match(await err.innerText(), /用户名或密码错误/);
    assert.equal(await page.getByTestId('app-shell').count(), 0);
    // still on the login page, form usable
    assert.ok(await page.getByTestId('login-submit').isEnabled());
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('admin logs in, switches language, creates department, user and project', async () => {
    const { context, page, problems } = await newPage();
    await login(page);
    await page.getByTestId('app-shell').waitFor();
    const home = page.getByTestId('nav-home');
    assert.equal((await home.innerText()).trim(), '首页');

    // language: English, remembered across a reload (saved with PATCH /api/me), then back
    await page.getByTestId('user-menu').click();
    await page.getByTestId('lang-en').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal((await home.innerText()).trim(), 'Home');
    await page.waitForLoadState('networkidle');
    await page.reload();
    await page.getByTestId('app-shell').waitFor();
    assert.equal((await page.getByTestId('nav-home').innerText()).trim(), 'Home');
    await page.getByTestId('user-menu').click();
    await page.getByTestId('lang-zh').click();
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    assert.equal((await page.getByTestId('nav-home').innerText()).trim(), '首页');
    await page.getByTestId('user-menu').click(); // close the menu

    const suffix = Date.now().toString(36).slice(-5);
    const dept = `运营部-${suffix}`;
    const username = `buyer_${suffix}`;
    const displayName = `采购员${suffix}`;
    const project = `美国站补货-${suffix}`;

    // department
    await page.getByTestId('nav-departments').click();
    await page.getByTestId('department-create-name').fill(dept);
    await page.getByTestId('department-create-submit').click();
    await page.locator(`[data-testid="department-row"][data-name="${dept}"]`).waitFor();

    // user in that department
    await page.getByTestId('nav-users').click();
    await page.getByTestId('user-create-open').click();
    const uf = page.getByTestId('user-create-form');
    await uf.getByTestId('user-create-username').fill(username);
    await uf.getByTestId('user-create-display-name').fill(displayName);
    await uf.getByTestId('user-create-department').selectOption({ label: dept });
    await uf.getByTestId('user-create-password').fill('Buyer-Passw0rd-1');
    await uf.getByTestId('user-create-submit').click();
    await page.locator(`[data-testid="user-row"][data-username="${username}"]`).waitFor();

    // project with that department, member and a business type
    await page.getByTestId('nav-admin-projects').click();
    await page.getByTestId('project-create-open').click();
    const pf = page.getByTestId('project-create-form');
    await pf.getByTestId('project-create-name').fill(project);
    await pf.getByTestId('project-create-department').selectOption({ label: dept });
    await pf.locator(`[data-testid="member-option"][data-username="${username}"]`).check();
    await pf.getByTestId('project-create-types-input').fill('缺货');
    await pf.getByTestId('project-create-types-input').press('Enter');
    await pf.getByTestId('project-create-submit').click();
    const row = page.locator(`[data-testid="project-row"][data-name="${project}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /缺货/);
    // the sidebar's project list follows
    await page.getByTestId('nav-projects').getByText(project).waitFor();

    // everything survives a reload (it is on the server, not in the page)
    await page.reload();
    await page.getByTestId('app-shell').waitFor();
    await page.locator(`[data-testid="project-row"][data-name="${project}"]`).waitFor();
    const projRow = await page.locator(`[data-testid="project-row"][data-name="${project}"]`).innerText();
    assert.match(projRow, new RegExp(dept));
    await page.getByTestId('nav-users').click();
    const userRow = page.locator(`[data-testid="user-row"][data-username="${username}"]`);
    await userRow.waitFor();
    assert.match(await userRow.innerText(), new RegExp(dept));
    await page.getByTestId('nav-departments').click();
    await page.locator(`[data-testid="department-row"][data-name="${dept}"]`).waitFor();

    // API token: shown once, then listed without the secret, then revoked
    await page.getByTestId('nav-tokens').click();
    await page.getByTestId('token-create-name').fill(`ERP ${suffix}`);
    await page.getByTestId('token-scope-read').check();
    await page.getByTestId('token-create-submit').click();
    assert.match(await page.getByTestId('token-secret').inputValue(), /^baton_/);
    await page.getByTestId('token-done').click();
    assert.equal(await page.getByTestId('token-secret').count(), 0);
    const tokenRow = page.locator(`[data-testid="token-row"][data-name="ERP ${suffix}"]`);
    assert.match(await tokenRow.innerText(), /erp:write[\s\S]*read/);
    await tokenRow.getByTestId('token-revoke').click();
    await page.getByTestId('confirm-ok').click();
    await tokenRow.getByText('已吊销').waitFor();

    // the audit log shows what we did
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-row').first().waitFor();
    assert.ok((await page.getByTestId('audit-row').count()) >= 3);

    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a member sees no admin pages; changing the password ends the session', async () => {
    // set up a member through the API, as the admin
    const api = await browser.newContext({ baseURL: server.url });
    const login = await api.request.post('/api/login', { data: { username: 'admin', password: server.adminPassword } });
    assert.equal(login.status(), 200);
    const { csrf_token } = await login.json();
    const username = `member_${Date.now().toString(36).slice(-5)}`;
    const created = await api.request.post('/api/users', {
      data: { username, display_name: '客服小王', role: 'member', erp: false, password: 'Member-Passw0rd-1' },
      headers: { 'X-CSRF-Token': csrf_token },
    });
    assert.equal(created.status(), 201, await created.text());
    await api.close();

    const { context, page, problems } = await newPage();
    await page.goto(`${server.url}/admin/users`);
    await page.getByTestId('login-username').fill(username);
    await page.getByTestId('login-password').fill('Member-Passw0rd-1');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('app-shell').waitFor();
    // deep link kept through the login, but a member is not let in
    await page.getByTestId('forbidden').waitFor();
    assert.equal(await page.getByTestId('nav-users').count(), 0);
    assert.equal(await page.getByTestId('nav-tokens').count(), 0);

    await page.getByTestId('user-menu').click();
    await page.getByTestId('menu-password').click();
    const dlg = page.getByTestId('password-dialog');
    await dlg.getByTestId('password-current').fill('Member-Passw0rd-1');
    await dlg.getByTestId('password-new').fill('Member-Passw0rd-2');
    await dlg.getByTestId('password-confirm').fill('Member-Passw0rd-2');
    await dlg.getByTestId('password-submit').click();
    const notice = page.getByTestId('login-notice');
    await notice.waitFor();
    assert.match(await notice.innerText(), /密码已修改/);

    await page.getByTestId('login-username').fill(username);
    await page.getByTestId('login-password').fill('Member-Passw0rd-2');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('app-shell').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('phone (375×740): login, shell, collapsed navigation and user menu', async () => {
    const { context, page, problems } = await newPage({ width: 375, height: 740 });
    await login(page);
    await page.getByTestId('app-shell').waitFor();
    const toggle = page.getByTestId('menu-toggle');
    assert.ok(await toggle.isVisible(), 'menu button is shown on a phone');
    assert.equal(await page.getByTestId('nav-users').isVisible(), false, 'navigation is collapsed');
    await toggle.click();
    await page.getByTestId('nav-users').waitFor({ state: 'visible' });
    await page.getByTestId('nav-users').click();
    await page.getByTestId('users-page').waitFor();
    assert.equal(await page.getByTestId('nav-users').isVisible(), false, 'drawer closes after navigating');
    // nothing overflows the viewport horizontally
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `page is ${width}px wide`);
    await page.getByTestId('user-menu').click();
    await page.getByTestId('user-menu-panel').waitFor();
    assert.ok(await page.getByTestId('lang-en').isVisible());
    assert.ok(await page.getByTestId('menu-logout').isVisible());
    await page.getByTestId('menu-logout').click();
    await page.getByTestId('login-username').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });
});
