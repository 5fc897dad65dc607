// Write-back: telling the ERP or the shop what people decided.
// - WriteBackAdmin: the company's targets (name, URL, secret write-only, on/off), each
//   with "send test", its last deliveries and "retry" for a failed one (delivery page);
// - ProjectWriteBackEditor: which target a project's tasks report to (project dialog).
import { html, useState } from '../vendor/htm-preact-standalone.mjs';
import { apiRequest } from './api.js';
import { fmtTime, t } from './i18n.js';
import { Empty, ErrorText, Field, Loading, toast, useLoader } from './ui.js';

const enc = encodeURIComponent;

export const wbApi = {
  list: () => apiRequest('GET', '/api/admin/write-back'),
  create: (body) => apiRequest('POST', '/api/admin/write-back', body),
  update: (id, body) => apiRequest('PATCH', `/api/admin/write-back/${enc(id)}`, body),
  remove: (id) => apiRequest('DELETE', `/api/admin/write-back/${enc(id)}`),
  deliveries: (id) => apiRequest('GET', `/api/admin/write-back/${enc(id)}/deliveries`),
  test: (id) => apiRequest('POST', `/api/admin/write-back/${enc(id)}/test`),
  retry: (id) => apiRequest('POST', `/api/admin/outbox/${enc(id)}/retry`),
  project: (id) => apiRequest('GET', `/api/projects/${enc(id)}/write-back`),
  setProject: (id, target) => apiRequest('PUT', `/api/projects/${enc(id)}/write-back`, { target }),
};

function Deliveries({ target }) {
  const data = useLoader(async () => (await wbApi.deliveries(target.id)).items || [], [target.id]);
  const retry = async (id) => {
    try {
      await wbApi.retry(id);
      toast.ok(t('delivery.retried'));
      data.reload();
    } catch (e) {
      toast.error(e);
    }
  };
  if (data.loading && !data.data) return html`<${Loading} />`;
  const items = data.data || [];
  return html`<div data-testid="wb-deliveries">
    <div class="form-actions">
      <strong>${t('writeBack.deliveries')}</strong>
      <button type="button" class="btn btn-sm" onClick=${() => data.reload()} data-testid="wb-reload">${t('writeBack.reload')}</button>
    </div>
    <${ErrorText} error=${data.error} />
    ${items.length === 0
      ? html`<${Empty}>${t('writeBack.noDeliveries')}<//>`
      : html`<div class="table-wrap"><table class="table responsive">
          <thead><tr><th>${t('writeBack.event')}</th><th>${t('writeBack.status')}</th><th>${t('delivery.attempts')}</th>
            <th>${t('delivery.error')}</th><th>${t('common.createdAt')}</th><th class="actions-col">${t('common.actions')}</th></tr></thead>
          <tbody>${items.map((it) => html`<tr key=${it.id} data-testid="wb-delivery">
            <td data-label=${t('writeBack.event')}>${(it.write_back && it.write_back.event) || ''} · ${it.notice.title || ''}</td>
            <td data-label=${t('writeBack.status')} data-testid="wb-delivery-status" data-status=${it.status}>${t(`writeBack.statuses.${it.status}`)}</td>
            <td data-label=${t('delivery.attempts')}>${it.attempts}</td>
            <td data-label=${t('delivery.error')} class="small">${it.last_error}</td>
            <td data-label=${t('common.createdAt')} class="nowrap">${fmtTime(it.created_at)}</td>
            <td class="actions-col">${it.status === 'failed' && html`<button type="button" class="btn btn-sm"
              onClick=${() => retry(it.id)} data-testid="wb-retry">${t('delivery.retry')}</button>`}</td>
          </tr>`)}</tbody>
        </table></div>`}
  </div>`;
}

function TargetForm({ target, onSaved, onCancel }) {
  const [name, setName] = useState(target ? target.name : '');
  const [url, setUrl] = useState(target ? target.url : '');
  const [secret, setSecret] = useState('');
  const [enabled, setEnabled] = useState(target ? target.enabled : true);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = { url: url.trim(), enabled };
      if (secret) body.secret = secret;
      onSaved(target ? await wbApi.update(target.id, body) : await wbApi.create({ ...body, name: name.trim() }));
      toast.ok(t('delivery.saved'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<form onSubmit=${save} data-testid="wb-form">
    <div class="form-grid form-grid-3">
      <${Field} label=${t('delivery.name')} hint=${t('writeBack.nameHint')}>
        <input type="text" value=${name} disabled=${!!target} onInput=${(e) => setName(e.target.value)} data-testid="wb-name" />
      <//>
      <${Field} label=${t('delivery.url')} cls="grow">
        <input type="text" inputmode="url" value=${url} onInput=${(e) => setUrl(e.target.value)}
          placeholder=${t('writeBack.urlPlaceholder')} data-testid="wb-url" />
      <//>
      <${Field} label=${t('delivery.secret')} hint=${target && target.secret_set ? t('delivery.secretSet') : t('writeBack.secretHint')}>
        <input type="password" autocomplete="new-password" value=${secret} onInput=${(e) => setSecret(e.target.value)} data-testid="wb-secret" />
      <//>
    </div>
    <label class="check"><input type="checkbox" checked=${enabled} onChange=${(e) => setEnabled(e.target.checked)} data-testid="wb-enabled" />
      ${t('writeBack.enabled')}</label>
    <div class="form-actions">
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="wb-save">${t('delivery.save')}</button>
      ${onCancel && html`<button type="button" class="btn" onClick=${onCancel}>${t('common.cancel')}</button>`}
    </div>
    <${ErrorText} error=${error} />
  </form>`;
}

