// Pull connectors through the UI, against the real server and an "ERP" served by this
// test on 127.0.0.1: an admin adds a JSON connector with an API key and a cursor, runs
// it, sees the stored records and the scenario task counted, runs it again (the cursor
// is sent back), then points it at a URL that fails and sees the error (on its page and in the list). Also the phone
// layout.
//
// Run from tests/e2e:  node --test connectors.test.mjs
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { adminPage } from './admin-page.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH, startBaton } from './server.mjs';

let server;
let browser;
let erp;
const asked = [];
let skip = null;

const daysAgo = (n) => new Date(Date.now() - n * 86400000).toISOString();
const ORDERS = [
  { id: 'SO-C1', seq: 1, status: 'out_of_stock', sku: '00123', out_of_stock_since: daysAgo(5) },
  { id: 'SO-C2', seq: 2, status: 'paid', sku: 'MUG-01' },
];

before(async () => {
  if (process.env.BATON_E2E_MOCK === '1') {
    skip = 'the mock has no connectors';
    return;
  }
  erp = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname !== '/orders') {
      res.writeHead(503).end('down for maintenance');
      return;
    }
    asked.push(u.searchParams.get('since'));
    if (req.headers['x-api-key'] !== 'k-e2e') {
      res.writeHead(401).end('no key');
      return;
    }
    const since = Number(u.searchParams.get('since') || 0);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ items: ORDERS.filter((o) => o.seq > since) }));
  });
  await new Promise((ok) => erp.listen(0, '127.0.0.1', ok));
  server = await startBaton({ config: '[network]\nallow_private = ["127.0.0.1/32"]\n' });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((ok) => (erp ? erp.close(ok) : ok()));
});

const newPage = (viewport) => adminPage(browser, server, viewport);

describe('pull connectors', { timeout: 120000 }, () => {
  test('add a connector, run it, run it again with the cursor, see a failure', async (t) => {
    if (skip) return t.skip(skip);
    const { context, page, problems } = await newPage();
    await page.getByTestId('nav-erp').click();
    await page.getByTestId('erp-connectors').click();
    await page.getByTestId('connector-create').waitFor();
    assert.match(await page.getByTestId('connector-mapping').inputValue(), /fn map\(payload, headers\)/);
    await page.getByTestId('connector-name').fill('erp-orders');
    await page.getByTestId('connector-url').fill(`http://127.0.0.1:${erp.address().port}/orders`);
    await page.getByTestId('connector-interval').fill('3600');
    await page.getByTestId('connector-auth-header').fill('X-Api-Key');
    await page.getByTestId('connector-auth-value').fill('k-e2e');
    await page.getByTestId('connector-cursor-field').fill('seq');
    await page.getByTestId('connector-cursor-param').fill('since');
    await page.getByTestId('connector-create-submit').click();
    await page.getByTestId('connector-page').waitFor();
    // by hand from here on: a scheduled run at the same moment would answer "running"
    await page.getByTestId('connector-enabled').click();
    await page.getByTestId('connector-enabled').and(page.locator(':enabled:not(:checked)')).waitFor();

    // Run it twice (the schedule may have run it once before it was switched off): the
    // last run sends the cursor back and gets nothing new.
    await page.getByTestId('connector-run').click();
    await page.getByTestId('connector-run').click();
    await page.locator('[data-testid="connector-counts"][data-records="0"]').waitFor();
    assert.equal(asked[0], null);
    assert.equal(asked.at(-1), '2');
    assert.match(await page.getByTestId('connector-report').innerText(), /2 → 2/);
    const rec = await page.evaluate(async () => (await fetch('/api/erp/records/order/SO-C1')).json());
    assert.equal(rec.data.sku, '00123');
    // point it at a failing URL: the run's error is shown, and the list says failing
    await page.getByTestId('connector-url').last().fill(`http://127.0.0.1:${erp.address().port}/down`);
    await page.getByTestId('connector-edit-submit').click();
    await page.locator('.page-subtitle').filter({ hasText: '/down' }).waitFor();
    await page.getByTestId('connector-run').click();
    await page.locator('[data-testid="connector-report"][data-ok="false"]').waitFor();
    assert.match(await page.getByTestId('connector-error').innerText(), /503/);
    await page.getByTestId('connector-back').click();
    await page.locator('[data-testid="connector-row"][data-name="erp-orders"][data-ok="false"]').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('on a phone the connectors page fits the screen', async (t) => {
    if (skip) return t.skip(skip);
    const { context, page, problems } = await newPage({ width: 390, height: 844 });
    await page.goto(`${server.url}/admin/connectors`);
    await page.getByTestId('connector-create').waitFor();
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `page is ${w}px wide on a 390px screen`);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
