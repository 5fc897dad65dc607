// Write-back against the real server: an admin sets up a target on the Delivery
// channels page (the secret write-only), "send test" reaches a local receiver, and
// after a flow operation on a task of a project that chose the target its deliveries
// are listed as sent, each body signed. The server runs with
// `[network] allow_private = ["127.0.0.1/32"]` so the loopback receiver is allowed.
//
// Run from tests/e2e:  node --test write-back.test.mjs   (needs the real server)
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { apiSession, CHROMIUM_ARGS, CHROMIUM_PATH, startBaton } from './server.mjs';

const skip = process.env.BATON_E2E_MOCK === '1' ? 'write-back is not in the mock' : false;
const SECRET = 'wb-e2e-secret';
let server;
let browser;
let erp;
const received = [];
let waiters = [];

/** Resolves once the receiver has `n` requests. */
const receivedAtLeast = (n) =>
  new Promise((ok) => {
    const check = () => (received.length >= n ? (ok(), true) : false);
    if (!check()) waiters.push(check);
  });

describe('write-back admin', { skip }, () => {
  before(async () => {
    erp = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        waiters = waiters.filter((w) => !w());
        res.writeHead(200).end('ok');
      });
    });
    await new Promise((ok) => erp.listen(0, '127.0.0.1', ok));
    server = await startBaton({
      config: '[network]\nallow_private = ["127.0.0.1/32"]\n[delivery]\ninterval = "200ms"\n',
    });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    erp?.close();
  });

  test('create a target, send a test, see the deliveries of a flow operation', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    await page.goto(`${server.url}/`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(server.adminPassword);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('app-shell').waitFor();
    await page.getByTestId('nav-delivery').click();
    await page.getByTestId('write-back').waitFor();

    await page.getByTestId('wb-add').click();
    await page.getByTestId('wb-name').fill('erp');
    await page.getByTestId('wb-url').fill(`http://127.0.0.1:${erp.address().port}/baton`);
    await page.getByTestId('wb-secret').fill(SECRET);
    await page.getByTestId('wb-save').click();
    const card = page.getByTestId('wb-target').filter({ hasText: 'erp' });
    await card.waitFor();
    assert.ok(!(await page.content()).includes(SECRET), 'the secret is not shown again');

    await card.getByTestId('wb-test').click();
    await card.getByTestId('wb-test-ok').waitFor();
    await receivedAtLeast(1);
    assert.equal(JSON.parse(received[0].body).event, 'test');

    // A project that writes back to it, a task in it, the task completed.
    const api = await apiSession(server.url, 'admin', server.adminPassword);
    const me = (await api.call('GET', '/api/me')).body.user;
    const p = (await api.call('POST', '/api/projects', { name: 'Purchasing', members: [me.id] })).body;
    const chosen = await api.call('PUT', `/api/projects/${p.id}/write-back`, { target: 'erp' });
    assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
    const task = (await api.call('POST', `/api/projects/${p.id}/tasks`, {
      kind: 'simple', title: 'Approve PO-88', nodes: [{ handler_id: me.id, action: 'approve' }],
    })).body;
    const done = await api.call('POST', `/api/tasks/${task.id}/complete`, { rev: task.rev, reason: 'ok' });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    await api.close();
    // created, step_completed, finished
    await receivedAtLeast(4);
    for (const r of received) {
      const sig = `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`;
      assert.equal(r.headers['x-baton-signature'], sig);
    }
    const events = received.slice(1).map((r) => r.headers['x-baton-event']).sort();
    assert.deepEqual(events, ['created', 'finished', 'step_completed']);

    // Listed on the target, as sent (the mark follows the receiver's answer: reload until then).
    await card.getByTestId('wb-show-deliveries').click();
    const sent = card.locator('[data-testid="wb-delivery-status"][data-status="sent"]');
    const deadline = Date.now() + 15000;
    while ((await sent.count()) < 3) {
      assert.ok(Date.now() < deadline, `three deliveries listed as sent: ${await card.innerText()}`);
      await card.getByTestId('wb-reload').click();
      await card.getByTestId('wb-delivery').first().waitFor();
    }
    assert.equal(await card.getByTestId('wb-delivery').count(), 3);
    await ctx.close();
  });
});
