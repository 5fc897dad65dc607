// Accessibility (issue 18): axe-core over every page state of the app — English and
// Chinese, laptop (1366×900) and phone (390×844) — with zero serious or critical
// violations; and a keyboard-only walk: inbox → task → Start → Complete, and a Return
// with a reason through its dialog, asserting where focus is after each step and that
// Tab never leaves an open dialog.
//
// One server and one browser for the whole file; within a size and language the app is
// loaded once and moved between states with the router (history + popstate), so axe is
// injected once per context and no page is re-downloaded.
//
// Run from tests/e2e:  node --test a11y.test.mjs   (needs target/debug/baton)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, apiSession, startBaton } from './server.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const STEP_TIMEOUT = 15000;
const PASSWORD = 'A11y-Passw0rd-1';
const LAPTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };
const BLOCKING = new Set(['serious', 'critical']);

let server;
let browser;
let admin; // API session of the admin
const ids = {};
const tasks = {};
let skip = false;

before(async () => {
  if (process.env.BATON_E2E_MOCK === '1') {
    skip = 'runs against the binary (ERP records, scenarios, statistics)';
    return;
  }
  server = await startBaton();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  admin = await apiSession(server.url, 'admin', server.adminPassword);
  ids.admin = (await admin.call('GET', '/api/me')).body.user.id;
  const ok = (r, status = 201) => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    return r.body;
  };
  const dept = ok(await admin.call('POST', '/api/departments', { name: 'Operations' }));
  for (const [username, display_name, language] of [['ana', 'Ana 安娜', 'en'], ['bob', 'Bob 波波', 'zh-CN']]) {
    const user = { username, display_name, language, role: 'member', department_id: dept.id, password: PASSWORD };
    ids[username] = ok(await admin.call('POST', '/api/users', user)).id;
  }
  const project = ok(await admin.call('POST', '/api/projects', {
    name: 'Orders', department_id: dept.id, members: [ids.admin, ids.ana, ids.bob], business_types: ['refund'],
  }));
  ids.project = project.id;
  const mk = async (title, nodes, extra = {}) =>
    ok(await admin.call('POST', `/api/projects/${project.id}/tasks`, {
      kind: nodes.length > 1 ? 'workflow' : 'simple', title, nodes: nodes.map((handler_id) => ({ handler_id, action: 'check' })), ...extra,
    }));
  const complete = async (who, task) => {
    const s = who === 'admin' ? admin : await apiSession(server.url, who, PASSWORD);
    const r = await s.call('POST', `/api/tasks/${task.id}/complete`, { rev: task.rev });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    if (s !== admin) await s.close();
    return r.body;
  };
  // the admin handles step 2 of R (start, complete, transfer, return) and urges on U
  tasks.r = await mk('Refund R-1', [ids.ana, ids.admin, ids.bob], { priority: 'high', business_type: 'refund' });
  await complete('ana', tasks.r);
  tasks.u = await mk('Restock U-1', [ids.admin, ids.ana], { priority: 'urgent' });
  await complete('admin', tasks.u);
  tasks.late = await mk('Late L-1', [ids.admin], { due_at: new Date(Date.now() - 3600000).toISOString(), priority: 'low' });
  tasks.done = await mk('Done D-1', [ids.admin]);
  await complete('admin', tasks.done);
  // ana's keyboard walk: K1 to start and complete, K2 to return to bob
  tasks.k1 = await mk('Keyboard K-1', [ids.ana]);
  tasks.k2 = await mk('Keyboard K-2', [ids.bob, ids.ana]);
  await complete('bob', tasks.k2);
  tasks.k3 = await mk('Keyboard K-3', [ids.ana, ids.admin]);
  ok(await admin.call('POST', '/api/announcements', { title: 'Stocktake Friday', body: 'Count **everything**', pinned: true }));
  const ana = await apiSession(server.url, 'ana', PASSWORD);
  ids.feedback = ok(await ana.call('POST', '/api/feedback', { kind: 'question', title: 'Export refunds?', body: 'Where is the button?' })).id;
  await ana.close();
  // ERP records (the shipped scenario turns the out-of-stock one into a task)
  const token = ok(await admin.call('POST', '/api/tokens', { name: 'erp-a11y', scopes: ['erp:write'] })).token;
  const res = await fetch(`${server.url}/api/erp/records`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      records: [{ kind: 'order', id: 'SO-1', data: { status: 'out_of_stock', sku: 'MUG-01', out_of_stock_since: new Date(Date.now() - 4 * 86400000).toISOString() } }],
    }),
  });
  assert.equal(res.status, 200, await res.text());
  // an inbound webhook, for the hook list and the hook's own page
  ids.hook = ok(await admin.call('POST', '/api/admin/hooks', { name: 'shop-a11y', preset: 'shopify', secret: 'a11y-secret-123' })).id;
  // a pull connector that has not run (switched off), for its list and its page
  ids.connector = ok(await admin.call('POST', '/api/admin/connectors', { name: 'erp-a11y', url: 'https://erp.invalid/orders', enabled: false })).id;
});

