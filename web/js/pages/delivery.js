// Admin: delivery channels — the mail server, company webhooks, a project's group
// webhook, "send test notice" with the error shown, and failed notices with retry.
// Secrets are write-only: the server only says whether one is set.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api, apiRequest } from '../api.js';
import { fmtTime, t } from '../i18n.js';
import { Empty, ErrorText, Field, Icon, Loading, PageHeader, toast, useLoader } from '../ui.js';
import { ChatAppsAdmin } from '../chat-apps.js';
import { WriteBackAdmin } from '../write-back.js';

const KINDS = ['wecom', 'dingtalk', 'feishu', 'slack', 'generic'];
const TLS = ['starttls', 'tls', 'none'];

const dapi = {
  settings: () => apiRequest('GET', '/api/admin/delivery'),
  save: (s) => apiRequest('PUT', '/api/admin/delivery', s),
  test: (target) => apiRequest('POST', '/api/admin/delivery/test', target),
  outbox: (status) => apiRequest('GET', `/api/admin/outbox?status=${encodeURIComponent(status)}`),
  retry: (id) => apiRequest('POST', `/api/admin/outbox/${encodeURIComponent(id)}/retry`),
  projectHook: (id) => apiRequest('GET', `/api/projects/${encodeURIComponent(id)}/webhook`),
  setProjectHook: (id, webhook) => apiRequest('PUT', `/api/projects/${encodeURIComponent(id)}/webhook`, { webhook }),
};

function TestButton({ target, testid }) {
  const [state, setState] = useState(null);
  const run = async () => {
    setState({ busy: true });
    try {
      const r = await dapi.test(target());
      setState(r);
    } catch (e) {
      setState({ ok: false, error: e.message });
    }
  };
  return html`<span class="delivery-test">
    <button type="button" class="btn btn-sm" onClick=${run} disabled=${state && state.busy} data-testid=${testid}>
      ${t('delivery.sendTest')}</button>
    ${state && !state.busy && (state.ok
      ? html`<span class="badge badge-ok" data-testid=${`${testid}-ok`}>${t('delivery.testOk')}</span>`
      : html`<span class="alert alert-error small" data-testid=${`${testid}-error`}>${state.error}</span>`)}
  </span>`;
}

function HookFields({ hook, onChange, testid }) {
  const set = (k) => (e) => onChange({ ...hook, [k]: e.target.value });
  return html`<div class="form-grid form-grid-3">
    <${Field} label=${t('delivery.kind')}>
      <select value=${hook.kind} onChange=${set('kind')} data-testid=${`${testid}-kind`}>
        ${KINDS.map((k) => html`<option value=${k} key=${k}>${t(`delivery.kinds.${k}`)}</option>`)}
      </select>
    <//>
    <${Field} label=${t('delivery.url')} cls="grow">
      <input type="text" inputmode="url" value=${hook.url} onInput=${set('url')} placeholder=${t('delivery.urlPlaceholder')} data-testid=${`${testid}-url`} />
    <//>
    <${Field} label=${t('delivery.secret')} hint=${hook.secret_set ? t('delivery.secretSet') : t('delivery.secretHint')}>
      <input type="password" autocomplete="new-password" value=${hook.secret || ''} onInput=${set('secret')}
        data-testid=${`${testid}-secret`} />
    <//>
  </div>`;
}

// Secrets: left out keeps the stored one; typed in replaces it.
const hookOut = (h) => {
  const o = { kind: h.kind, url: h.url.trim() };
  if (h.secret) o.secret = h.secret;
  return o;
};

