// Admin (company admins): pull connectors. Baton fetches a URL that answers JSON or
// CSV on a schedule, turns the answer into ERP records with the connector's rhai
// mapping and stores them (scenarios fire as for pushed records).
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { apiRequest } from '../api.js';
import { fmtTime, t } from '../i18n.js';
import { Link, navigate } from '../router.js';
import { Confirm, Empty, ErrorText, Field, Icon, Loading, PageHeader, toast, useLoader } from '../ui.js';

const enc = encodeURIComponent;

export const connectorApi = {
  list: () => apiRequest('GET', '/api/admin/connectors'),
  defaults: () => apiRequest('GET', '/api/admin/connectors/defaults'),
  get: (id) => apiRequest('GET', `/api/admin/connectors/${enc(id)}`),
  create: (body) => apiRequest('POST', '/api/admin/connectors', body),
  update: (id, body) => apiRequest('PATCH', `/api/admin/connectors/${enc(id)}`, body),
  remove: (id) => apiRequest('DELETE', `/api/admin/connectors/${enc(id)}`),
  run: (id) => apiRequest('POST', `/api/admin/connectors/${enc(id)}/run`),
};

function errorText(e) {
  return e.line ? `${e.line}:${e.column || 0} ${e.message}` : e.message;
}

function StateBadge({ c }) {
  if (!c.enabled) return html`<span class="badge badge-muted">${t('connectors.off')}</span>`;
  if (!c.last_run) return html`<span class="badge badge-soft">${t('connectors.notRunYet')}</span>`;
  return c.last_run.ok
    ? html`<span class="badge badge-ok">${t('connectors.ok')}</span>`
    : html`<span class="badge badge-danger" data-testid="connector-failing">${t('connectors.failing')}</span>`;
}

/** The form's fields from a connector (or the defaults for a new one). */
function formOf(c, defaults) {
  return {
    name: c ? c.name : '',
    url: c ? c.url : '',
    format: c ? c.format : 'json',
    auth_header: (c && c.auth_header) || '',
    auth_value: '',
    interval_secs: String(c ? c.interval_secs : defaults.interval_secs),
    timeout_secs: String(c ? c.timeout_secs : defaults.timeout_secs),
    cursor_field: (c && c.cursor && c.cursor.field) || '',
    cursor_param: (c && c.cursor && c.cursor.param) || '',
    mapping: c ? c.mapping : defaults.mapping,
  };
}

/** The request body for the form; an edit sends only what changed. */
function bodyOf(f, c) {
  const num = (v) => (/^\d+$/.test(v.trim()) ? Number(v.trim()) : v.trim());
  const cursor = f.cursor_field.trim() || f.cursor_param.trim()
    ? { field: f.cursor_field.trim(), param: f.cursor_param.trim() }
    : null;
  const body = {
    url: f.url.trim(),
    format: f.format,
    interval_secs: num(f.interval_secs),
    timeout_secs: num(f.timeout_secs),
    mapping: f.mapping,
  };
  const header = f.auth_header.trim();
  if (!c) {
    body.name = f.name.trim();
    if (header) body.auth_header = header;
    if (header && f.auth_value) body.auth_value = f.auth_value;
    if (cursor) body.cursor = cursor;
    return body;
  }
  if (header !== (c.auth_header || '')) body.auth_header = header || null;
  if (header && f.auth_value) body.auth_value = f.auth_value;
  const old = c.cursor ? `${c.cursor.field}\n${c.cursor.param}` : '';
  if ((cursor ? `${cursor.field}\n${cursor.param}` : '') !== old) body.cursor = cursor;
  for (const k of ['url', 'format', 'interval_secs', 'timeout_secs', 'mapping']) if (body[k] === c[k]) delete body[k];
  return body;
}

