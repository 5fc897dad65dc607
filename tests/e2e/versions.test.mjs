// Scenario versions and test cases, against the real server: the admin edits the
// shipped "po_over_5000" twice (versions 2 and 3, one with a comment), sees the line
// diff between any two, rolls back to version 1 (saved as version 4, "rollback to v1");
// then keeps a dry run as a test case, breaks the script so that case fails, sees the
// save refused with the case listed, and saves anyway (the comment says so). A task
// made by version 1 links to it from its "why" panel.
//
// Run from tests/e2e:  node --test versions.test.mjs
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, apiSession, startBaton } from './server.mjs';

const IMG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'img');

let server;
let browser;
let api;
let skip = null;

before(async () => {
  if (process.env.BATON_E2E_MOCK === '1') {
    skip = 'the mock has no scenarios';
    return;
  }
  server = await startBaton();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  api = await apiSession(server.url, 'admin', server.adminPassword);
});

after(async () => {
  await api?.close();
  await browser?.close();
  await server?.stop();
});

async function stored(key) {
  const { body } = await api.call('GET', '/api/scenarios');
  return body.items.find((s) => s.key === key);
}

async function versionBadge(page, n) {
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="scenario-version"]')?.innerText.trim() === want,
    `版本 ${n}`,
  );
}

/** Replaces the editor's script and saves it with `comment`; waits for version `n`. */
async function saveAs(page, source, comment, n) {
  const src = page.getByTestId('scenario-source');
  await src.fill(source);
  await page.getByTestId('scenario-dirty').waitFor();
  await page.getByTestId('scenario-comment').fill(comment);
  await page.getByTestId('scenario-save').click();
  await versionBadge(page, n);
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="version-row"]')?.dataset.version === String(want),
    n,
  );
}