function TargetCard({ target, onChanged }) {
  const [editing, setEditing] = useState(false);
  const [test, setTest] = useState(null);
  const [open, setOpen] = useState(false);
  const runTest = async () => {
    setTest({ busy: true });
    try {
      setTest(await wbApi.test(target.id));
    } catch (e) {
      setTest({ ok: false, error: e.message });
    }
  };
  const remove = async () => {
    if (!window.confirm(t('writeBack.confirmRemove', { name: target.name }))) return;
    try {
      await wbApi.remove(target.id);
      onChanged();
    } catch (e) {
      toast.error(e);
    }
  };
  return html`<div class="delivery-hook" data-testid="wb-target">
    <div class="form-actions">
      <strong data-testid="wb-target-name">${target.name}</strong>
      <span class="muted small">${target.url}</span>
      ${!target.enabled && html`<span class="badge">${t('writeBack.off')}</span>`}
      <button type="button" class="btn btn-sm" onClick=${() => setEditing(!editing)} data-testid="wb-edit">${t('common.edit')}</button>
      <button type="button" class="btn btn-sm" onClick=${runTest} disabled=${test && test.busy} data-testid="wb-test">${t('delivery.sendTest')}</button>
      <button type="button" class="btn btn-sm" onClick=${() => setOpen(!open)} data-testid="wb-show-deliveries">${t('writeBack.deliveries')}</button>
      <button type="button" class="btn btn-sm btn-danger-ghost" onClick=${remove} data-testid="wb-remove">${t('common.remove')}</button>
      ${test && !test.busy && (test.ok
        ? html`<span class="badge badge-ok" data-testid="wb-test-ok">${t('delivery.testOk')}</span>`
        : html`<span class="alert alert-error small" data-testid="wb-test-error">${test.error}</span>`)}
    </div>
    ${editing && html`<${TargetForm} target=${target} onSaved=${() => { setEditing(false); onChanged(); }} onCancel=${() => setEditing(false)} />`}
    ${open && html`<${Deliveries} target=${target} />`}
  </div>`;
}

/** Admin → Delivery channels: the write-back targets. */
export function WriteBackAdmin() {
  const data = useLoader(async () => (await wbApi.list()).items || [], []);
  const [adding, setAdding] = useState(false);
  if (data.loading && !data.data) return html`<${Loading} />`;
  const items = data.data || [];
  return html`<section class="card" data-testid="write-back">
    <h2 class="card-title">${t('writeBack.title')}</h2>
    <p class="muted small">${t('writeBack.hint')}</p>
    <${ErrorText} error=${data.error} />
    ${items.length === 0 && !adding && html`<${Empty}>${t('writeBack.none')}<//>`}
    ${items.map((tg) => html`<${TargetCard} key=${`${tg.id}-${tg.updated_at}`} target=${tg} onChanged=${() => data.reload()} />`)}
    ${adding
      ? html`<${TargetForm} onSaved=${() => { setAdding(false); data.reload(); }} onCancel=${() => setAdding(false)} />`
      : html`<div class="form-actions"><button type="button" class="btn" onClick=${() => setAdding(true)} data-testid="wb-add">${t('writeBack.add')}</button></div>`}
  </section>`;
}

/** A project's write-back target, for whoever manages the project. */
export function ProjectWriteBackEditor({ projectId }) {
  const data = useLoader(() => wbApi.project(projectId), [projectId]);
  const [error, setError] = useState(null);
  if (data.loading && !data.data) return html`<${Loading} />`;
  if (data.error && !data.data) return html`<${ErrorText} error=${data.error} />`;
  const cur = data.data;
  const choose = async (e) => {
    setError(null);
    try {
      data.setData(await wbApi.setProject(projectId, e.target.value || null));
      toast.ok(t('delivery.saved'));
    } catch (err) {
      setError(err);
    }
  };
  return html`<div data-testid="project-write-back">
    <${Field} label=${t('writeBack.projectTarget')} hint=${t('writeBack.projectHint')}>
      <select value=${cur.target || ''} onChange=${choose} data-testid="project-write-back-target">
        <option value="">${t('writeBack.noTarget')}</option>
        ${cur.choices.map((n) => html`<option value=${n} key=${n}>${n}</option>`)}
      </select>
    <//>
    <${ErrorText} error=${error} />
  </div>`;
}
