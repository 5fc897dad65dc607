// Personal messages in the team's chat app (WeCom, DingTalk, Feishu/Lark):
// - ChatAppsAdmin: the company's app credentials (secret write-only), how many members
//   linked, and the bulk mapping from CSV with an error per bad row (delivery page);
// - MyChatApps: the member's own app user ids, each with "send me a test message" (Me page);
// - UserChatLinks: an admin links a member (user edit dialog);
// - useChatAppColumns: the configured apps, as columns of the preferences matrix.
import { html, useState } from '../vendor/htm-preact-standalone.mjs';
import { apiRequest } from './api.js';
import { t } from './i18n.js';
import { Empty, ErrorText, Field, Loading, toast, useLoader } from './ui.js';

const APPS = ['wecom', 'dingtalk', 'feishu'];
const enc = encodeURIComponent;

export const chatApi = {
  apps: () => apiRequest('GET', '/api/admin/chat-apps'),
  setApp: (app, body) => apiRequest('PUT', `/api/admin/chat-apps/${enc(app)}`, body),
  removeApp: (app) => apiRequest('DELETE', `/api/admin/chat-apps/${enc(app)}`),
  importLinks: (app, csv) => apiRequest('POST', `/api/admin/chat-apps/${enc(app)}/links`, { csv }),
  myLinks: () => apiRequest('GET', '/api/me/chat-apps'),
  setMyLink: (app, userId) => apiRequest('PUT', `/api/me/chat-apps/${enc(app)}`, { user_id: userId }),
  userLinks: (id) => apiRequest('GET', `/api/users/${enc(id)}/chat-apps`),
  setUserLink: (id, app, userId) => apiRequest('PUT', `/api/users/${enc(id)}/chat-apps/${enc(app)}`, { user_id: userId }),
  test: (app) => apiRequest('POST', '/api/admin/delivery/test', { channel: 'chat_app', app }),
};

/** The apps the company set up, for the preferences matrix (empty until loaded). */
export function useChatAppColumns() {
  const links = useLoader(() => chatApi.myLinks(), []);
  return ((links.data && links.data.links) || []).map((l) => l.app);
}

