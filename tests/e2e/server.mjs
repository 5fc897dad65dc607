// Start a real Baton server for browser tests: fresh data dir, free port,
// known admin password; wait for /healthz; stop and clean up afterwards.
//
//   BATON_BIN      path to the binary (relative paths are taken from the repo root);
//                  default: <repo>/target/debug/baton
//   BATON_E2E_MOCK=1  use ./mock-server.mjs instead (UI development without the binary)
//
// `startBaton({ config })` passes TOML text as the server's config file.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { request } from 'playwright-core';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const ADMIN_PASSWORD = 'e2e-Admin-Passw0rd';

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function waitHealthy(url, proc, logs, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  proc?.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`baton exited early (${JSON.stringify(exited)}):\n${logs.join('')}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch (_) {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`baton did not answer ${url}/healthz within ${timeoutMs} ms:\n${logs.join('')}`);
}

/** Returns { url, adminPassword, logs, stop() }. */
export async function startBaton({ adminPassword = ADMIN_PASSWORD, config = null } = {}) {
  if (process.env.BATON_E2E_MOCK === '1') {
    const { createMockServer } = await import('./mock-server.mjs');
    const srv = createMockServer({ adminPassword });
    await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${srv.address().port}`;
    return { url, adminPassword, logs: [], stop: () => new Promise((ok) => srv.close(ok)), mock: true };
  }

  const binSetting = process.env.BATON_BIN || 'target/debug/baton';
  const bin = isAbsolute(binSetting) ? binSetting : resolve(REPO_ROOT, binSetting);
  if (!existsSync(bin)) {
    throw new Error(`Baton binary not found at ${bin}: run \`cargo build\` first, set BATON_BIN, or BATON_E2E_MOCK=1`);
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'baton-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logs = [];
  const args = ['serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`];
  if (config) {
    // A config file (TOML text) for this run, e.g. `[network] allow_private`.
    const file = join(dataDir, 'e2e-config.toml');
    await writeFile(file, config);
    args.push('--config', file);
  }
  const proc = spawn(bin, args, {
    env: { ...process.env, BATON_ADMIN_PASSWORD: adminPassword },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => logs.push(d.toString()));
  proc.stderr.on('data', (d) => logs.push(d.toString()));
  const exitedP = new Promise((ok) => proc.once('exit', ok));

  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exitedP;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await waitHealthy(url, proc, logs, 30000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, adminPassword, logs, stop, dataDir };
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const CHROMIUM_PATH = process.env.CHROMIUM || '/usr/bin/chromium';

/** An API session (cookie + CSRF) on a running server, for setup and checks. */
export async function apiSession(baseURL, username, password) {
  const ctx = await request.newContext({ baseURL });
  const res = await ctx.post('/api/login', { data: { username, password } });
  assert.equal(res.status(), 200, await res.text());
  const { csrf_token } = await res.json();
  const call = async (method, path, data) => {
    const r = await ctx.fetch(path, { method, data, headers: { 'X-CSRF-Token': csrf_token } });
    const text = await r.text();
    return { status: r.status(), body: text ? JSON.parse(text) : null };
  };
  return { call, close: () => ctx.dispose() };
}