function CompanyForm({ initial, onSaved }) {
  const [smtpOn, setSmtpOn] = useState(!!initial.smtp);
  const [smtp, setSmtp] = useState(initial.smtp || { host: '', port: 587, tls: 'starttls', username: '', from: '' });
  const [password, setPassword] = useState('');
  const [hooks, setHooks] = useState(initial.webhooks.map((w) => ({ ...w, secret: '' })));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const setS = (k) => (e) => setSmtp({ ...smtp, [k]: k === 'port' ? Number(e.target.value) : e.target.value });
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = {
        smtp: smtpOn
          ? { host: smtp.host, port: smtp.port, tls: smtp.tls, username: smtp.username || null, from: smtp.from }
          : null,
        webhooks: hooks.map((h) => ({ name: h.name.trim(), ...hookOut(h) })),
      };
      if (smtpOn && password) body.smtp.password = password;
      const saved = await dapi.save(body);
      setPassword('');
      toast.ok(t('delivery.saved'));
      onSaved(saved);
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<form class="form" onSubmit=${save} data-testid="delivery-form">
    <section class="card">
      <h2 class="card-title">${t('delivery.smtp')}</h2>
      <label class="check"><input type="checkbox" checked=${smtpOn} onChange=${() => setSmtpOn(!smtpOn)}
        data-testid="smtp-on" /> <span>${t('delivery.smtpOn')}</span></label>
      ${smtpOn && html`<div class="form-grid form-grid-3">
          <${Field} label=${t('delivery.host')} cls="grow"><input type="text" value=${smtp.host} onInput=${setS('host')} data-testid="smtp-host" /><//>
          <${Field} label=${t('delivery.port')}><input type="number" min="1" max="65535" value=${smtp.port} onInput=${setS('port')} data-testid="smtp-port" /><//>
          <${Field} label=${t('delivery.tls')}>
            <select value=${smtp.tls} onChange=${setS('tls')} data-testid="smtp-tls">
              ${TLS.map((k) => html`<option value=${k} key=${k}>${t(`delivery.tlsModes.${k}`)}</option>`)}
            </select>
          <//>
        </div>
        <div class="form-grid form-grid-3">
          <${Field} label=${t('delivery.username')}><input type="text" value=${smtp.username || ''} onInput=${setS('username')} data-testid="smtp-username" /><//>
          <${Field} label=${t('delivery.password')} hint=${smtp.password_set ? t('delivery.secretSet') : ''}>
            <input type="password" autocomplete="new-password" value=${password} onInput=${(e) => setPassword(e.target.value)} data-testid="smtp-password" />
          <//>
          <${Field} label=${t('delivery.from')} hint=${t('delivery.fromHint')} cls="grow"><input type="text" value=${smtp.from} onInput=${setS('from')} data-testid="smtp-from" /><//>
        </div>`}
    </section>
    <section class="card">
      <h2 class="card-title">${t('delivery.companyHooks')}</h2>
      <p class="muted small">${t('delivery.companyHooksHint')}</p>
      ${hooks.map((h, i) => html`<div class="delivery-hook" key=${i} data-testid="company-hook">
        <${Field} label=${t('delivery.name')}>
          <input type="text" value=${h.name} onInput=${(e) => setHooks(hooks.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))}
            data-testid="company-hook-name" />
        <//>
        <${HookFields} hook=${h} testid="company-hook" onChange=${(nh) => setHooks(hooks.map((x, j) => (j === i ? nh : x)))} />
        <div class="form-actions">
          ${h.url && initial.webhooks.some((w) => w.name === h.name) &&
            html`<${TestButton} target=${() => ({ channel: 'webhook', name: h.name })} testid="company-hook-test" />`}
          <button type="button" class="btn btn-sm btn-danger" onClick=${() => setHooks(hooks.filter((_, j) => j !== i))}
            data-testid="company-hook-remove">${t('delivery.remove')}</button>
        </div>
      </div>`)}
      <button type="button" class="btn" onClick=${() => setHooks([...hooks, { name: '', kind: 'wecom', url: '', secret: '' }])}
        data-testid="company-hook-add"><${Icon} name="plus" /> ${t('delivery.addHook')}</button>
    </section>
    <${ErrorText} error=${error} />
    <div class="form-actions">
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="delivery-save">${t('delivery.save')}</button>
    </div>
  </form>`;
}

function EmailTest() {
  const [to, setTo] = useState('');
  return html`<section class="card">
    <h2 class="card-title">${t('delivery.emailTest')}</h2>
    <div class="form-grid form-grid-3">
      <${Field} label=${t('delivery.to')} cls="grow"><input type="email" value=${to} onInput=${(e) => setTo(e.target.value)} data-testid="email-test-to" /><//>
    </div>
    <${TestButton} target=${() => ({ channel: 'email', to })} testid="email-test" />
  </section>`;
}

/** A project's group webhook, for whoever manages the project (also in the project dialog). */
export function ProjectWebhookEditor({ projectId }) {
  const data = useLoader(() => dapi.projectHook(projectId), [projectId]);
  const [hook, setHook] = useState(null);
  const [error, setError] = useState(null);
  if (data.loading && !data.data) return html`<${Loading} />`;
  if (data.error && !data.data) return html`<${ErrorText} error=${data.error} />`;
  const stored = data.data && data.data.webhook;
  const cur = hook || (stored ? { ...stored, secret: '' } : { kind: 'wecom', url: '', secret: '' });
  const save = async (remove) => {
    setError(null);
    try {
      data.setData(await dapi.setProjectHook(projectId, remove ? null : hookOut(cur)));
      setHook(null);
      toast.ok(t('delivery.saved'));
    } catch (e) {
      setError(e);
    }
  };
  return html`<div data-testid="project-hook-editor">
    <${HookFields} hook=${cur} testid="project-hook" onChange=${setHook} />
    <div class="form-actions">
      <button type="button" class="btn btn-primary" onClick=${() => save(false)} data-testid="project-hook-save">${t('delivery.save')}</button>
      ${stored && html`<${TestButton} target=${() => ({ channel: 'project', project_id: Number(projectId) })} testid="project-hook-test" />
        <button type="button" class="btn btn-danger" onClick=${() => save(true)} data-testid="project-hook-remove">${t('delivery.remove')}</button>`}
    </div>
    <${ErrorText} error=${error} />
  </div>`;
}

function ProjectHook() {
  const projects = useLoader(async () => (await api.projects()).items || [], []);
  const [pid, setPid] = useState('');
  const list = projects.data || [];
  return html`<section class="card" data-testid="project-hook">
    <h2 class="card-title">${t('delivery.projectHook')}</h2>
    <p class="muted small">${t('delivery.projectHookHint')}</p>
    <${Field} label=${t('delivery.project')}>
      <select value=${pid} onChange=${(e) => setPid(e.target.value)} data-testid="project-hook-project">
        <option value="">—</option>
        ${list.map((p) => html`<option value=${p.id} key=${p.id}>${p.name}</option>`)}
      </select>
    <//>
    ${pid && html`<${ProjectWebhookEditor} key=${pid} projectId=${pid} />`}
  </section>`;
}

const targetLabel = (tg) =>
  tg.type === 'email' ? tg.to
    : tg.type === 'company_webhook' ? `${t('delivery.companyHook')}: ${tg.name}`
    : tg.type === 'project_webhook' ? `${t('delivery.projectHook')} #${tg.project_id}`
    : tg.type === 'web_push' ? `${t('me.channelPush')} #${tg.user_id}/${tg.device_id}`
    : tg.type === 'chat_app' ? `${t(`chatApps.apps.${tg.app}`)} #${tg.user_id}`
    : tg.type === 'write_back' ? `${t('writeBack.title')}: ${tg.name}`
    : `${t('delivery.userHook')} #${tg.user_id}`;

function FailedList() {
  const data = useLoader(async () => (await dapi.outbox('failed')).items || [], []);
  const retry = async (id) => {
    try {
      await dapi.retry(id);
      toast.ok(t('delivery.retried'));
      data.reload();
    } catch (e) {
      toast.error(e);
    }
  };
  if (data.loading && !data.data) return html`<${Loading} />`;
  const items = data.data || [];
  return html`<section class="card" data-testid="outbox-failed">
    <h2 class="card-title">${t('delivery.failed')}</h2>
    <${ErrorText} error=${data.error} />
    ${items.length === 0
      ? html`<${Empty}>${t('delivery.noFailed')}<//>`
      : html`<div class="table-wrap"><table class="table responsive">
          <thead><tr><th>${t('delivery.target')}</th><th>${t('delivery.notice')}</th><th>${t('delivery.attempts')}</th>
            <th>${t('delivery.error')}</th><th>${t('common.createdAt')}</th><th class="actions-col">${t('common.actions')}</th></tr></thead>
          <tbody>${items.map((it) => html`<tr key=${it.id} data-testid="outbox-row">
            <td data-label=${t('delivery.target')}>${targetLabel(it.target)}</td>
            <td data-label=${t('delivery.notice')}>${it.notice.title || it.notice.text}</td>
            <td data-label=${t('delivery.attempts')}>${it.attempts}</td>
            <td data-label=${t('delivery.error')} class="small">${it.last_error}</td>
            <td data-label=${t('common.createdAt')} class="nowrap">${fmtTime(it.created_at)}</td>
            <td class="actions-col"><button type="button" class="btn btn-sm" onClick=${() => retry(it.id)}
              data-testid="outbox-retry">${t('delivery.retry')}</button></td>
          </tr>`)}</tbody>
        </table></div>`}
  </section>`;
}

export function DeliveryPage() {
  const data = useLoader(() => dapi.settings(), []);
  const [saved, setSaved] = useState(null);
  if (data.loading && !data.data) return html`<${Loading} />`;
  if (data.error && !data.data) return html`<div class="page"><${ErrorText} error=${data.error} /></div>`;
  const settings = saved || data.data;
  return html`<div class="page" data-testid="delivery-page">
    <${PageHeader} title=${t('delivery.title')} subtitle=${t('delivery.subtitle')} />
    <${CompanyForm} key=${JSON.stringify(settings)} initial=${settings} onSaved=${setSaved} />
    ${settings.smtp && html`<${EmailTest} />`}
    <${ProjectHook} />
    <${ChatAppsAdmin} />
    <${WriteBackAdmin} />
    <${FailedList} />
  </div>`;
}

/** A member's own webhook (Me page); which events use it is set in the preferences. */
export function MyWebhook() {
  const data = useLoader(() => apiRequest('GET', '/api/me/webhook'), []);
  const [hook, setHook] = useState(null);
  const [error, setError] = useState(null);
  if (data.loading && !data.data) return html`<${Loading} />`;
  const stored = data.data && data.data.webhook;
  const cur = hook || (stored ? { ...stored, secret: '' } : { kind: 'wecom', url: '', secret: '' });
  const save = async (remove) => {
    setError(null);
    try {
      const r = await apiRequest('PUT', '/api/me/webhook', { webhook: remove ? null : hookOut(cur) });
      data.setData(r);
      setHook(null);
      toast.ok(t('delivery.saved'));
    } catch (e) {
      setError(e);
    }
  };
  return html`<div data-testid="my-hook">
    <p class="muted small">${t('delivery.myHookHint')}</p>
    <${HookFields} hook=${cur} testid="my-hook" onChange=${setHook} />
    <div class="form-actions">
      <button type="button" class="btn btn-primary" onClick=${() => save(false)} data-testid="my-hook-save">${t('delivery.save')}</button>
      ${stored && html`<${TestButton} target=${() => ({ channel: 'me' })} testid="my-hook-test" />
        <button type="button" class="btn btn-danger" onClick=${() => save(true)} data-testid="my-hook-remove">${t('delivery.remove')}</button>`}
    </div>
    <${ErrorText} error=${error} />
  </div>`;
}