after(async () => {
  await admin?.close();
  await browser?.close();
  await server?.stop();
});

async function newPage(viewport, locale) {
  const context = await browser.newContext({ viewport, locale });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return { context, page, problems };
}

/** Move the single-page app to `path` the way its links do (no reload). */
async function go(page, path) {
  await page.evaluate((p) => {
    window.history.pushState(null, '', p);
    window.dispatchEvent(new PopStateEvent('popstate'));
  }, path);
}

/** Wait until the routed page has its heading and nothing in <main> is still loading. */
async function settled(page, testid) {
  if (testid) await page.getByTestId(testid).first().waitFor();
  await page.locator('main h1').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('main .loading, main .spinner'));
}

/** axe over the whole document; returns its violations (every impact) tagged with `state`. */
async function audit(page, state) {
  // a dialog fading in would be measured half transparent: let finite animations end
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity),
  );
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')} :: ${(n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 300)}`),
    }));
  });
  return found.map((v) => ({ state, ...v }));
}

function report(violations) {
  return violations
    .map((v) => `[${v.state}] ${v.impact} ${v.id}: ${v.help}\n${v.nodes.slice(0, 8).map((n) => `    ${n}`).join('\n')}`)
    .join('\n');
}

/**
 * Every page state the app has, in the order they are visited. `open` brings the state
 * up from the previous one; `close` undoes what `open` left open (a dialog, a menu).
 */
