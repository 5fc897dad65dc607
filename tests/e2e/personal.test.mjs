// The personal centre and statistics through the real UI: a member's dashboard on a
// phone (counts, rates with "—", chart, overdue task, unread announcement), an admin's
// statistics table (month/week switch, sort, CSV/XLSX links), feedback answered.
//
// Run from tests/e2e:  node --test personal.test.mjs   (needs the real server)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, apiSession, startBaton } from './server.mjs';

const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 860 };
const PASSWORD = 'Stats-Passw0rd-1';
const skip = process.env.BATON_E2E_MOCK === '1' ? 'statistics are not in the mock' : false;

let server;
let browser;
const ids = {};
let admin;

async function signIn(username, { viewport = DESKTOP, password = PASSWORD } = {}) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(`${server.url}/`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('app-shell').waitFor();
  return page;
}

describe('personal centre and statistics', { skip }, () => {
  before(async () => {
    server = await startBaton();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    admin = await apiSession(server.url, 'admin', server.adminPassword);
    ids.admin = (await admin.call('GET', '/api/me')).body.user.id;
    for (const [username, display_name] of [['ana', '安娜'], ['bo', '波波']]) {
      const r = await admin.call('POST', '/api/users', { username, display_name, role: 'member', password: PASSWORD });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids[username] = r.body.id;
    }
    const p = await admin.call('POST', '/api/projects', { name: 'Stock', members: [ids.admin, ids.ana, ids.bo], business_types: [] });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    // ana: one task done on time (then bo's), one overdue still open.
    const mk = async (title, due) =>
      (await admin.call('POST', `/api/projects/${p.body.id}/tasks`, {
        kind: 'workflow', title, due_at: due,
        nodes: [{ handler_id: ids.ana, action: 'check' }, { handler_id: ids.bo, action: 'approve' }],
      })).body;
    const t1 = await mk('Restock SKU-1', new Date(Date.now() + 86400000).toISOString());
    const ana = await apiSession(server.url, 'ana', PASSWORD);
    const done = await ana.call('POST', `/api/tasks/${t1.id}/complete`, { rev: t1.rev });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    await mk('Late SKU-2', new Date(Date.now() - 3600000).toISOString());
    await ana.close();
    const a = await admin.call('POST', '/api/announcements', { title: 'Stocktake Friday', body: 'Count **everything** <script>window.pwned=1</script>', pinned: true });
    assert.equal(a.status, 201, JSON.stringify(a.body));
  });

  after(async () => {
    if (admin) await admin.close();
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('a member sees the dashboard on a phone', async () => {
    const page = await signIn('ana', { viewport: PHONE });
    await page.goto(`${server.url}/me`);
    await page.getByTestId('dash-todo').waitFor();
    assert.equal(await page.getByTestId('dash-todo').textContent(), '1');
    assert.equal(await page.getByTestId('dash-done').textContent(), '1');
    assert.equal(await page.getByTestId('dash-overdue').textContent(), '1');
    assert.equal(await page.getByTestId('dash-received').textContent(), '2');
    assert.equal(await page.getByTestId('dash-completion').textContent(), '50%');
    assert.equal(await page.getByTestId('dash-ontime').textContent(), '100%');
    assert.equal(await page.locator('[data-testid="trend-chart"] rect').count(), 12);
    assert.match(await page.getByTestId('dash-overdue-list').textContent(), /Late SKU-2/);
    assert.match(await page.getByTestId('dash-announcements').textContent(), /Stocktake Friday/);
    // No horizontal scrolling on the phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page is ${overflow}px wider than the phone`);
    // The announcement renders inert and becomes read.
    await page.goto(`${server.url}/announcements`);
    await page.getByTestId('announcement-unread').waitFor();
    await page.getByTestId('announcement').first().locator('button').first().click();
    await page.getByTestId('announcement-body').waitFor();
    assert.match(await page.getByTestId('announcement-body').innerHTML(), /<strong>everything<\/strong>/);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    await page.goto(`${server.url}/me`);
    await page.getByTestId('dash-todo').waitFor();
    assert.equal(await page.getByTestId('dash-announcements').count(), 0);
    // A member's statistics page shows only their own row.
    await page.goto(`${server.url}/stats`);
    await page.getByTestId('stats-table').waitFor();
    assert.equal(await page.locator('[data-testid^="stats-row-"]').count(), 1);
    await page.context().close();
  });

  test('an admin reads, switches, sorts and downloads statistics', async () => {
    const page = await signIn('admin', { password: server.adminPassword });
    await page.getByTestId('nav-stats').click();
    await page.getByTestId('stats-row-ana').waitFor();
    const cell = (user, col) => page.locator(`[data-testid="stats-row-${user}"] td[data-col="${col}"]`).textContent();
    assert.equal(await cell('ana', 'received'), '2');
    assert.equal(await cell('ana', 'completion_rate'), '50%');
    assert.equal(await cell('bo', 'received'), '1');
    assert.equal(await cell('bo', 'on_time_rate'), '—');
    assert.equal(await cell('admin', 'completion_rate'), '—');
    // sort by received, descending on the second click
    await page.getByTestId('sort-received').click();
    await page.getByTestId('sort-received').click();
    const first = await page.locator('[data-testid^="stats-row-"]').first().getAttribute('data-testid');
    assert.equal(first, 'stats-row-ana');
    // the page says how the figures count
    assert.match(await page.getByTestId('stats-rules').textContent(), /withdraw|撤回/i);
    // month view offers six months; week view every week of those six months, with dates
    assert.equal(await page.locator('[data-testid="stats-at"] option').count(), 6);
    await page.getByTestId('stats-week').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="stats-at"]').value.includes('-W'));
    const weeks = await page.locator('[data-testid="stats-at"] option').count();
    assert.ok(weeks >= 22 && weeks <= 28, `${weeks} weeks offered`);
    assert.match(await page.locator('[data-testid="stats-at"] option').first().textContent(), /^\d{4}-W\d{2} · \d{1,2}\/\d{1,2}–\d{1,2}\/\d{1,2}$/);
    assert.equal(await cell('ana', 'received'), '2');
    const csv = await page.getByTestId('stats-csv').getAttribute('href');
    assert.match(csv, /^\/api\/stats\/export\.csv\?period=week/);
    const res = await page.request.get(`${server.url}${csv}`);
    assert.equal(res.status(), 200);
    assert.match(await res.text(), /ana,安娜/);
    const xlsx = await page.request.get(`${server.url}${await page.getByTestId('stats-xlsx').getAttribute('href')}`);
    assert.equal(xlsx.status(), 200);
    await page.context().close();
  });

  test('feedback is asked by a member and answered by the admin', async () => {
    const member = await signIn('bo', { viewport: PHONE });
    await member.goto(`${server.url}/feedback`);
    await member.getByTestId('feedback-new').click();
    await member.getByTestId('feedback-title').fill('Where is the export?');
    await member.getByTestId('feedback-body').fill('I cannot find it <script>window.pwned=1</script>');
    await member.getByTestId('feedback-submit').click();
    await member.getByTestId('feedback-body-html').waitFor();
    // attach a screenshot to the question
    await member.getByTestId('feedback-attachment-input').setInputFiles({ name: 'screen.png', mimeType: 'image/png', buffer: Buffer.from('PNG') });
    await member.getByTestId('feedback-attachment').waitFor();
    const url = member.url();
    const adminPage = await signIn('admin', { password: server.adminPassword });
    await adminPage.goto(url);
    assert.match(await adminPage.getByTestId('feedback-attachment').textContent(), /screen\.png/);
    await adminPage.getByTestId('feedback-reply-body').fill('On the **Statistics** page');
    await adminPage.getByTestId('feedback-reply-send').click();
    await adminPage.getByTestId('feedback-reply').waitFor();
    await member.reload();
    await member.getByTestId('feedback-reply').waitFor();
    assert.match(await member.getByTestId('feedback-status-badge').textContent(), /Answered|已回复/);
    assert.equal(await member.evaluate(() => window.pwned), undefined);
    await member.context().close();
    await adminPage.context().close();
  });
});
