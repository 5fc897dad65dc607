// Chat apps against the real server and a stand-in WeCom API: the admin sets up the
// WeCom app (the secret is not shown back), links members from a CSV file (a bad row
// comes back with its line), then on the Me page the admin's own link is shown, the
// preferences have a WeCom column, and "send me a test message" reaches the stand-in
// as a text card. The server runs with `[chat_apps] wecom` pointing at the stand-in.
//
// Run from tests/e2e:  node --test chat-apps.test.mjs   (needs the real server)
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, startBaton } from './server.mjs';

const skip = process.env.BATON_E2E_MOCK === '1' ? 'chat apps are not in the mock' : false;
let server;
let browser;
let wecom;
const received = [];

/** WeCom's gettoken and message/send, as documented, for corp "ww-e2e" / secret "s-e2e". */
function startWecom() {
  const srv = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (u.pathname === '/cgi-bin/gettoken') {
        const ok = u.searchParams.get('corpid') === 'ww-e2e' && u.searchParams.get('corpsecret') === 's-e2e';
        res.end(JSON.stringify(ok ? { errcode: 0, errmsg: 'ok', access_token: 'tok', expires_in: 7200 } : { errcode: 40001, errmsg: 'invalid credential' }));
      } else if (u.pathname === '/cgi-bin/message/send' && u.searchParams.get('access_token') === 'tok') {
        received.push(JSON.parse(body));
        res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', invaliduser: '' }));
      } else {
        res.end(JSON.stringify({ errcode: 42001, errmsg: 'access_token expired' }));
      }
    });
  });
  return new Promise((ok) => srv.listen(0, '127.0.0.1', () => ok(srv)));
}

describe('chat apps', { skip }, () => {
  before(async () => {
    wecom = await startWecom();
    const base = `http://127.0.0.1:${wecom.address().port}`;
    server = await startBaton({
      config: `public_url = "http://baton.test"\n[network]\nallow_private = ["127.0.0.1/32"]\n[chat_apps]\nwecom = "${base}"\n`,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((ok) => wecom?.close(ok));
  });

  test('set up WeCom, link from CSV, test message from the Me page', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    await page.goto(`${server.url}/`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(server.adminPassword);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('app-shell').waitFor();
    await page.getByTestId('nav-delivery').click();
    await page.getByTestId('chat-apps-admin').waitFor();

    const form = page.getByTestId('chat-app-wecom');
    await form.getByTestId('chat-app-wecom-key').fill('ww-e2e');
    await form.getByTestId('chat-app-wecom-agent').fill('1000002');
    await form.getByTestId('chat-app-wecom-secret').fill('s-e2e');
    await form.getByTestId('chat-app-wecom-save').click();
    await form.getByTestId('chat-app-wecom-state').filter({ hasText: /Set up|已设置/ }).waitFor();
    assert.equal(await form.getByTestId('chat-app-wecom-secret').inputValue(), '', 'the secret is not shown back');

    await form.getByTestId('chat-app-wecom-csv').setInputFiles({
      name: 'links.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('username,wecom\nadmin,admin.wx\nghost,g.wx\n'),
    });
    const errors = form.getByTestId('chat-app-wecom-csv-errors');
    await errors.waitFor();
    assert.match(await errors.innerText(), /3.*ghost.*no user 'ghost'/);
    await form.getByTestId('chat-app-wecom-state').filter({ hasText: /1/ }).waitFor();

    await page.goto(`${server.url}/me`);
    const mine = page.getByTestId('my-chat-apps-wecom');
    await mine.getByTestId('my-chat-apps-wecom-state').filter({ hasText: 'admin.wx' }).waitFor();
    await page.getByTestId('pref-assigned-wecom').waitFor();
    assert.equal(await page.getByTestId('pref-assigned-wecom').isChecked(), true);
    await mine.getByTestId('my-chat-apps-wecom-test').click();
    await mine.getByTestId('my-chat-apps-wecom-test-ok').waitFor();
    assert.equal(received.length, 1);
    assert.equal(received[0].touser, 'admin.wx');
    assert.equal(received[0].agentid, 1000002);
    await ctx.close();
  });
});
