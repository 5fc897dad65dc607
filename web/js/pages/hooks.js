// Admin (company admins): inbound webhooks. A shop or an ERP posts to
// /api/hooks/{name}; Baton checks the signature, maps the payload to ERP records with
// the hook's rhai mapping and stores them (scenarios fire as for pushed records).
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { apiRequest } from '../api.js';
import { fmtTime, t } from '../i18n.js';
import { Link, navigate } from '../router.js';
import { Confirm, Empty, ErrorText, Field, Icon, Loading, PageHeader, copyText, toast, useLoader } from '../ui.js';

const enc = encodeURIComponent;
const PRESETS = ['shopify', 'woocommerce', 'generic', 'custom'];

export const hookApi = {
  list: () => apiRequest('GET', '/api/admin/hooks'),
  presets: () => apiRequest('GET', '/api/admin/hooks/presets'),
  get: (id) => apiRequest('GET', `/api/admin/hooks/${enc(id)}`),
  create: (body) => apiRequest('POST', '/api/admin/hooks', body),
  update: (id, body) => apiRequest('PATCH', `/api/admin/hooks/${enc(id)}`, body),
  remove: (id) => apiRequest('DELETE', `/api/admin/hooks/${enc(id)}`),
  deliveries: (id) => apiRequest('GET', `/api/admin/hooks/${enc(id)}/deliveries?limit=50`),
};

