// Importing an export through the UI, against the real server: an XLSX made in the
// test (tests/e2e/xlsx.mjs) is uploaded, its columns get types (amount as money),
// the preview shows the first records as they will be stored, the import runs with a
// progress bar and a summary (one row refused, listed with its row number), and the
// shipped scenario "PO above 5000" makes its task. Also the phone layout.
//
// Run from tests/e2e:  node --test import.test.mjs
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { adminPage } from './admin-page.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH, startBaton } from './server.mjs';
import { xlsx } from './xlsx.mjs';

let server;
let browser;
let skip = null;

before(async () => {
  if (process.env.BATON_E2E_MOCK === '1') {
    skip = 'the mock has no ERP import';
    return;
  }
  server = await startBaton();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const SHEET = xlsx([
  ['po_number', 'amount', 'sku', 'qty', 'buyer'],
  ['PO-E2E-1', '6200.00', '00123', 12, 'admin'],
  ['PO-E2E-2', '120.5', '00456', 3, 'admin'],
  ['PO-E2E-3', '12.345', '00789', 1, 'admin'],
]);

const newPage = (viewport) => adminPage(browser, server, viewport);

describe('ERP import from a file', { timeout: 120000 }, () => {
  test('upload an XLSX, type a column, preview, import with progress, see the task', async (t) => {
    if (skip) return t.skip(skip);
    const { context, page, problems } = await newPage();
    await page.getByTestId('nav-erp').click();
    await page.getByTestId('erp-import').click();
    await page.getByTestId('erp-import-page').waitFor();
    await page.getByTestId('import-file').setInputFiles({ name: 'po.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: SHEET });
    await page.getByTestId('import-columns').waitFor();
    assert.match(await page.getByTestId('import-summary-head').innerText(), /po\.xlsx.*3.*XLSX/);
    // nothing is typed unasked: qty is a number in the sheet already, sku stays text
    // (its zeros are not offered as a number), amount is offered nothing (12.345 has
    // three decimals) and is chosen as money by hand
    const column = (name) => page.locator(`[data-testid="import-column"][data-name="${name}"]`);
    assert.equal(await column('sku').getByTestId('import-column-suggested').count(), 0);
    assert.equal(await column('amount').getByTestId('import-column-suggested').count(), 0);
    const amountType = column('amount').getByTestId('import-column-type');
    assert.equal(await amountType.inputValue(), '');
    await amountType.selectOption('money');
    await page.getByTestId('import-kind').selectOption('purchase_order');
    await page.getByTestId('import-id-column').selectOption('po_number');
    // buyer is not imported
    await page.locator('[data-testid="import-column"][data-name="buyer"]').getByTestId('import-column-use').uncheck();

    await page.getByTestId('import-preview').click();
    await page.getByTestId('import-preview-table').waitFor();
    const first = page.locator('[data-testid="import-preview-row"][data-id="PO-E2E-1"]');
    const text = await first.innerText();
    assert.match(text, /"sku":"00123"/, 'text cells stay text');
    assert.match(text, /"qty":12/);
    assert.doesNotMatch(text, /buyer/);
    assert.match(await page.getByTestId('import-preview-table').innerText(), /amount.*12\.345/);

    await page.getByTestId('import-run').click();
    await page.locator('[data-testid="import-progress"][data-finished="1"]').waitFor();
    assert.equal(await page.getByTestId('import-stored').innerText(), '2');
    assert.equal(await page.getByTestId('import-rejected').innerText(), '1');
    assert.equal(await page.getByTestId('import-tasks').innerText(), '1', 'PO above 5000 fired once');
    assert.match(await page.getByTestId('import-refusals').innerText(), /4\s+column 'amount'/);
    assert.equal(await page.locator('progress').getAttribute('value'), '3');
    const csvHref = await page.getByTestId('import-refusals-csv').getAttribute('href');
    assert.match(csvHref, /^blob:/);

    await page.getByTestId('import-see-records').click();
    await page.locator('[data-testid="erp-row"][data-id="PO-E2E-1"]').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a file that is not what its name says gets a clear error; the page fits a phone', async (t) => {
    if (skip) return t.skip(skip);
    const { context, page, problems } = await newPage({ width: 390, height: 844 });
    await page.goto(`${server.url}/admin/erp/import`);
    await page.getByTestId('import-file').setInputFiles({ name: 'orders.xlsx', mimeType: 'text/csv', buffer: Buffer.from('id,x\n1,2\n') });
    await page.getByRole('alert').or(page.locator('.error-text')).first().waitFor();
    assert.match(await page.getByTestId('erp-import-page').innerText(), /not a XLSX file/);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `page is ${w}px wide on a 390px screen`);
    // the 400 is the expected answer
    assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
    await context.close();
  });
});