describe('scenario versions and test cases', { timeout: 180000 }, () => {
  test('edit twice, diff, roll back; keep a dry run as a case that then refuses a save', async (t) => {
    if (skip) return t.skip(skip);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    context.setDefaultTimeout(15000);
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // 401: the boot probe before login; 422: the save refused by its cases (asserted on)
      if (m.type() === 'error' && !/status of (401|422)/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    await page.goto(`${server.url}/`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(server.adminPassword);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('app-shell').waitFor();

    const po = await stored('po_over_5000');
    // a purchase order pushed now makes a task by version 1
    const tok = await api.call('POST', '/api/tokens', { name: 'erp-versions', scopes: ['erp:write'] });
    assert.equal(tok.status, 201, JSON.stringify(tok.body));
    const push = await fetch(`${server.url}/api/erp/records`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tok.body.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ records: [{ kind: 'purchase_order', id: 'PO-V1', data: { status: 'open', amount: '9000.00', supplier: 'V1' } }] }),
    });
    const pushed = await push.json();
    assert.equal(pushed.scenarios?.tasks_created, 1, JSON.stringify(pushed));
    await page.goto(`${server.url}/admin/scenarios/${po.id}`);
    await page.getByTestId('scenario-editor').waitFor();
    await versionBadge(page, 1);
    const panel = page.getByTestId('versions-panel');
    await panel.getByTestId('version-row').first().waitFor();
    assert.equal(await panel.getByTestId('version-row').count(), 1);
    assert.equal(await panel.getByTestId('version-rollback').count(), 0, 'the current version is not offered');
    // the shipped cases are listed
    await page.getByTestId('cases-panel').getByTestId('case-row').first().waitFor();
    assert.equal(await page.getByTestId('case-row').count(), 3);

    // ---- two edits: versions 2 and 3
    const v1 = po.source;
    const v2 = v1.replace('cents("50000")', 'cents("60000")');
    const v3 = v2.replace('Check price and quantity', 'Check price, quantity and the supplier');
    assert.notEqual(v2, v1);
    assert.notEqual(v3, v2);
    await saveAs(page, v2, 'urgent above 60000', 2);
    await saveAs(page, v3, '', 3);
    const rows = panel.getByTestId('version-row');
    assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => r.dataset.version)), ['3', '2', '1']);
    assert.equal((await rows.nth(1).getByTestId('version-comment').innerText()).trim(), 'urgent above 60000');

    // the diff of the last two: one line out, one in, marked by sign and word
    // (the v1 → v2 diff stays shown until the v2 → v3 one arrives: wait for it)
    const diff = panel.getByTestId('diff');
    await page.waitForFunction(() => /v2 → v3/.test(document.querySelector('[data-testid="diff-summary"]')?.innerText || ''));
    assert.match(await panel.getByTestId('diff-summary').innerText(), /v2 → v3/);
    assert.equal(await diff.getByTestId('diff-removed').count(), 1);
    assert.equal(await diff.getByTestId('diff-added').count(), 1);
    assert.match(await diff.getByTestId('diff-removed').innerText(), /删除[\s\S]*Check price and quantity/);
    assert.match(await diff.getByTestId('diff-added').innerText(), /新增[\s\S]*Check price, quantity and the supplier/);
    // any two: v1 → v3 has both changes
    await panel.getByTestId('diff-from').selectOption('1');
    await page.waitForFunction(() => /v1 → v3/.test(document.querySelector('[data-testid="diff-summary"]')?.innerText || ''));
    assert.equal(await diff.getByTestId('diff-removed').count(), 2);
    assert.equal(await diff.getByTestId('diff-added').count(), 2);
    // the screenshot in docs/scenarios.md: the versions and the diff of v1 → v3
    mkdirSync(IMG, { recursive: true });
    await page.evaluate(() => document.querySelectorAll('.toast').forEach((el) => el.remove()));
    await panel.screenshot({ path: join(IMG, 'scenario-versions.png') });

    // ---- roll back to v1 (confirmed): saved as v4 with v1's script
    await panel.locator('[data-testid="version-row"][data-version="1"]').getByTestId('version-rollback').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-ok').click();
    await versionBadge(page, 4);
    await page.waitForFunction(() => document.querySelector('[data-testid="version-row"]')?.dataset.version === '4');
    assert.equal((await rows.first().getByTestId('version-comment').innerText()).trim(), 'rollback to v1');
    assert.equal(await page.getByTestId('scenario-source').inputValue(), v1);
    assert.equal((await stored('po_over_5000')).source, v1);

    // ---- keep a dry run as a test case
    await page.getByTestId('dryrun-json').fill(
      JSON.stringify({ kind: 'purchase_order', id: 'PO-E2E', data: { status: 'open', amount: '7000.00', supplier: 'E2E' } }),
    );
    await page.getByTestId('dryrun-run').click();
    await page.getByTestId('dryrun-match').waitFor();
    await page.getByTestId('keep-case').click();
    await page.getByTestId('keep-case-dialog').waitFor();
    const name = page.getByTestId('keep-case-name');
    assert.match(await name.inputValue(), /^PO-E2E /);
    await name.fill('PO-E2E 7000 fires');
    await page.getByTestId('keep-case-ok').click();
    await page.getByTestId('keep-case-dialog').waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="case-row"]').length === 4);
    assert.match(await page.getByTestId('cases-panel').innerText(), /PO-E2E 7000 fires/);
    await page.getByTestId('cases-panel').screenshot({ path: join(IMG, 'scenario-cases.png') });

    // ---- break the script: above 8000 only. The save is refused with the case listed
    const broken = v1.replace('cents(r.amount) > cents("5000")', 'cents(r.amount) > cents("8000")');
    assert.notEqual(broken, v1);
    await page.getByTestId('scenario-source').fill(broken);
    await page.getByTestId('scenario-dirty').waitFor();
    await page.getByTestId('scenario-save').click();
    const refused = page.getByTestId('cases-failed');
    await refused.waitFor();
    const text = await refused.innerText();
    assert.match(text, /PO-E2E 7000 fires/);
    assert.match(text, /PO-7: 5000\.01 is above 5000/);
    assert.match(text, /does not fire/);
    assert.equal(await refused.getByTestId('case-fail').count(), 2);
    assert.equal((await stored('po_over_5000')).version, 4, 'nothing saved');
    await versionBadge(page, 4);
    // the cases can be run against the editor's script too
    await page.getByTestId('cases-run').click();
    await page.getByTestId('cases-summary').waitFor();
    assert.match(await page.getByTestId('cases-summary').innerText(), /通过 2 个，失败 2 个/);

    // saved anyway: version 5, and its comment says how many cases fail
    await page.getByTestId('save-anyway').click();
    await versionBadge(page, 5);
    await page.waitForFunction(() => document.querySelector('[data-testid="version-row"]')?.dataset.version === '5');
    assert.equal((await rows.first().getByTestId('version-comment').innerText()).trim(), 'saved with 2 failing cases');
    assert.equal(await page.getByTestId('cases-failed').count(), 0);

    // the task made by version 1 links to it: the editor compares v1 with the current v5
    const { body: projects } = await api.call('GET', '/api/projects');
    const erp = projects.items.find((p) => p.builtin === 'erp');
    const { body: tasks } = await api.call('GET', `/api/projects/${erp.id}/tasks?status=all`);
    const task = tasks.items.find((x) => x.title.includes('PO-V1'));
    assert.ok(task, JSON.stringify(tasks.items.map((x) => x.title)));
    await page.goto(`${server.url}/tasks/${task.id}`);
    await page.getByTestId('why-scenario-version').click();
    await page.getByTestId('scenario-editor').waitFor();
    await page.waitForFunction(() => /v1 → v5/.test(document.querySelector('[data-testid="diff-summary"]')?.innerText || ''));
    assert.equal(await panel.locator('[data-testid="version-row"][data-version="1"]').getAttribute('aria-current'), 'true');

    assert.deepEqual(problems, []);
    await context.close();
  });
});
