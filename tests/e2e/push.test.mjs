// The installable app and "notify this device" (issue 17) against the binary: the
// page links the manifest, the service worker registers at the root, the Me page
// shows this device's push state, lists a subscribed device, sends it a test through
// a stand-in push service on 127.0.0.1, and removes it.
//
// Run from tests/e2e:  node --test push.test.mjs   (needs the real server)
import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, apiSession, startBaton } from './server.mjs';

const skip = process.env.BATON_E2E_MOCK === '1' ? 'Web Push needs the real server' : false;

let server;
let browser;
let pushService;
const received = [];

describe('installable app and Web Push', { skip }, () => {
  before(async () => {
    pushService = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url, headers: req.headers, bytes: Buffer.concat(chunks).length });
        res.writeHead(201).end();
      });
    });
    await new Promise((ok) => pushService.listen(0, '127.0.0.1', ok));
    server = await startBaton({ config: '[network]\nallow_private = ["127.0.0.1/32"]\n' });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
    if (pushService) pushService.close();
  });

  test('the manifest is linked, the worker registers, and a device gets a test push', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    await page.goto(`${server.url}/`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(server.adminPassword);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('app-shell').waitFor();

    const manifest = await page.evaluate(async () => {
      const link = document.querySelector('link[rel="manifest"]');
      return (await fetch(link.href)).json();
    });
    assert.equal(manifest.display, 'standalone');
    assert.equal(manifest.start_url, '/');
    const scriptURL = await page.evaluate(async () => (await navigator.serviceWorker.ready).active.scriptURL);
    assert.equal(new URL(scriptURL).pathname, '/sw.js');

    // A device subscribed elsewhere (a phone), through the API as the page would.
    const api = await apiSession(server.url, 'admin', server.adminPassword);
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const { port } = pushService.address();
    const r = await api.call('POST', '/api/me/push/devices', {
      endpoint: `http://127.0.0.1:${port}/push/phone`,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
      label: '我的手机',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await api.close();

    await page.goto(`${server.url}/me`);
    const card = page.getByTestId('push-devices');
    await card.waitFor();
    // This headless browser is not subscribed: it offers to turn notices on.
    await page.waitForFunction(() => document.querySelector('[data-testid="push-devices"]')?.dataset.state !== undefined);
    const state = await card.getAttribute('data-state');
    assert.ok(['off', 'blocked'].includes(state), state);
    if (state === 'off') await page.getByTestId('push-enable').waitFor();
    const device = page.getByTestId('push-device');
    await device.waitFor();
    assert.match(await device.innerText(), /我的手机/);
    assert.ok(await page.getByTestId('pref-assigned-push').isChecked(), 'push is on by default in the preferences');

    await device.getByTestId('push-test').click();
    await page.getByTestId('push-test-ok').waitFor();
    assert.equal(received.length, 1);
    assert.equal(received[0].path, '/push/phone');
    assert.match(received[0].headers.authorization, /^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=[\w-]{87}$/);
    assert.equal(received[0].headers['content-encoding'], 'aes128gcm');

    await device.getByTestId('push-remove').click();
    await device.waitFor({ state: 'detached' });
    await ctx.close();
  });
});