function ConnectorForm({ connector, defaults, onSaved, testid }) {
  const [f, setF] = useState(() => formOf(connector, defaults));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const saved = connector
        ? await connectorApi.update(connector.id, bodyOf(f, connector))
        : await connectorApi.create(bodyOf(f, null));
      setF(formOf(saved, defaults));
      onSaved(saved);
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<form class="form" onSubmit=${submit} data-testid=${testid}>
    ${!connector &&
    html`<${Field} label=${t('connectors.name')} hint=${t('connectors.nameHint')}>
      <input type="text" value=${f.name} onInput=${set('name')} autocapitalize="none" spellcheck="false" required data-testid="connector-name" />
    <//>`}
    <${Field} label=${t('connectors.url')} hint=${t('connectors.urlHint')}>
      <input type="url" value=${f.url} onInput=${set('url')} class="mono" spellcheck="false" required data-testid="connector-url" />
    <//>
    <div class="form-grid">
      <${Field} label=${t('connectors.format')}>
        <select value=${f.format} onChange=${set('format')} data-testid="connector-format">
          <option value="json">JSON</option><option value="csv">CSV</option>
        </select>
      <//>
      <${Field} label=${t('connectors.interval')} hint=${t('connectors.intervalHint', { min: defaults.min_interval_secs, tick: defaults.tick_secs })}>
        <input type="number" min=${defaults.min_interval_secs} value=${f.interval_secs} onInput=${set('interval_secs')} data-testid="connector-interval" />
      <//>
      <${Field} label=${t('connectors.timeout')} hint=${t('connectors.timeoutHint', { max: defaults.max_timeout_secs })}>
        <input type="number" min="1" max=${defaults.max_timeout_secs} value=${f.timeout_secs} onInput=${set('timeout_secs')} data-testid="connector-timeout" />
      <//>
    </div>
    <div class="form-grid">
      <${Field} label=${t('connectors.authHeader')} hint=${t('connectors.authHeaderHint')}>
        <input type="text" value=${f.auth_header} onInput=${set('auth_header')} placeholder="Authorization" spellcheck="false" data-testid="connector-auth-header" />
      <//>
      <${Field} label=${t('connectors.authValue')} hint=${connector && connector.auth_set ? t('connectors.authSet') : t('connectors.authValueHint')}>
        <input type="password" value=${f.auth_value} onInput=${set('auth_value')} autocomplete="new-password" data-testid="connector-auth-value" />
      <//>
    </div>
    <div class="form-grid">
      <${Field} label=${t('connectors.cursorField')} hint=${t('connectors.cursorFieldHint')}>
        <input type="text" value=${f.cursor_field} onInput=${set('cursor_field')} placeholder="updated_at" spellcheck="false" data-testid="connector-cursor-field" />
      <//>
      <${Field} label=${t('connectors.cursorParam')} hint=${t('connectors.cursorParamHint')}>
        <input type="text" value=${f.cursor_param} onInput=${set('cursor_param')} placeholder="since" spellcheck="false" data-testid="connector-cursor-param" />
      <//>
    </div>
    <${Field} label=${t('connectors.mapping')} hint=${t('connectors.mappingHint')}>
      <textarea class="mono json-input" rows="12" spellcheck="false" value=${f.mapping}
        onInput=${set('mapping')} data-testid="connector-mapping"></textarea>
    <//>
    <${ErrorText} error=${error} />
    <div class="form-actions">
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid=${`${testid}-submit`}>
        ${connector ? t('common.save') : html`<${Icon} name="plus" /> ${t('connectors.createButton')}`}</button>
    </div>
  </form>`;
}

function useData(load, deps) {
  return useLoader(async () => {
    const [x, defaults] = await Promise.all([load(), connectorApi.defaults()]);
    return { x, defaults };
  }, deps);
}

export function ConnectorsPage() {
  const data = useData(() => connectorApi.list(), []);
  if (data.loading && !data.data) return html`<${Loading} />`;
  if (data.error && !data.data) return html`<div class="page"><${ErrorText} error=${data.error} /></div>`;
  const items = data.data.x.items || [];
  const { defaults } = data.data;
  return html`<div class="page" data-testid="connectors-page">
    <div class="crumbs"><${Link} href="/admin/erp"><${Icon} name="back" /> ${t('erp.title')}<//></div>
    <${PageHeader} title=${t('connectors.title')} subtitle=${t('connectors.subtitle', { tick: defaults.tick_secs })} />
    ${items.length === 0
      ? html`<${Empty}>${t('connectors.empty')}<//>`
      : html`<div class="table-wrap">
          <table class="table responsive" data-testid="connectors-table">
            <thead><tr>
              <th>${t('connectors.name')}</th><th>${t('connectors.url')}</th><th>${t('connectors.lastRun')}</th><th>${t('connectors.state')}</th>
            </tr></thead>
            <tbody>
              ${items.map(
                (c) => html`<tr key=${c.id} data-testid="connector-row" data-name=${c.name} data-ok=${c.last_run ? String(c.last_run.ok) : ''}>
                  <td data-label=${t('connectors.name')}>
                    <${Link} href=${`/admin/connectors/${c.id}`} class="strong" data-testid="connector-open">${c.name}<//></td>
                  <td data-label=${t('connectors.url')} class="mono small wrap-anywhere">${c.url}</td>
                  <td data-label=${t('connectors.lastRun')} class="nowrap">${c.last_run ? fmtTime(c.last_run.started_at) : '—'}</td>
                  <td data-label=${t('connectors.state')}><${StateBadge} c=${c} /></td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`}
    <section class="card">
      <h2 class="card-title">${t('connectors.create')}</h2>
      <${ConnectorForm} defaults=${defaults} testid="connector-create"
        onSaved=${(c) => {
          toast.ok(t('connectors.created', { name: c.name }));
          navigate(`/admin/connectors/${c.id}`);
        }} />
    </section>
  </div>`;
}

function RunReport({ c }) {
  const r = c.last_run;
  if (!r) return html`<${Empty}>${t('connectors.noRun')}<//>`;
  return html`<div data-testid="connector-report" data-ok=${String(r.ok)}>
    <p>
      ${r.ok
        ? html`<span class="badge badge-ok">${t('connectors.ok')}</span>`
        : html`<span class="badge badge-danger">${t('connectors.failed')}</span>`}
      ${' '}<span class="muted small">${fmtTime(r.started_at)} · ${r.manual ? t('connectors.manual') : t('connectors.scheduled')} · ${r.duration_ms} ms</span>
    </p>
    ${r.error && html`<p class="alert alert-error wrap-anywhere" data-testid="connector-error">${r.error}</p>`}
    <dl class="dl">
      <div class="dl-row"><dt>${t('connectors.status')}</dt><dd>${r.status == null ? '—' : r.status}${r.bytes ? ` · ${r.bytes} B` : ''}</dd></div>
      <div class="dl-row"><dt>${t('connectors.records')}</dt>
        <dd data-testid="connector-counts" data-records=${r.records} data-stored=${r.stored}>${t('connectors.counts', { records: r.records, stored: r.stored, unchanged: r.unchanged, tasks: r.tasks_created, rejected: r.rejected })}</dd></div>
      ${c.cursor && html`<div class="dl-row"><dt>${t('connectors.cursor')}</dt>
        <dd class="mono">${r.cursor_sent || '—'} → ${r.cursor_next || '—'}</dd></div>`}
      <div class="dl-row"><dt>${t('connectors.nextRun')}</dt>
        <dd>${c.enabled ? (c.next_run_at ? fmtTime(c.next_run_at) : t('connectors.soon')) : t('connectors.off')}
          ${c.failures > 0 && html` <span class="badge badge-warn">${t('connectors.failures', { n: c.failures })}</span>`}</dd></div>
    </dl>
    ${r.rejected_reasons.length > 0 &&
    html`<ul class="small">${r.rejected_reasons.map((why) => html`<li key=${why}>${why}</li>`)}</ul>`}
  </div>`;
}

export function ConnectorPage({ params }) {
  const data = useData(() => connectorApi.get(params.id), [params.id]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [removing, setRemoving] = useState(false);
  if (data.loading && !data.data) return html`<${Loading} />`;
  if (data.error && !data.data) return html`<div class="page"><${ErrorText} error=${data.error} /></div>`;
  const c = data.data.x;
  const { defaults } = data.data;
  const replace = (x) => data.setData({ ...data.data, x });
  const act = async (f) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  const runNow = () =>
    act(async () => {
      const r = await connectorApi.run(c.id);
      replace(await connectorApi.get(c.id));
      if (r.ok) toast.ok(t('connectors.ranOk', { stored: r.stored }));
      else toast.error({ message: t('connectors.ranFailed') });
    });
  return html`<div class="page" data-testid="connector-page">
    <div class="crumbs"><${Link} href="/admin/connectors" data-testid="connector-back"><${Icon} name="back" /> ${t('connectors.title')}<//></div>
    <${PageHeader} title=${c.name} subtitle=${c.url}>
      <label class="check">
        <input type="checkbox" checked=${c.enabled} disabled=${busy} data-testid="connector-enabled"
          onChange=${(e) => act(async () => replace(await connectorApi.update(c.id, { enabled: e.target.checked })))} />
        <span>${t('connectors.enabled')}</span>
      </label>
      <button type="button" class="btn btn-primary" disabled=${busy} onClick=${runNow} data-testid="connector-run">
        <${Icon} name="refresh" /> ${busy ? t('connectors.running') : t('connectors.runNow')}</button>
    <//>
    <${ErrorText} error=${error} />
    <section class="card">
      <h2 class="card-title">${t('connectors.lastRun')}</h2>
      <${RunReport} c=${c} />
      ${c.last_error &&
      html`<p class="alert alert-error" data-testid="connector-mapping-error">${t('connectors.mappingError')} <code>${errorText(c.last_error)}</code></p>`}
      ${c.cursor &&
      html`<div class="form-actions">
        <button type="button" class="btn btn-sm" disabled=${busy || !c.cursor_value} data-testid="connector-reset-cursor"
          onClick=${() => act(async () => replace(await connectorApi.update(c.id, { reset_cursor: true })))}>${t('connectors.resetCursor')}</button>
      </div>`}
    </section>
    <section class="card">
      <h2 class="card-title">${t('connectors.settings')}</h2>
      <${ConnectorForm} key=${c.rev} connector=${c} defaults=${defaults} testid="connector-edit"
        onSaved=${(x) => {
          replace(x);
          toast.ok(t('common.saved'));
        }} />
    </section>
    <div class="form-actions">
      <button type="button" class="btn btn-danger-ghost" onClick=${() => setRemoving(true)} data-testid="connector-delete">
        <${Icon} name="trash" /> ${t('connectors.delete')}</button>
    </div>
    ${removing &&
    html`<${Confirm} title=${t('connectors.delete')} danger confirmLabel=${t('connectors.delete')}
      message=${t('connectors.deleteConfirm', { name: c.name })} onClose=${() => setRemoving(false)}
      onConfirm=${async () => {
        await connectorApi.remove(c.id);
        navigate('/admin/connectors');
      }} />`}
  </div>`;
}
