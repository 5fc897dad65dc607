// Loading of the UI's own files (issue 18): the login page downloads neither the task
// page nor the scenario editor; page modules are imported when their page is first
// shown, from content-hashed URLs (through the import map the server injects); a page
// whose module cannot be loaded (e.g. the server was upgraded) says so.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, apiSession, startBaton } from './server.mjs';

let server;
let browser;
let projectId;
let taskId;

before(async () => {
  server = await startBaton();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  if (server.mock) return;
  const api = await apiSession(server.url, 'admin', server.adminPassword);
  const me = (await api.call('GET', '/api/me')).body.user.id;
  const p = await api.call('POST', '/api/projects', { name: 'Assets', members: [me], business_types: ['采购'] });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  projectId = p.body.id;
  const t = await api.call('POST', `/api/projects/${projectId}/tasks`, {
    kind: 'simple',
    title: '懒加载任务',
    business_type: '采购',
    priority: 'normal',
    nodes: [{ handler_id: me, action: '处理' }],
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  taskId = t.body.id;
  // a list as tall as a real one: on a phone each row is a card
  for (let i = 1; i <= 12; i++) {
    const r = await api.call('POST', `/api/projects/${projectId}/tasks`, {
      kind: 'simple',
      title: `采购任务 ${i}`,
      business_type: '采购',
      priority: 'normal',
      nodes: [{ handler_id: me, action: '处理' }],
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  await api.close();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A page that records the path of every request it makes, and its errors. */
async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', ...options });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const paths = [];
  const problems = [];
  page.on('request', (r) => paths.push(new URL(r.url()).pathname));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return { context, page, paths, problems };
}

/** Requests of one module, at its plain or any hashed URL. */
const requested = (paths, module) => {
  const [stem, ext] = [module.slice(0, module.lastIndexOf('.')), module.slice(module.lastIndexOf('.') + 1)];
  const re = new RegExp(`^${stem.replace(/[.]/g, '\\.')}(\\.[0-9a-f]{10})?\\.${ext}$`);
  return paths.filter((p) => re.test(p));
};

describe('asset loading', { timeout: 120000 }, () => {
  test('login downloads no page module but its own, all from hashed URLs; the task page loads when shown', async (t) => {
    if (server.mock) return t.skip('the mock server has no hashed URLs');
    const { context, page, paths, problems } = await newPage();
    await page.goto(`${server.url}/`);
    await page.getByTestId('login-username').waitFor();
    for (const heavy of ['/js/pages/task.js', '/js/pages/scenarios.js', '/js/pages/tasks.js', '/js/pages/home.js']) {
      assert.deepEqual(requested(paths, heavy), [], `${heavy} downloaded by the login page`);
    }
    // every script, style and dictionary came from a content-hashed URL
    const assets = paths.filter((p) => /\.(m?js|css|json)$/.test(p) && !p.startsWith('/api/'));
    assert.ok(assets.length > 8, JSON.stringify(assets));
    for (const p of assets) assert.match(p, /\.[0-9a-f]{10}\.(m?js|css|json)$/, `${p} is not a hashed URL`);

    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(server.adminPassword);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('home-page').waitFor();
    assert.equal(requested(paths, '/js/pages/home.js').length, 1);
    assert.deepEqual(requested(paths, '/js/pages/task.js'), [], 'task page before it is shown');

    await page.locator(`[data-testid="home-project"][href="/projects/${projectId}"]`).click();
    await page.getByTestId('project-page').waitFor();
    await page.locator(`a[href="/tasks/${taskId}"]:visible`).first().click();
    await page.getByTestId('task-page').waitFor();
    assert.match(await page.getByTestId('task-page').innerText(), /懒加载任务/);
    const task = requested(paths, '/js/pages/task.js');
    assert.equal(task.length, 1, JSON.stringify(task));
    assert.match(task[0], /\.[0-9a-f]{10}\.js$/);
    assert.deepEqual(requested(paths, '/js/pages/scenarios.js'), [], 'scenario editor never shown');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('project page on a phone: what follows the task list is not shown (and so not shifted) until it arrives', async (t) => {
    if (server.mock) return t.skip('needs the real server');
    const { context, page, problems } = await newPage();
    await page.addInitScript(() => {
      window.__cls = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
      }).observe({ type: 'layout-shift', buffered: true });
    });
    await page.goto(`${server.url}/`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(server.adminPassword);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('home-page').waitFor();
    // hold the task list back, to see the page without it
    let release;
    const held = new Promise((ok) => {
      release = ok;
    });
    await page.route(/\/api\/projects\/\d+\/tasks/, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${server.url}/projects/${projectId}`);
    await page.getByTestId('project-page').waitFor();
    await page.locator('.task-list-card > .loading').waitFor();
    const members = page.locator('[data-testid="project-page"] .grid-2');
    assert.equal(await members.count(), 1);
    assert.equal(await members.isVisible(), false, 'members card shown before the task list');
    release();
    await page.getByTestId('tasks-table').waitFor();
    await members.waitFor({ state: 'visible' });
    await page.waitForTimeout(300);
    const cls = await page.evaluate(() => window.__cls);
    assert.ok(cls < 0.1, `cumulative layout shift ${cls}`);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a page module that cannot be loaded shows an error with a reload button', async (t) => {
    if (server.mock) return t.skip('needs the real server');
    // page.route() does not see requests the service worker answers from its cache
    const { context, page } = await newPage({ serviceWorkers: 'block' });
    // as after an upgrade: this tab's hashed URL of the task page is gone
    const taskModule = /\/js\/pages\/task\.[0-9a-f]{10}\.js$/;
    await page.route(taskModule, (route) => route.fulfill({ status: 404, body: 'not found' }));
    await page.goto(`${server.url}/tasks/${taskId}`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(server.adminPassword);
    await page.getByTestId('login-submit').click();
    const failed = page.getByTestId('page-load-failed');
    await failed.waitFor();
    assert.match(await failed.innerText(), /无法加载此页面/);
    // the shell still works around it
    assert.equal(await page.getByTestId('app-shell').count(), 1);
    await page.unroute(taskModule);
    await failed.getByRole('button').click();
    await page.getByTestId('task-page').waitFor();
    await context.close();
  });
});
