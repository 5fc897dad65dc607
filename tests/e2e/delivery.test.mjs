// Delivery channels admin against the real server: the mail server form refuses a
// malformed sender and keeps the password write-only, a webhook that is not http(s)
// or is internal (169.254.169.254) is refused on save, "send test notice" shows the
// error of an unreachable endpoint, and a member sets their own webhook and ticks it
// for an event. The server runs with `[network] allow_private = ["127.0.0.1/32"]`.
//
// Run from tests/e2e:  node --test delivery.test.mjs   (needs the real server)
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { chromium, request } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, startBaton } from './server.mjs';

const skip = process.env.BATON_E2E_MOCK === '1' ? 'delivery is not in the mock' : false;
let server;
let browser;

// A port nobody listens on.
const deadPort = () =>
  new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

describe('delivery channels admin', { skip }, () => {
  before(async () => {
    // The mail server and webhooks below are on loopback, which Baton refuses unless listed.
    server = await startBaton({ config: '[network]\nallow_private = ["127.0.0.1/32"]\n' });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('SMTP and webhooks: refused input, write-only secrets, test notice errors', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    await page.goto(`${server.url}/`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(server.adminPassword);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('app-shell').waitFor();
    await page.getByTestId('nav-delivery').click();
    await page.getByTestId('delivery-page').waitFor();

    const port = await deadPort();
    await page.getByTestId('smtp-on').check();
    await page.getByTestId('smtp-host').fill('127.0.0.1');
    await page.getByTestId('smtp-port').fill(String(port));
    await page.getByTestId('smtp-tls').selectOption('none');
    await page.getByTestId('smtp-password').fill('smtp-secret-1');
    await page.getByTestId('smtp-from').fill('not-an-address');
    await page.getByTestId('delivery-save').click();
    await page.getByText('is not an e-mail address').waitFor();

    await page.getByTestId('smtp-from').fill('Baton <noreply@b.example>');
    await page.getByTestId('company-hook-add').click();
    await page.getByTestId('company-hook-name').fill('ops');
    await page.getByTestId('company-hook-kind').selectOption('dingtalk');
    await page.getByTestId('company-hook-url').fill('ftp://hooks.example/x');
    await page.getByTestId('company-hook-secret').fill('SEC-e2e');
    await page.getByTestId('delivery-save').click();
    await page.getByText('http:// or https://').waitFor();

    await page.getByTestId('company-hook-url').fill(`http://127.0.0.1:${port}/robot`);
    await page.getByTestId('delivery-save').click();
    // Saved: secrets come back only as "set".
    await page.getByTestId('company-hook-test').waitFor();
    assert.equal(await page.getByTestId('smtp-password').inputValue(), '');
    assert.equal(await page.getByTestId('company-hook-secret').inputValue(), '');
    const html = await page.content();
    assert.ok(!html.includes('SEC-e2e') && !html.includes('smtp-secret-1'));

    await page.getByTestId('company-hook-test').click();
    const hookErr = page.getByTestId('company-hook-test-error');
    await hookErr.waitFor();
    assert.match(await hookErr.textContent(), /webhook request failed/);

    await page.getByTestId('email-test-to').fill('me@b.example');
    await page.getByTestId('email-test').click();
    const mailErr = page.getByTestId('email-test-error');
    await mailErr.waitFor();
    assert.match(await mailErr.textContent(), /mail server 127\.0\.0\.1/);

    await page.getByTestId('outbox-failed').waitFor();

    // My own webhook on the Me page, and the webhook column of the preferences.
    await page.getByTestId('nav-me').click();
    await page.getByTestId('my-hook').waitFor();
    await page.getByTestId('my-hook-url').fill('file:///etc/passwd');
    await page.getByTestId('my-hook-save').click();
    await page.getByTestId('my-hook').getByText('http:// or https://').waitFor();
    // Internal addresses are refused on save (only 127.0.0.1 is listed for this run).
    await page.getByTestId('my-hook-url').fill('http://169.254.169.254/latest/meta-data/');
    await page.getByTestId('my-hook-save').click();
    await page.getByTestId('my-hook').getByText('does not connect to internal addresses').waitFor();
    await page.getByTestId('my-hook-kind').selectOption('slack');
    await page.getByTestId('my-hook-url').fill(`http://127.0.0.1:${port}/mine`);
    await page.getByTestId('my-hook-save').click();
    await page.getByTestId('my-hook-test').waitFor();
    // Reload only once the preference is saved (reloading earlier raced the PUT).
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/me/preferences') && r.request().method() === 'PUT');
    await page.getByTestId('pref-assigned-webhook').check();
    await saved;
    await page.reload();
    await page.getByTestId('my-hook-test').waitFor();
    assert.equal(await page.getByTestId('pref-assigned-webhook').isChecked(), true);
    assert.equal(await page.getByTestId('my-hook-url').inputValue(), `http://127.0.0.1:${port}/mine`);

    // A project's group webhook in the project dialog.
    const api = await request.newContext({ baseURL: server.url });
    const login = await api.post('/api/login', { data: { username: 'admin', password: server.adminPassword } });
    const { csrf_token } = await login.json();
    const created = await api.post('/api/projects', { data: { name: 'Warehouse', members: [] }, headers: { 'X-CSRF-Token': csrf_token } });
    assert.equal(created.status(), 201, await created.text());
    await api.dispose();
    await page.getByTestId('nav-admin-projects').click();
    await page.locator('[data-testid="project-row"][data-name="Warehouse"]').getByTestId('project-manage').click();
    await page.getByTestId('project-hook-editor').waitFor();
    await page.getByTestId('project-hook-url').fill(`http://127.0.0.1:${port}/warehouse`);
    await page.getByTestId('project-hook-save').click();
    await page.getByTestId('project-hook-test').click();
    await page.getByTestId('project-hook-test-error').waitFor();
    await ctx.close();
  });
});