/** A random secret to paste into the shop's webhook settings. */
function randomSecret() {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function hookUrl(h) {
  return `${window.location.origin}${h.path}`;
}

function CopyUrl({ hook }) {
  const url = hookUrl(hook);
  return html`<div class="secret-box">
    <input type="text" readonly value=${url} class="mono" aria-label=${t('hooks.url')} data-testid="hook-url"
      onFocus=${(e) => e.target.select()} />
    <button type="button" class="btn" onClick=${async () => {
      if (await copyText(url)) toast.ok(t('hooks.copied'));
    }}><${Icon} name="copy" /> ${t('tokens.copy')}</button>
  </div>`;
}

function CreateHook({ presets, onCreated }) {
  const [f, setF] = useState({ preset: 'shopify', name: 'shopify', secret: '', scheme: 'hmac', header: '', encoding: 'hex', prefix: '' });
  const [mapping, setMapping] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  const preset = presets.find((p) => p.preset === f.preset);
  const source = mapping == null ? (preset ? preset.mapping : '') : mapping;
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    const body = { name: f.name.trim(), preset: f.preset, secret: f.secret };
    if (f.preset === 'custom') {
      body.scheme = f.scheme;
      if (f.scheme === 'hmac') Object.assign(body, { header: f.header.trim(), encoding: f.encoding, prefix: f.prefix });
    }
    if (mapping != null) body.mapping = mapping;
    setBusy(true);
    try {
      const h = await hookApi.create(body);
      toast.ok(t('hooks.created', { name: h.name }));
      onCreated(h);
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<section class="card">
    <h2 class="card-title">${t('hooks.create')}</h2>
    <form class="form" onSubmit=${submit} data-testid="hook-create-form">
      <${Field} label=${t('hooks.preset')} hint=${t(`hooks.presetHint.${f.preset}`)}>
        <select value=${f.preset} data-testid="hook-preset" onChange=${(e) => {
          const p = e.target.value;
          setF({ ...f, preset: p, name: f.name && !PRESETS.includes(f.name) ? f.name : p });
          setMapping(null);
        }}>
          ${PRESETS.map((p) => html`<option key=${p} value=${p}>${t(`hooks.presets.${p}`)}</option>`)}
        </select>
      <//>
      <${Field} label=${t('hooks.name')} hint=${t('hooks.nameHint')}>
        <input type="text" value=${f.name} onInput=${set('name')} autocapitalize="none" spellcheck="false" data-testid="hook-name" />
      <//>
      ${f.preset === 'custom' &&
      html`<${Field} label=${t('hooks.scheme')}>
          <select value=${f.scheme} onChange=${set('scheme')} data-testid="hook-scheme">
            <option value="hmac">${t('hooks.schemes.hmac')}</option>
            <option value="bearer">${t('hooks.schemes.bearer')}</option>
          </select>
        <//>
        ${f.scheme === 'hmac' &&
        html`<${Field} label=${t('hooks.header')}>
            <input type="text" value=${f.header} onInput=${set('header')} placeholder="X-Signature" data-testid="hook-header" />
          <//>
          <${Field} label=${t('hooks.encoding')}>
            <select value=${f.encoding} onChange=${set('encoding')} data-testid="hook-encoding">
              <option value="hex">hex</option><option value="base64">base64</option>
            </select>
          <//>
          <${Field} label=${t('hooks.prefix')} hint=${t('hooks.prefixHint')}>
            <input type="text" value=${f.prefix} onInput=${set('prefix')} placeholder="sha256=" data-testid="hook-prefix" />
          <//>`}`}
      <${Field} label=${f.preset === 'custom' && f.scheme === 'bearer' ? t('hooks.token') : t('hooks.secret')} hint=${t('hooks.secretHint')}>
        <div class="secret-box">
          <input type="text" value=${f.secret} onInput=${set('secret')} class="mono" autocomplete="off" data-testid="hook-secret" />
          <button type="button" class="btn" onClick=${() => setF({ ...f, secret: randomSecret() })} data-testid="hook-secret-generate">
            ${t('hooks.generate')}</button>
        </div>
      <//>
      <${Field} label=${t('hooks.mapping')} hint=${t('hooks.mappingHint')}>
        <textarea class="mono json-input" rows="12" spellcheck="false" value=${source}
          onInput=${(e) => setMapping(e.target.value)} data-testid="hook-mapping"></textarea>
      <//>
      <${ErrorText} error=${error} />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="hook-create-submit">
          <${Icon} name="plus" /> ${t('hooks.createButton')}</button>
      </div>
    </form>
  </section>`;
}

export function HooksPage() {
  const data = useLoader(async () => {
    const [hooks, presets] = await Promise.all([hookApi.list(), hookApi.presets()]);
    return { hooks: hooks.items || [], presets: presets.items || [] };
  }, []);
  if (data.loading && !data.data) return html`<${Loading} />`;
  if (data.error && !data.data) return html`<div class="page"><${ErrorText} error=${data.error} /></div>`;
  const { hooks, presets } = data.data;
  return html`<div class="page" data-testid="hooks-page">
    <${PageHeader} title=${t('hooks.title')} subtitle=${t('hooks.subtitle')} />
    ${hooks.length === 0
      ? html`<${Empty}>${t('hooks.empty')}<//>`
      : html`<div class="table-wrap">
          <table class="table responsive" data-testid="hooks-table">
            <thead><tr>
              <th>${t('hooks.name')}</th><th>${t('hooks.preset')}</th><th>${t('hooks.url')}</th><th>${t('hooks.state')}</th>
            </tr></thead>
            <tbody>
              ${hooks.map(
                (h) => html`<tr key=${h.id} data-testid="hook-row" data-name=${h.name}>
                  <td data-label=${t('hooks.name')}>
                    <${Link} href=${`/admin/hooks/${h.id}`} class="strong" data-testid="hook-open">${h.name}<//></td>
                  <td data-label=${t('hooks.preset')}>${t(`hooks.presets.${h.preset}`)}</td>
                  <td data-label=${t('hooks.url')} class="mono small wrap-anywhere">${hookUrl(h)}</td>
                  <td data-label=${t('hooks.state')}>
                    ${!h.enabled
                      ? html`<span class="badge badge-muted">${t('hooks.off')}</span>`
                      : h.last_error
                        ? html`<span class="badge badge-danger" data-testid="hook-error-badge">${t('hooks.failing')}</span>`
                        : html`<span class="badge badge-ok">${t('hooks.on')}</span>`}
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`}
    <${CreateHook} presets=${presets} onCreated=${(h) => navigate(`/admin/hooks/${h.id}`)} />
  </div>`;
}

function errorText(e) {
  return e.line ? `${e.line}:${e.column || 0} ${e.message}` : e.message;
}

function Deliveries({ id }) {
  const list = useLoader(() => hookApi.deliveries(id), [id]);
  const items = (list.data && list.data.items) || [];
  return html`<section class="card">
    <div class="card-head">
      <h2 class="card-title">${t('hooks.deliveries')}</h2>
      <button type="button" class="btn btn-sm" onClick=${() => list.reload()} data-testid="hook-deliveries-refresh">
        <${Icon} name="refresh" /> ${t('common.refresh')}</button>
    </div>
    <p class="muted small">${t('hooks.deliveriesHint')}</p>
    ${list.error && html`<${ErrorText} error=${list.error} />`}
    ${items.length === 0
      ? html`<${Empty}>${t('hooks.noDeliveries')}<//>`
      : html`<div class="table-wrap"><table class="table responsive" data-testid="hook-deliveries">
          <thead><tr><th>${t('hooks.receivedAt')}</th><th>${t('hooks.outcome')}</th><th>${t('hooks.records')}</th><th>${t('hooks.message')}</th></tr></thead>
          <tbody>${items.map(
            (d) => html`<tr key=${d.id} data-testid="hook-delivery" data-outcome=${d.outcome}>
              <td data-label=${t('hooks.receivedAt')} class="nowrap">${fmtTime(d.received_at)}</td>
              <td data-label=${t('hooks.outcome')}>
                <span class=${`badge ${d.status >= 400 ? 'badge-danger' : 'badge-soft'}`}>${d.status} · ${t(`hooks.outcomes.${d.outcome}`)}</span></td>
              <td data-label=${t('hooks.records')} class="mono small wrap-anywhere">
                ${d.records.map((r) => {
                  const [kind, ...rest] = r.split('/');
                  return html`<${Link} key=${r} href=${`/admin/erp/${enc(kind)}/${enc(rest.join('/'))}`}>${r}<//> `;
                })}
                ${d.outcome === 'stored' && html`<span class="muted">${t('hooks.counts', { stored: d.stored, unchanged: d.unchanged, tasks: d.tasks_created })}</span>`}
              </td>
              <td data-label=${t('hooks.message')} class="small wrap-anywhere">${d.message || ''}</td>
            </tr>`,
          )}</tbody>
        </table></div>`}
  </section>`;
}

export function HookPage({ params }) {
  const hook = useLoader(() => hookApi.get(params.id), [params.id]);
  const [mapping, setMapping] = useState(null);
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [removing, setRemoving] = useState(false);
  if (hook.loading && !hook.data) return html`<${Loading} />`;
  if (hook.error && !hook.data) return html`<div class="page"><${ErrorText} error=${hook.error} /></div>`;
  const h = hook.data;
  const save = async (body, done) => {
    setBusy(true);
    setError(null);
    try {
      hook.setData(await hookApi.update(h.id, body));
      toast.ok(t('hooks.saved'));
      if (done) done();
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<div class="page" data-testid="hook-page">
    <div class="crumbs"><${Link} href="/admin/hooks" data-testid="hook-back"><${Icon} name="back" /> ${t('hooks.title')}<//></div>
    <${PageHeader} title=${h.name} subtitle=${t(`hooks.presets.${h.preset}`)}>
      <label class="check">
        <input type="checkbox" checked=${h.enabled} disabled=${busy} data-testid="hook-enabled"
          onChange=${(e) => save({ enabled: e.target.checked })} />
        <span>${t('hooks.enabled')}</span>
      </label>
    <//>
    <section class="card">
      <h2 class="card-title">${t('hooks.setup')}</h2>
      <${CopyUrl} hook=${h} />
      <p class="small">${t(`hooks.setupSteps.${h.preset}`)}</p>
      <dl class="dl">
        ${h.scheme === 'hmac'
          ? html`<div class="dl-row"><dt>${t('hooks.header')}</dt><dd class="mono">${h.header}</dd></div>
              <div class="dl-row"><dt>${t('hooks.encoding')}</dt><dd class="mono">${h.encoding}${h.prefix ? ` (${h.prefix}…)` : ''}</dd></div>`
          : html`<div class="dl-row"><dt>${t('hooks.scheme')}</dt><dd>${t('hooks.schemes.bearer')}</dd></div>`}
      </dl>
      <form class="form" onSubmit=${(e) => {
        e.preventDefault();
        save({ secret }, () => setSecret(''));
      }}>
        <${Field} label=${t('hooks.newSecret')} hint=${t('hooks.secretSet')}>
          <div class="secret-box">
            <input type="text" value=${secret} onInput=${(e) => setSecret(e.target.value)} class="mono" autocomplete="off" data-testid="hook-new-secret" />
            <button type="submit" class="btn" disabled=${busy || !secret} data-testid="hook-secret-save">${t('hooks.replaceSecret')}</button>
          </div>
        <//>
      </form>
    </section>
    <section class="card">
      <h2 class="card-title">${t('hooks.mapping')}</h2>
      ${h.last_error &&
      html`<p class="alert alert-error" data-testid="hook-last-error">
        ${t('hooks.lastError', { at: fmtTime(h.last_error_at) })} <code>${errorText(h.last_error)}</code></p>`}
      <p class="muted small">${t('hooks.mappingHint')}</p>
      <textarea class="mono json-input" rows="16" spellcheck="false" aria-label=${t('hooks.mapping')}
        value=${mapping == null ? h.mapping : mapping} onInput=${(e) => setMapping(e.target.value)} data-testid="hook-mapping-edit"></textarea>
      <${ErrorText} error=${error} />
      <div class="form-actions">
        <button type="button" class="btn btn-primary" disabled=${busy || mapping == null} data-testid="hook-mapping-save"
          onClick=${() => save({ mapping }, () => setMapping(null))}>${t('common.save')}</button>
      </div>
    </section>
    <${Deliveries} id=${h.id} />
    <div class="form-actions">
      <button type="button" class="btn btn-danger-ghost" onClick=${() => setRemoving(true)} data-testid="hook-delete">
        <${Icon} name="trash" /> ${t('hooks.delete')}</button>
    </div>
    ${removing &&
    html`<${Confirm} title=${t('hooks.delete')} danger confirmLabel=${t('hooks.delete')}
      message=${t('hooks.deleteConfirm', { name: h.name })} onClose=${() => setRemoving(false)}
      onConfirm=${async () => {
        await hookApi.remove(h.id);
        navigate('/admin/hooks');
      }} />`}
  </div>`;
}