function AppForm({ view, onSaved }) {
  const app = view.app;
  const [key, setKey] = useState(view.key || '');
  const [agent, setAgent] = useState(view.agent_id ? String(view.agent_id) : '');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async (f) => {
    setBusy(true);
    setError(null);
    try {
      onSaved(await f());
      setSecret('');
      toast.ok(t('chatApps.saved'));
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  const save = (e) => {
    e.preventDefault();
    const body = { key: key.trim() };
    if (app !== 'feishu') body.agent_id = Number(agent) || null;
    if (secret) body.secret = secret;
    run(() => chatApi.setApp(app, body));
  };
  const tid = `chat-app-${app}`;
  return html`<form class="form" onSubmit=${save} data-testid=${tid}>
    <h3 class="card-subtitle">${t(`chatApps.apps.${app}`)}
      <span class=${`badge ${view.configured ? 'badge-ok' : ''}`} data-testid=${`${tid}-state`}>
        ${view.configured ? t('chatApps.configured', { n: view.linked }) : t('chatApps.notConfigured')}</span></h3>
    <div class="form-grid form-grid-3">
      <${Field} label=${t(`chatApps.key.${app}`)}>
        <input type="text" value=${key} onInput=${(e) => setKey(e.target.value)} data-testid=${`${tid}-key`} />
      <//>
      ${app !== 'feishu' && html`<${Field} label=${t('chatApps.agentId')}>
        <input type="text" inputmode="numeric" value=${agent} onInput=${(e) => setAgent(e.target.value)} data-testid=${`${tid}-agent`} />
      <//>`}
      <${Field} label=${t('chatApps.secret')} hint=${view.secret_set ? t('chatApps.secretSet') : ''}>
        <input type="password" autocomplete="new-password" value=${secret} onInput=${(e) => setSecret(e.target.value)}
          data-testid=${`${tid}-secret`} />
      <//>
    </div>
    <${ErrorText} error=${error} />
    <div class="form-actions">
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid=${`${tid}-save`}>${t('chatApps.save')}</button>
      ${view.configured && html`<button type="button" class="btn btn-danger" disabled=${busy}
        onClick=${() => run(() => chatApi.removeApp(app))} data-testid=${`${tid}-remove`}>${t('chatApps.remove')}</button>`}
    </div>
    ${view.configured && html`<${CsvImport} app=${app} onDone=${() => run(() => chatApi.apps())} />`}
  </form>`;
}

function CsvImport({ app, onDone }) {
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const onFile = async (e) => {
    const f = e.target.files && e.target.files[0];
    e.target.value = '';
    if (!f) return;
    setError(null);
    try {
      const r = await chatApi.importLinks(app, await f.text());
      setResult(r);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  const tid = `chat-app-${app}-csv`;
  return html`<div class="chat-app-csv">
    <label class="btn btn-sm">${t('chatApps.importCsv')}
      <input type="file" accept=".csv,text/csv,text/plain" class="offscreen" onChange=${onFile} data-testid=${tid} />
    </label>
    <span class="muted small">${t('chatApps.csvHint')}</span>
    <${ErrorText} error=${error} />
    ${result && html`<div data-testid=${`${tid}-result`}>
      <p class="small">${t('chatApps.imported', { n: result.linked })}</p>
      ${result.errors.length > 0 && html`<ul class="plain-list small text-danger" data-testid=${`${tid}-errors`}>
        ${result.errors.map((e) => html`<li key=${e.line}>${t('chatApps.rowError', { line: e.line, username: e.username, message: e.message })}</li>`)}
      </ul>`}
    </div>`}
  </div>`;
}

/** Admin: the three apps (delivery channels page). */
export function ChatAppsAdmin() {
  const data = useLoader(() => chatApi.apps(), []);
  if (data.loading && !data.data) return html`<${Loading} />`;
  if (!data.data) return html`<${ErrorText} error=${data.error} />`;
  return html`<section class="card" data-testid="chat-apps-admin">
    <h2 class="card-title">${t('chatApps.title')}</h2>
    <p class="muted small">${t('chatApps.hint')}</p>
    ${data.data.apps.map((v) => html`<${AppForm} key=${`${v.app}:${v.configured}`} view=${v} onSaved=${data.setData} />`)}
  </section>`;
}

function LinkRow({ app, value, onSave, test, testid }) {
  const [draft, setDraft] = useState(value || '');
  const [error, setError] = useState(null);
  const [tested, setTested] = useState(null);
  const save = async (id) => {
    setError(null);
    try {
      await onSave(id);
      toast.ok(t('chatApps.saved'));
    } catch (e) {
      setError(e);
    }
  };
  const runTest = async () => {
    setTested({ busy: true });
    try {
      setTested(await chatApi.test(app));
    } catch (e) {
      setTested({ ok: false, error: e.message });
    }
  };
  return html`<div class="chat-app-link" data-testid=${testid}>
    <div class="form-grid form-grid-3">
      <${Field} label=${t(`chatApps.apps.${app}`)} hint=${t(`chatApps.userIdHint.${app}`)}>
        <input type="text" value=${draft} onInput=${(e) => setDraft(e.target.value)} data-testid=${`${testid}-input`} />
      <//>
    </div>
    <p class="small" data-testid=${`${testid}-state`}>${value ? t('chatApps.linkedAs', { id: value }) : t('chatApps.notLinked')}</p>
    <div class="form-actions">
      <button type="button" class="btn btn-primary btn-sm" onClick=${() => save(draft.trim() || null)} data-testid=${`${testid}-save`}>${t('chatApps.save')}</button>
      ${value && html`<button type="button" class="btn btn-sm" onClick=${() => save(null)} data-testid=${`${testid}-unlink`}>${t('chatApps.unlink')}</button>`}
      ${value && test && html`<button type="button" class="btn btn-sm" onClick=${runTest} disabled=${tested && tested.busy}
        data-testid=${`${testid}-test`}>${t('chatApps.sendTest')}</button>`}
      ${tested && !tested.busy && (tested.ok
        ? html`<span class="badge badge-ok" data-testid=${`${testid}-test-ok`}>${t('chatApps.testOk')}</span>`
        : html`<span class="alert alert-error small" data-testid=${`${testid}-test-error`}>${tested.error}</span>`)}
    </div>
    <${ErrorText} error=${error} />
  </div>`;
}

function Links({ load, save, test, testid }) {
  const data = useLoader(load, []);
  if (data.loading && !data.data) return html`<${Loading} />`;
  if (!data.data) return html`<${ErrorText} error=${data.error} />`;
  const links = data.data.links;
  if (links.length === 0) return html`<${Empty}>${t('chatApps.noneConfigured')}<//>`;
  return html`<div data-testid=${testid}>
    ${links.filter((l) => APPS.includes(l.app)).map((l) => html`<${LinkRow} key=${`${l.app}:${l.user_id}`} app=${l.app} value=${l.user_id}
      test=${test} testid=${`${testid}-${l.app}`} onSave=${async (id) => data.setData(await save(l.app, id))} />`)}
  </div>`;
}

/** Me page: my user id in each configured app, and a test message. */
export function MyChatApps() {
  return html`<div>
    <p class="muted small">${t('chatApps.myHint')}</p>
    <${Links} load=${chatApi.myLinks} save=${chatApi.setMyLink} test=${true} testid="my-chat-apps" />
  </div>`;
}

/** Admin: a member's user ids (user edit dialog). */
export function UserChatLinks({ userId }) {
  return html`<div class="user-chat-links">
    <h3 class="card-subtitle">${t('chatApps.title')}</h3>
    <${Links} load=${() => chatApi.userLinks(userId)} save=${(app, id) => chatApi.setUserLink(userId, app, id)}
      test=${false} testid="user-chat-apps" />
  </div>`;
}