function pageStates(phone) {
  const dialog = (route, testid, op, extra) => ({
    name: `${route} + ${op} dialog${extra ? ` (${extra})` : ''}`,
    open: async (page) => {
      await go(page, route);
      await settled(page, `op-${op}`);
      await page.getByTestId(`op-${op}`).click();
      await page.getByTestId(testid).waitFor();
      if (extra) {
        await page.getByTestId(`${op}-submit`).click();
        await page.getByTestId(`${op}-reason-error`).waitFor();
      }
    },
    close: async (page) => {
      await page.keyboard.press('Escape');
      await page.getByTestId(testid).waitFor({ state: 'detached' });
    },
  });
  const opens = (name, button, testid) => ({
    name,
    open: async (page) => {
      await page.getByTestId(button).click();
      await page.getByTestId(testid).waitFor();
    },
    close: async (page) => {
      await page.keyboard.press('Escape');
      await page.getByTestId(testid).waitFor({ state: 'detached' });
    },
  });
  const route = (path, testid) => ({ name: path, open: async (page) => { await go(page, path); await settled(page, testid); } });
  const states = [
    route('/', 'home-page'),
    {
      name: '/ + user menu open',
      open: async (page) => {
        await page.getByTestId('user-menu').click();
        await page.getByTestId('user-menu-panel').waitFor();
      },
      close: async (page) => {
        await page.keyboard.press('Escape');
        await page.getByTestId('user-menu-panel').waitFor({ state: 'detached' });
      },
    },
    route('/inbox', 'inbox-list'),
    route('/my', 'mywork-page'),
    route(`/projects/${ids.project}`, 'project-page'),
    opens(`/projects/${ids.project} + new task dialog`, 'task-new', 'task-create-dialog'),
    route(`/tasks/${tasks.r.id}`, 'flow-ops'),
    dialog(`/tasks/${tasks.r.id}`, 'transfer-dialog', 'transfer'),
    dialog(`/tasks/${tasks.r.id}`, 'return-dialog', 'return'),
    dialog(`/tasks/${tasks.r.id}`, 'return-dialog', 'return', 'reason missing'),
    dialog(`/tasks/${tasks.u.id}`, 'urge-dialog', 'urge'),
    dialog(`/tasks/${tasks.r.id}`, 'addsign-dialog', 'add_before'),
    opens(`/tasks/${tasks.r.id} + edit dialog`, 'task-edit', 'task-edit-dialog'),
    opens(`/tasks/${tasks.r.id} + delete confirmation`, 'task-delete', 'confirm-dialog'),
    route(`/tasks/${tasks.done.id}`),
    route('/me', 'dash-todo'),
    route('/stats', 'stats-table'),
    route('/announcements', 'announcement'),
    route('/news'),
    route('/feedback'),
    route(`/feedback/${ids.feedback}`),
    route('/account'),
    {
      name: '/account + change password dialog',
      open: async (page) => {
        await page.getByTestId('user-menu').click();
        await page.getByTestId('menu-password').click();
        await page.getByTestId('password-dialog').waitFor();
      },
      close: async (page) => {
        await page.keyboard.press('Escape');
        await page.getByTestId('password-dialog').waitFor({ state: 'detached' });
      },
    },
    route('/admin/users', 'user-row'),
    {
      name: '/admin/users + edit dialog',
      open: async (page) => {
        await page.getByTestId('user-edit').first().click();
        await page.getByTestId('user-edit-dialog').waitFor();
      },
      close: async (page) => {
        await page.keyboard.press('Escape');
        await page.getByTestId('user-edit-dialog').waitFor({ state: 'detached' });
      },
    },
    route('/admin/departments', 'department-row'),
    route('/admin/projects', 'project-row'),
    route('/admin/templates', 'template-row'),
    route('/admin/tokens', 'token-row'),
    route('/admin/audit', 'audit-row'),
    route('/admin/scenarios', 'scenario-open'),
    {
      name: '/admin/scenarios/:id (editor)',
      open: async (page) => {
        await go(page, await page.getByTestId('scenario-open').first().getAttribute('href'));
        await settled(page, 'scenario-editor');
      },
    },
    {
      name: '/admin/scenarios/new (builder form)',
      open: async (page) => {
        await go(page, '/admin/scenarios/new');
        await page.locator('[data-testid="builder-template"][data-key="order_out_of_stock"]').click();
        await settled(page, 'scenario-builder');
        await page.locator('[data-testid="builder-script"]:has-text("days_since")').waitFor();
      },
    },
    route('/admin/erp', 'erp-records-page'),
    route('/admin/erp/order/SO-1', 'erp-record-page'),
    route('/admin/delivery', 'delivery-page'),
    route('/admin/erp/import', 'erp-import-page'),
    {
      name: '/admin/erp/import + a CSV staged (column table)',
      open: async (page) => {
        await page.getByTestId('import-file').setInputFiles({
          name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from('id,status,amount\nSO-9,paid,12.50\nSO-10,out_of_stock,8\n'),
        });
        await page.getByTestId('import-columns').waitFor();
      },
    },
    route('/admin/hooks', 'hooks-table'),
    route(`/admin/hooks/${ids.hook}`, 'hook-page'),
    route('/admin/connectors', 'connectors-table'),
    route(`/admin/connectors/${ids.connector}`, 'connector-page'),
    {
      name: '/me + two-factor set-up dialog',
      open: async (page) => {
        await go(page, '/me');
        await settled(page, 'tfa-enrol-open');
        await page.getByTestId('tfa-enrol-open').click();
        await page.getByTestId('tfa-enrol-dialog').waitFor();
      },
      close: async (page) => {
        await page.keyboard.press('Escape');
        await page.getByTestId('tfa-enrol-dialog').waitFor({ state: 'detached' });
      },
    },
    route('/no/such/page'),
  ];
  if (phone) {
    states.push({
      name: 'phone drawer open',
      open: async (page) => {
        await go(page, '/');
        await settled(page, 'home-page');
        await page.getByTestId('menu-toggle').click();
        await page.locator('.sidebar.open').waitFor();
      },
      close: async (page) => {
        await page.keyboard.press('Escape');
        await page.locator('.sidebar.open').waitFor({ state: 'detached' });
      },
    });
  }
  return states;
}

