// Inbound webhooks through the UI, against the real server: an admin adds a generic
// hook with a secret, a system delivers a record signed with it (and one signed
// wrongly), the hook's page lists both deliveries and leads to the stored record; a
// mapping that refuses shows its error with the line. Also the phone layout.
//
// Run from tests/e2e:  node --test hooks.test.mjs
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { adminPage } from './admin-page.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH, startBaton } from './server.mjs';

const SECRET = 'e2e-hook-secret-1';
let server;
let browser;
let skip = null;

before(async () => {
  if (process.env.BATON_E2E_MOCK === '1') {
    skip = 'the mock has no inbound hooks';
    return;
  }
  server = await startBaton();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function deliver(name, body, secret = SECRET) {
  const text = JSON.stringify(body);
  const sig = createHmac('sha256', secret).update(text).digest('hex');
  const res = await fetch(`${server.url}/api/hooks/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Signature': `sha256=${sig}` },
    body: text,
  });
  return { status: res.status, body: await res.json() };
}

const newPage = (viewport) => adminPage(browser, server, viewport);

describe('inbound webhooks', { timeout: 120000 }, () => {
  test('add a hook, deliver to it, read its deliveries, see a refusing mapping', async (t) => {
    if (skip) return t.skip(skip);
    const { context, page, problems } = await newPage();
    // Admin → ERP records → Inbound webhooks (the menu stays short enough for a laptop)
    await page.getByTestId('nav-erp').click();
    await page.getByTestId('erp-hooks').click();
    await page.getByTestId('hook-create-form').waitFor();
    await page.getByTestId('hook-preset').selectOption('generic');
    assert.equal(await page.getByTestId('hook-name').inputValue(), 'generic');
    assert.match(await page.getByTestId('hook-mapping').inputValue(), /fn map\(payload, headers\)/);
    await page.getByTestId('hook-secret').fill(SECRET);
    await page.getByTestId('hook-create-submit').click();
    await page.getByTestId('hook-page').waitFor();
    assert.equal(await page.getByTestId('hook-url').inputValue(), `${server.url}/api/hooks/generic`);

    const ok = await deliver('generic', { kind: 'stock', id: 'SKU-E2E', data: { sku: '00123', available: 2 } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.stored, 1);
    const bad = await deliver('generic', { kind: 'stock', id: 'SKU-BAD', data: {} }, 'not-the-secret');
    assert.equal(bad.status, 401);

    await page.getByTestId('hook-deliveries-refresh').click();
    const rows = page.getByTestId('hook-delivery');
    await page.locator('[data-testid="hook-delivery"][data-outcome="unauthorized"]').waitFor();
    assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => r.dataset.outcome)), ['unauthorized', 'stored']);
    await page.getByRole('link', { name: 'stock/SKU-E2E' }).click();
    await page.getByTestId('erp-record-page').waitFor();
    assert.match(page.url(), /\/admin\/erp\/stock\/SKU-E2E$/);

    // a mapping that refuses test deliveries: the sender gets 422, the page the line
    await page.goBack();
    await page.getByTestId('hook-mapping-edit').waitFor();
    await page.getByTestId('hook-mapping-edit').fill('fn map(p, h) {\n  throw "no test orders";\n}\n');
    // the button is disabled while the save is under way too: wait for the answer
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH' && /\/api\/admin\/hooks\/\d+$/.test(r.url()));
    await page.getByTestId('hook-mapping-save').click();
    assert.equal((await saved).status(), 200);
    const refused = await deliver('generic', { kind: 'stock', id: 'SKU-T', data: {} });
    assert.equal(refused.status, 422);
    assert.match(refused.body.error.message, /no test orders/);
    await page.reload();
    await page.getByTestId('hook-last-error').waitFor();
    assert.match(await page.getByTestId('hook-last-error').innerText(), /2:\d+ .*no test orders/);

    // the list shows it failing
    await page.getByTestId('hook-back').click();
    await page.locator('[data-testid="hook-row"][data-name="generic"]').getByTestId('hook-error-badge').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('on a phone the hooks page fits the screen', async (t) => {
    if (skip) return t.skip(skip);
    const { context, page, problems } = await newPage({ width: 390, height: 844 });
    await page.goto(`${server.url}/admin/hooks`);
    await page.getByTestId('hook-create-form').waitFor();
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `page is ${w}px wide on a 390px screen`);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
