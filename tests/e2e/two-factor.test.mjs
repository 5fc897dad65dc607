// Two-factor sign-in on a phone (390×844): a member sets it up on the Me page (QR code
// and key shown, first code computed here with node's crypto from the key on screen,
// ten recovery codes shown once), signs out, and signs in with password + code. Then
// the company requires it of everyone: a second member is led to set it up right after
// the password step.
//
// Run from tests/e2e:  node --test two-factor.test.mjs   (needs the real server)
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, apiSession, startBaton } from './server.mjs';

const PHONE = { width: 390, height: 844 };
const PASSWORD = 'Tfa-Passw0rd-1';
const skip = process.env.BATON_E2E_MOCK === '1' ? 'two-factor sign-in is not in the mock' : false;

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/[\s=]/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 6238: SHA-1, 6 digits, 30-second steps. */
function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32(secret)).update(msg).digest();
  const off = h[19] & 0xf;
  return String((h.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

const nowStep = () => Math.floor(Date.now() / 30000);

let server;
let browser;
let admin;

async function phonePage() {
  const ctx = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  return page;
}

async function passwordStep(page, username) {
  await page.goto(`${server.url}/`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
}

async function noSideScroll(page) {
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(over <= 0, `the page scrolls sideways by ${over}px`);
}

describe('two-factor sign-in', { skip }, () => {
  before(async () => {
    server = await startBaton();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    admin = await apiSession(server.url, 'admin', server.adminPassword);
    for (const username of ['tina', 'uwe']) {
      const r = await admin.call('POST', '/api/users', { username, role: 'member', password: PASSWORD });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
  });

  after(async () => {
    if (admin) await admin.close();
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('set up on the Me page, sign out, sign in with password and code', async () => {
    const page = await phonePage();
    await passwordStep(page, 'tina');
    await page.getByTestId('app-shell').waitFor();
    await page.goto(`${server.url}/me`);
    const card = page.getByTestId('tfa-card');
    await card.getByTestId('tfa-enrol-open').click();
    const dialog = page.getByTestId('tfa-enrol-dialog');
    await dialog.getByTestId('tfa-secret').waitFor();
    const secret = await dialog.getByTestId('tfa-secret').getAttribute('data-secret');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    // the key as text, grouped for typing, and the QR code as an image on screen
    assert.equal((await dialog.getByTestId('tfa-secret').textContent()).replace(/\s/g, ''), secret);
    const qr = dialog.getByTestId('tfa-qr');
    await qr.waitFor();
    assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code renders');
    const box = await qr.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `QR code inside the screen: ${JSON.stringify(box)}`);
    await noSideScroll(page);

    const confirmStep = nowStep();
    await dialog.getByTestId('tfa-enrol-code').fill(totp(secret, confirmStep));
    await dialog.getByTestId('tfa-enrol-confirm').click();
    const codes = dialog.getByTestId('tfa-recovery-codes');
    await codes.waitFor();
    assert.equal(await codes.locator('li').count(), 10);
    await dialog.getByTestId('tfa-recovery-done').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('[data-testid="tfa-state"].badge-ok').waitFor();

    // sign out through the menu
    await page.getByTestId('user-menu').click();
    await page.getByTestId('menu-logout').click();
    await page.getByTestId('login-form').waitFor();

    await passwordStep(page, 'tina');
    const input = page.getByTestId('tfa-login-code');
    await input.waitFor();
    assert.equal(await input.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await input.getAttribute('inputmode'), 'numeric');
    await noSideScroll(page);
    // a wrong code first: told so, still on the code step
    const right = totp(secret, Math.max(nowStep(), confirmStep + 1));
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    await input.fill(wrong);
    await page.getByTestId('tfa-login-submit').click();
    await page.getByTestId('tfa-login-error').waitFor();
    await input.fill(totp(secret, Math.max(nowStep(), confirmStep + 1)));
    await page.getByTestId('tfa-login-submit').click();
    await page.getByTestId('app-shell').waitFor();
    await page.goto(`${server.url}/me`);
    await page.locator('[data-testid="tfa-state"].badge-ok').waitFor();
    await page.context().close();
  });

  test('when the company requires it, the login leads to setting it up first', async () => {
    // the admin sets it up (through the API, codes from here), then requires it of everyone
    const e = await admin.call('POST', '/api/me/two-factor/enrol');
    assert.equal(e.status, 200, JSON.stringify(e.body));
    const c = await admin.call('POST', '/api/me/two-factor/confirm', { code: totp(e.body.secret, nowStep()) });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    const p = await admin.call('PUT', '/api/admin/two-factor-policy', { require: 'everyone' });
    assert.equal(p.status, 200, JSON.stringify(p.body));

    const page = await phonePage();
    await passwordStep(page, 'uwe');
    const secretEl = page.getByTestId('tfa-secret');
    await secretEl.waitFor();
    const secret = await secretEl.getAttribute('data-secret');
    await page.getByTestId('tfa-qr').waitFor();
    await noSideScroll(page);
    await page.getByTestId('tfa-login-code').fill(totp(secret, nowStep()));
    await page.getByTestId('tfa-login-submit').click();
    await page.getByTestId('tfa-recovery-codes').waitFor();
    assert.equal(await page.getByTestId('tfa-recovery-codes').locator('li').count(), 10);
    await page.getByTestId('tfa-recovery-done').click();
    await page.getByTestId('app-shell').waitFor();
    await page.goto(`${server.url}/me`);
    await page.getByTestId('tfa-required').waitFor();
    assert.equal(await page.getByTestId('tfa-disable-open').count(), 0, 'required: no way to turn it off');
    await page.context().close();
  });
});