const COMBOS = [
  { lang: 'en', viewport: LAPTOP, size: 'laptop' },
  { lang: 'zh-CN', viewport: LAPTOP, size: 'laptop' },
  { lang: 'en', viewport: PHONE, size: 'phone' },
  { lang: 'zh-CN', viewport: PHONE, size: 'phone' },
];

/** What has focus, for assertions and messages: test id, else tag#id, plus where it sits. */
async function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a || a === document.body) return { what: 'body' };
    return {
      what: a.dataset.testid || `${a.tagName.toLowerCase()}${a.id ? `#${a.id}` : ''}`,
      tag: a.tagName.toLowerCase(),
      text: (a.textContent || '').trim().slice(0, 80),
      inDialog: !!a.closest('[role="dialog"]'),
      inMain: !!a.closest('main'),
      inSidebar: !!a.closest('#sidebar'),
      taskId: a.closest('[data-testid="inbox-item"]')?.dataset.taskId || null,
    };
  });
}

/** Focus settles on `what` (effects run after paint, so give it a moment), else fail with `message`. */
async function focusIs(page, what, message) {
  const deadline = Date.now() + 3000;
  let f = await focused(page);
  while (f.what !== what && Date.now() < deadline) {
    await page.waitForTimeout(50);
    f = await focused(page);
  }
  assert.equal(f.what, what, `${message}: focus is on ${JSON.stringify(f)}`);
}

/** Press Tab until `want(focus)` holds (at most `max` presses); returns the presses it took. */
async function tabTo(page, want, label, max = 60) {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if (want(await focused(page))) return i;
  }
  assert.fail(`Tab never reached ${label} in ${max} presses (last: ${JSON.stringify(await focused(page))})`);
}

/** A browser for `username`, signed in with the keyboard alone. */
async function keyboardSignIn(username, viewport, locale = 'en') {
  const { context, page, problems } = await newPage(viewport, locale);
  await page.goto(`${server.url}/`);
  await page.getByTestId('login-page').waitFor();
  // the login page starts in the username field
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'login-username');
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).what, 'login-password');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByTestId('app-shell').waitFor();
  return { context, page, problems };
}

/** Focus is on <main>'s page heading, reading `title`. */
async function headingFocused(page, title) {
  await page.waitForFunction(
    (want) => {
      const a = document.activeElement;
      return a && a.tagName === 'H1' && a.closest('main') && (!want || a.textContent.includes(want));
    },
    title,
    { timeout: STEP_TIMEOUT },
  ).catch(async () => assert.fail(`focus is not on the page heading${title ? ` "${title}"` : ''}: ${JSON.stringify(await focused(page))}`));
}

describe('accessibility (axe-core, keyboard)', { timeout: 600000 }, () => {
  for (const combo of COMBOS) {
    test(`axe: every page state, ${combo.lang}, ${combo.size} ${combo.viewport.width}×${combo.viewport.height}`, async (t) => {
      if (skip) return t.skip(skip);
      // the profile's language wins after login; the browser's before it
      assert.equal((await admin.call('PATCH', '/api/me', { language: combo.lang })).status, 200);
      const { context, page, problems } = await newPage(combo.viewport, combo.lang);
      await context.addInitScript(AXE_SOURCE);
      const findings = [];
      const visited = [];

      await page.goto(`${server.url}/`);
      await page.getByTestId('login-page').waitFor();
      await page.waitForFunction((l) => document.documentElement.lang === l, combo.lang);
      findings.push(...(await audit(page, 'login')));
      visited.push('login');
      // the login page is a <main> landmark too
      assert.equal(await page.locator('main').count(), 1, 'the login page has one <main>');
      await page.getByTestId('login-submit').click(); // empty: the form says what is missing
      await page.getByTestId('login-error').waitFor();
      findings.push(...(await audit(page, 'login (error)')));
      visited.push('login (error)');
      await page.getByTestId('login-username').fill('admin');
      await page.getByTestId('login-password').fill(server.adminPassword);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('app-shell').waitFor();
      // every <nav> landmark has a name (there are three), and there is one <main>
      assert.equal(await page.locator('nav:not([aria-label]):not([aria-labelledby])').count(), 0, 'an unnamed <nav>');
      assert.equal(await page.locator('main').count(), 1);

      for (const state of pageStates(combo.size === 'phone')) {
        await state.open(page);
        findings.push(...(await audit(page, state.name)));
        visited.push(state.name);
        if (state.close) await state.close(page);
      }
      t.diagnostic(`${visited.length} states: ${visited.join(', ')}`);
      // moderate and minor findings are listed, not failed on
      const minor = new Map();
      for (const v of findings.filter((x) => !BLOCKING.has(x.impact))) {
        const seen = minor.get(`${v.impact} ${v.id}`) || { states: 0, nodes: new Set() };
        seen.states += 1;
        v.nodes.forEach((n) => seen.nodes.add(n.split(' :: ')[0]));
        minor.set(`${v.impact} ${v.id}`, seen);
      }
      const listed = [...minor].map(([k, x]) => `${k} in ${x.states} states (${[...x.nodes].slice(0, 4).join(' | ')})`);
      t.diagnostic(`moderate/minor, not failed on: ${listed.join('; ') || 'none'}`);
      const violations = findings.filter((v) => BLOCKING.has(v.impact));
      assert.deepEqual(problems, []);
      await context.close();
      assert.equal(violations.length, 0, `serious/critical axe violations (${combo.lang}, ${combo.size}):\n${report(violations)}`);
    });
  }
  test('keyboard only: inbox → task → Start → Complete; Return with a reason and Transfer through their dialogs', async (t) => {
    if (skip) return t.skip(skip);
    const { context, page, problems } = await keyboardSignIn('ana', LAPTOP);
    // logging in lands on the first page with focus on its heading
    await headingFocused(page);

    // the inbox, loaded afresh: the skip link is the first Tab stop and jumps to the heading
    await page.goto(`${server.url}/inbox`);
    await page.getByTestId('inbox-list').waitFor();
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).what, 'skip-link');
    assert.ok(await page.getByTestId('skip-link').isVisible(), 'the focused skip link is on screen');
    await page.keyboard.press('Enter');
    await headingFocused(page, 'Inbox');

    // open K-1 from its message
    await tabTo(page, (f) => f.what === 'inbox-open' && f.taskId === String(tasks.k1.id), 'the K-1 message');
    await page.keyboard.press('Enter');
    await page.locator(`[data-testid="task-page"][data-task-id="${tasks.k1.id}"]`).waitFor();
    await headingFocused(page, 'Keyboard K-1');

    // Start: focus stays next to it, on Complete (Start itself is gone)
    await tabTo(page, (f) => f.what === 'op-start', 'Start');
    await page.keyboard.press('Enter');
    await page.getByTestId('op-start').waitFor({ state: 'detached' });
    await focusIs(page, 'op-complete', 'after Start, focus is on Complete');
    // Complete: the task is finished, nothing is left to press; focus stays on the flow card
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="status-badge"]').filter({ hasText: 'Done' }).waitFor();
    await focusIs(page, 'h2#flow-title', 'after Complete, focus is on the flow card');

    // K-2 from the inbox: Return, first cancelled with Escape, then with a reason
    await page.goto(`${server.url}/inbox`);
    await page.getByTestId('inbox-list').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await headingFocused(page, 'Inbox');
    await tabTo(page, (f) => f.what === 'inbox-open' && f.taskId === String(tasks.k2.id), 'the K-2 message');
    await page.keyboard.press('Enter');
    await page.locator(`[data-testid="task-page"][data-task-id="${tasks.k2.id}"]`).waitFor();
    await headingFocused(page, 'Keyboard K-2');
    await tabTo(page, (f) => f.what === 'op-return', 'Return');
    await page.keyboard.press('Enter');
    const dlg = page.getByTestId('return-dialog');
    await dlg.waitFor();
    await focusIs(page, 'return-reason', 'the dialog opens in its reason field');
    await page.keyboard.press('Escape');
    await dlg.waitFor({ state: 'detached' });
    await focusIs(page, 'op-return', 'Escape closes and gives focus back to the opener');

    await page.keyboard.press('Enter');
    await dlg.waitFor();
    await focusIs(page, 'return-reason', 'the dialog opens again in its reason field');
    // Tab (and Shift+Tab) cycle inside the dialog; the page behind is inert
    const outside = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      const f = await focused(page);
      if (!f.inDialog) outside.push(`Tab ${i + 1}: ${JSON.stringify(f)}`);
    }
    for (let i = 0; i < 7; i++) {
      await page.keyboard.press('Shift+Tab');
      const f = await focused(page);
      if (!f.inDialog) outside.push(`Shift+Tab ${i + 1}: ${JSON.stringify(f)}`);
    }
    assert.deepEqual(outside, [], 'focus left the open dialog');
    assert.equal(await page.evaluate(() => document.querySelector('.sidebar').closest('[inert]') !== null), true, 'the page behind is inert');

    await tabTo(page, (f) => f.what === 'return-reason', 'the reason field');
    // Ctrl+Enter with no reason: refused, the field says why
    await page.keyboard.press('Control+Enter');
    await dlg.getByTestId('return-reason-error').waitFor();
    const field = dlg.getByTestId('return-reason');
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    const describedBy = await field.getAttribute('aria-describedby');
    assert.ok(describedBy, 'the reason field points at its error');
    assert.equal(await page.locator(`#${describedBy}`).innerText(), await dlg.getByTestId('return-reason-error').innerText());
    assert.equal((await focused(page)).what, 'return-reason');
    await page.keyboard.type('Wrong SKU, please check');
    await page.keyboard.press('Control+Enter');
    await dlg.waitFor({ state: 'detached' });
    await page.getByTestId('op-return').waitFor({ state: 'detached' });
    await focusIs(page, 'h2#flow-title', 'after Return, focus is on the flow card, not <body>');
    await page.getByTestId('log-reason').filter({ hasText: 'Wrong SKU, please check' }).waitFor();

    // K-3: Transfer to Bob, the note sent with Ctrl+Enter; focus stays on the flow card
    await page.goto(`${server.url}/inbox`);
    await page.getByTestId('inbox-list').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await headingFocused(page, 'Inbox');
    await tabTo(page, (f) => f.what === 'inbox-open' && f.taskId === String(tasks.k3.id), 'the K-3 message');
    await page.keyboard.press('Enter');
    await headingFocused(page, 'Keyboard K-3');
    await tabTo(page, (f) => f.what === 'op-transfer', 'Transfer');
    await page.keyboard.press('Enter');
    const tdlg = page.getByTestId('transfer-dialog');
    await tdlg.waitFor();
    await focusIs(page, 'transfer-to', 'the transfer dialog opens in its first field');
    // the users' names may still be loading (an option reads "#id" until then): type once Bob's name is there
    await tdlg.locator(`[data-testid="transfer-to"] option[value="${ids.bob}"][data-username="bob"]`).waitFor({ state: 'attached' });
    await page.keyboard.type('Bob'); // type-ahead in the closed <select>
    assert.equal(await tdlg.getByTestId('transfer-to').inputValue(), String(ids.bob));
    await page.keyboard.press('Tab');
    await focusIs(page, 'transfer-note', 'Tab goes on to the note');
    await page.keyboard.type('Bob knows this supplier');
    await page.keyboard.press('Meta+Enter'); // Cmd+Enter, as on a Mac
    await tdlg.waitFor({ state: 'detached' });
    await page.locator('[data-testid="flow-node"][data-current="true"]').filter({ hasText: 'Bob' }).waitFor();
    await focusIs(page, 'h2#flow-title', 'after Transfer, focus is on the flow card, not <body>');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('keyboard only on a phone: the drawer and the user menu', async (t) => {
    if (skip) return t.skip(skip);
    const { context, page, problems } = await keyboardSignIn('bob', PHONE, 'zh-CN');
    await page.goto(`${server.url}/my`);
    await page.getByTestId('mywork-page').waitFor();
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).what, 'skip-link');
    assert.equal(await page.getByTestId('skip-link').innerText(), '跳到正文');
    await page.keyboard.press('Tab');
    const toggle = page.getByTestId('menu-toggle');
    assert.equal((await focused(page)).what, 'menu-toggle');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await toggle.getAttribute('aria-label'), '打开菜单');
    await page.keyboard.press('Enter');
    await page.locator('.sidebar.open').waitFor();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    assert.equal(await toggle.getAttribute('aria-label'), '关闭菜单');
    await focusIs(page, 'nav-home', 'opening the drawer moves focus into it');
    const escaped = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      const f = await focused(page);
      if (!f.inSidebar && f.what !== 'menu-toggle') escaped.push(`Tab ${i + 1}: ${JSON.stringify(f)}`);
    }
    assert.deepEqual(escaped, [], 'Tab left the open drawer');
    await page.keyboard.press('Escape');
    await page.locator('.sidebar.open').waitFor({ state: 'detached' });
    await focusIs(page, 'menu-toggle', 'Escape closes the drawer, focus on its toggle');
    assert.equal(await toggle.getAttribute('aria-label'), '打开菜单');
    // following a link in the drawer closes it and lands on the new page's heading
    await page.keyboard.press('Enter');
    await focusIs(page, 'nav-home', 'the drawer opens again with focus inside');
    await tabTo(page, (f) => f.what === 'nav-inbox', 'the inbox link', 5);
    await page.keyboard.press('Enter');
    await page.getByTestId('inbox-page').waitFor();
    await page.locator('.sidebar.open').waitFor({ state: 'detached' });
    await headingFocused(page, '消息');

    // the user menu is a disclosure: a named button, aria-expanded, no menu roles
    const menu = page.getByTestId('user-menu');
    assert.match(await menu.evaluate((el) => el.innerText + el.textContent), /Bob/);
    await tabTo(page, (f) => f.what === 'user-menu', 'the user menu');
    await page.keyboard.press('Enter');
    await page.getByTestId('user-menu-panel').waitFor();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    assert.equal(await page.locator('[role="menu"], [role="menuitem"]').count(), 0);
    await tabTo(page, (f) => f.what === 'menu-account', 'Account settings', 6);
    await page.keyboard.press('Escape');
    await page.getByTestId('user-menu-panel').waitFor({ state: 'detached' });
    await focusIs(page, 'user-menu', 'Escape closes the user menu, focus on its button');
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
