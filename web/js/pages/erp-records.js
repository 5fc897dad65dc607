// Admin (company admins): the ERP records the ERP pushed — a kind, a text search,
// newest first; a record's data with the keys its last version changed, and every
// version. Also the small records/scenarios API helpers the scenario editor shares.
import { html, useEffect, useMemo, useState } from '../../vendor/htm-preact-standalone.mjs';
import { apiRequest } from '../api.js';
import { fmtTime, t } from '../i18n.js';
import { Link } from '../router.js';
import { Empty, ErrorText, Icon, Loading, PageHeader, useLoader } from '../ui.js';

const enc = encodeURIComponent;

/** The kinds the ERP is expected to push; any other lower-case kind is accepted too. */
export const ERP_KINDS = ['order', 'purchase_order', 'stock', 'shipment'];

export const erpApi = {
  records: (kind, q, limit = 100) => {
    const p = new URLSearchParams({ kind, limit: String(limit) });
    if (q) p.set('q', q);
    return apiRequest('GET', `/api/erp/records?${p}`);
  },
  record: (kind, id) => apiRequest('GET', `/api/erp/records/${enc(kind)}/${enc(id)}`),
  versions: (kind, id) => apiRequest('GET', `/api/erp/records/${enc(kind)}/${enc(id)}/versions`),
};

export const scenarioApi = {
  list: () => apiRequest('GET', '/api/scenarios'),
  save: (source, extra) => apiRequest('POST', '/api/scenarios', { source, ...extra }),
  setEnabled: (id, enabled) => apiRequest('PATCH', `/api/scenarios/${enc(id)}`, { enabled }),
  remove: (id) => apiRequest('DELETE', `/api/scenarios/${enc(id)}`),
  dryRun: (body) => apiRequest('POST', '/api/scenarios/dry-run', body),
  preview: (source) => apiRequest('POST', '/api/scenarios/preview', { source }),
};

export function recordHref(kind, id) {
  return `/admin/erp/${enc(kind)}/${enc(id)}`;
}

/** A kind name in the reader's language when it is one we know, else as sent. */
export function kindLabel(kind) {
  return ERP_KINDS.includes(kind) ? t(`erp.kinds.${kind}`) : kind;
}

/** JSON with sorted object keys, so equal values compare equal. */
function stable(v) {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v === undefined ? null : v);
}

export function fieldText(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Keys of `data` and `prev` with how each changed: same | changed | added | removed. */
export function diffKeys(data, prev) {
  const cur = data && typeof data === 'object' ? data : {};
  const old = prev && typeof prev === 'object' ? prev : null;
  const keys = [...new Set([...Object.keys(cur), ...(old ? Object.keys(old) : [])])];
  return keys.map((k) => {
    let change = 'same';
    if (old) {
      const inCur = Object.prototype.hasOwnProperty.call(cur, k);
      const inOld = Object.prototype.hasOwnProperty.call(old, k);
      if (inCur && !inOld) change = 'added';
      else if (!inCur && inOld) change = 'removed';
      else if (stable(cur[k]) !== stable(old[k])) change = 'changed';
    }
    return { key: k, value: cur[k], old: old ? old[k] : undefined, change };
  });
}

function summary(data) {
  const entries = data && typeof data === 'object' ? Object.entries(data) : [];
  const s = entries
    .slice(0, 4)
    .map(([k, v]) => `${k}=${fieldText(v)}`)
    .join(' · ');
  return s.length > 140 ? `${s.slice(0, 139)}…` : s;
}

/** kind + text from the address bar (`?kind=order&q=…`), so Back returns to the same list. */
function readQuery() {
  const p = new URLSearchParams(window.location.search);
  return { kind: p.get('kind') || ERP_KINDS[0], q: p.get('q') || '' };
}

/** A kind: the four usual ones, or "other" with a typed name. */
export function KindPicker({ value, onChange, testid }) {
  const known = ERP_KINDS.includes(value);
  const [other, setOther] = useState(!known);
  // what is typed so far: the box is controlled by this, not by `value`, so a re-render
  // of the page (its list arriving) between typing and Enter does not wipe the text
  const [text, setText] = useState(known ? '' : value);
  useEffect(() => {
    if (!ERP_KINDS.includes(value)) {
      setOther(true);
      setText(value);
    }
  }, [value]);
  return html`<div class="kind-picker">
    <select value=${other ? '' : value} data-testid=${testid} aria-label=${t('erp.kind')}
      onChange=${(e) => {
        if (e.target.value === '') {
          setOther(true);
        } else {
          setOther(false);
          onChange(e.target.value);
        }
      }}>
      ${ERP_KINDS.map((k) => html`<option key=${k} value=${k}>${kindLabel(k)} (${k})</option>`)}
      <option value="">${t('erp.otherKind')}</option>
    </select>
    ${other &&
    html`<input type="text" value=${text} placeholder=${t('erp.kindPlaceholder')} autocapitalize="none"
      spellcheck="false" aria-label=${t('erp.kind')} data-testid=${`${testid}-other`}
      onInput=${(e) => setText(e.target.value)}
      onChange=${(e) => onChange(e.target.value.trim().toLowerCase())} />`}
  </div>`;
}

export function ErpRecordsPage() {
  const [{ kind, q }, setFilter] = useState(readQuery);
  const [draft, setDraft] = useState(q);
  // the search box waits for a pause in typing
  useEffect(() => {
    const h = setTimeout(() => setFilter((f) => (f.q === draft.trim() ? f : { ...f, q: draft.trim() })), 300);
    return () => clearTimeout(h);
  }, [draft]);
  useEffect(() => {
    const p = new URLSearchParams({ kind });
    if (q) p.set('q', q);
    // keep the list in the address bar without a navigation (no scroll jump while typing)
    const want = `/admin/erp?${p}`;
    if (window.location.pathname === '/admin/erp' && window.location.pathname + window.location.search !== want)
      window.history.replaceState(null, '', want);
  }, [kind, q]);
  const list = useLoader(async () => {
    if (!kind) return [];
    const res = await erpApi.records(kind, q, 100);
    const items = res.items || [];
    // newest first by arrival (the server's order is kept for equal times)
    return items
      .map((r, i) => ({ r, i }))
      .sort((a, b) => String(b.r.received_at).localeCompare(String(a.r.received_at)) || a.i - b.i)
      .map((x) => x.r);
  }, [kind, q]);
  const items = list.data || [];

  return html`<div class="page" data-testid="erp-records-page">
    <${PageHeader} title=${t('erp.title')} subtitle=${t('erp.subtitle')}>
      <button type="button" class="btn" onClick=${() => list.reload()} data-testid="erp-refresh">
        <${Icon} name="refresh" /> ${t('common.refresh')}</button>
      <${Link} href="/admin/hooks" class="btn" data-testid="erp-hooks"><${Icon} name="globe" /> ${t('nav.hooks')}<//>
      <${Link} href="/admin/connectors" class="btn" data-testid="erp-connectors"><${Icon} name="refresh" /> ${t('nav.connectors')}<//>
      <${Link} href="/admin/erp/import" class="btn btn-primary" data-testid="erp-import"><${Icon} name="upload" /> ${t('import.open')}<//>
    <//>
    <div class="toolbar">
      <${KindPicker} value=${kind} onChange=${(k) => setFilter((f) => ({ ...f, kind: k }))} testid="erp-kind" />
      <input type="search" class="search" placeholder=${t('erp.search')} value=${draft}
        onInput=${(e) => setDraft(e.target.value)} data-testid="erp-search" />
    </div>
    ${list.error && html`<${ErrorText} error=${list.error} />`}
    ${list.loading && !list.data
      ? html`<${Loading} />`
      : items.length === 0
        ? html`<${Empty}><span data-testid="erp-empty">${q ? t('common.noResults') : t('erp.none', { kind })}</span><//>`
        : html`<div class=${`table-wrap ${list.loading ? 'is-loading' : ''}`}>
            <table class="table responsive" data-testid="erp-table">
              <thead><tr>
                <th>${t('erp.recordId')}</th><th>${t('erp.version')}</th><th>${t('erp.data')}</th>
                <th>${t('erp.receivedAt')}</th><th>${t('erp.occurredAt')}</th>
              </tr></thead>
              <tbody>
                ${items.map(
                  (r) => html`<tr key=${r.id} data-testid="erp-row" data-id=${r.id}>
                    <td data-label=${t('erp.recordId')}>
                      <${Link} href=${recordHref(r.kind, r.id)} class="strong mono" data-testid="erp-open">${r.id}<//>
                    </td>
                    <td data-label=${t('erp.version')}><span class="badge badge-soft">v${r.version}</span></td>
                    <td data-label=${t('erp.data')} class="mono small wrap-anywhere erp-summary">${summary(r.data)}</td>
                    <td data-label=${t('erp.receivedAt')} class="nowrap">${fmtTime(r.received_at)}</td>
                    <td data-label=${t('erp.occurredAt')} class="nowrap">${fmtTime(r.occurred_at)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>
          ${items.length >= 100 && html`<p class="muted small">${t('erp.limited', { n: items.length })}</p>`}`}
  </div>`;
}

/** The data of one version, keys changed since `prev` highlighted. */
export function DataTable({ data, prev, testid }) {
  const rows = diffKeys(data, prev);
  const changed = rows.filter((r) => r.change !== 'same').length;
  return html`${prev &&
    html`<p class="small muted" data-testid=${`${testid}-changes`}>
      ${changed ? t('erp.changedKeys', { n: changed }) : t('erp.noChanges')}</p>`}
    <div class="table-wrap">
      <table class="table kv-table diff-table" data-testid=${testid}>
        <thead><tr><th>${t('erp.key')}</th><th>${t('erp.value')}</th>${prev && html`<th>${t('erp.before')}</th>`}</tr></thead>
        <tbody>
          ${rows.map(
            (r) => html`<tr key=${r.key} class=${`diff-${r.change}`} data-testid="kv-row" data-key=${r.key} data-change=${r.change}>
              <td class="mono">${r.key}${r.change !== 'same' &&
                html` <span class=${`badge diff-badge diff-badge-${r.change}`}>${t(`erp.change.${r.change}`)}</span>`}</td>
              <td class="wrap-anywhere">${r.change === 'removed' ? html`<span class="muted">—</span>` : fieldText(r.value)}</td>
              ${prev && html`<td class="wrap-anywhere muted">${r.change === 'same' ? '' : r.change === 'added' ? '—' : fieldText(r.old)}</td>`}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

export function ErpRecordPage({ params }) {
  const { kind, id } = params;
  const data = useLoader(async () => {
    const [rec, vers, scen] = await Promise.all([
      erpApi.record(kind, id),
      erpApi.versions(kind, id).catch(() => ({ items: [] })),
      scenarioApi.list().catch(() => ({ items: [] })),
    ]);
    const versions = (vers.items || []).slice().sort((a, b) => b.version - a.version);
    return { rec, versions, scenarios: (scen.items || []).filter((s) => s.watches === kind) };
  }, [kind, id]);
  const [picked, setPicked] = useState(null); // a version number, null = current
  useEffect(() => setPicked(null), [kind, id]);
  const d = data.data;
  const shown = useMemo(() => {
    if (!d) return null;
    const { rec, versions } = d;
    const v = picked == null ? rec.version : picked;
    const at = versions.findIndex((x) => x.version === v);
    if (at < 0) return { version: rec.version, data: rec.data, prev: rec.previous, received_at: rec.received_at };
    const older = versions[at + 1];
    // the current version's `previous` is the one before it even if older versions were pruned
    const prev = older ? older.data : v === rec.version ? rec.previous : null;
    return { version: v, data: versions[at].data, prev, received_at: versions[at].received_at };
  }, [d, picked]);

  const crumbs = html`<div class="crumbs">
    <${Link} href=${`/admin/erp?kind=${enc(kind)}`} data-testid="erp-back"><${Icon} name="back" /> ${t('erp.title')} · ${kindLabel(kind)}<//>
  </div>`;
  if (data.loading && !d) return html`<div class="page">${crumbs}<${Loading} /></div>`;
  if (data.error && !d) return html`<div class="page">${crumbs}<${ErrorText} error=${data.error} /></div>`;
  const { rec, versions, scenarios } = d;
  return html`<div class="page" data-testid="erp-record-page">
    ${crumbs}
    <${PageHeader} title=${`${rec.id}`} subtitle=${t('erp.recordSubtitle', { kind: kindLabel(rec.kind), version: rec.version, time: fmtTime(rec.received_at) })}>
      <button type="button" class="btn" onClick=${() => data.reload()} data-testid="erp-record-refresh">
        <${Icon} name="refresh" /> ${t('common.refresh')}</button>
    <//>
    <section class="card" data-testid="erp-record-data">
      <div class="card-head">
        <h2 class="card-title">
          ${t('erp.dataOfVersion', { version: shown.version })}
          ${shown.version === rec.version && html` <span class="badge badge-ok">${t('erp.current')}</span>`}
        </h2>
        ${picked != null && picked !== rec.version &&
        html`<button type="button" class="btn btn-sm" onClick=${() => setPicked(null)} data-testid="erp-show-current">${t('erp.showCurrent')}</button>`}
      </div>
      <p class="small muted">${t('erp.receivedAt')}: ${fmtTime(shown.received_at)}${rec.occurred_at && shown.version === rec.version ? ` · ${t('erp.occurredAt')}: ${fmtTime(rec.occurred_at)}` : ''}</p>
      <${DataTable} data=${shown.data} prev=${shown.prev} testid="erp-data" />
    </section>
    <section class="card" data-testid="erp-versions">
      <h2 class="card-title">${t('erp.versions')} <span class="muted small">${versions.length}</span></h2>
      ${versions.length === 0
        ? html`<p class="muted">${t('erp.noVersions')}</p>`
        : html`<ul class="version-list">
            ${versions.map((v, i) => {
              const older = versions[i + 1];
              const keys = older ? diffKeys(v.data, older.data).filter((r) => r.change !== 'same').map((r) => r.key) : [];
              const on = v.version === shown.version;
              return html`<li key=${v.version} class=${`version-item ${on ? 'on' : ''}`} data-testid="erp-version" data-version=${v.version}>
                <button type="button" class="version-btn" aria-pressed=${on} onClick=${() => setPicked(v.version)}>
                  <span class="badge badge-soft">v${v.version}</span>
                  <span class="small">${fmtTime(v.received_at)}</span>
                  <span class="small muted version-keys">${older ? (keys.length ? keys.join(', ') : t('erp.noChanges')) : t('erp.firstVersion')}</span>
                </button>
              </li>`;
            })}
          </ul>`}
    </section>
    <section class="card" data-testid="erp-record-scenarios">
      <h2 class="card-title">${t('erp.scenariosWatching', { kind: rec.kind })}</h2>
      ${scenarios.length === 0
        ? html`<p class="muted">${t('erp.noScenarios')}</p>`
        : html`<ul class="plain-list">
            ${scenarios.map(
              (s) => html`<li key=${s.id} class="list-row">
                <${Link} href=${`/admin/scenarios/${s.id}?record=${enc(`${rec.kind}/${rec.id}`)}`} data-testid="erp-scenario-link">${s.name}<//>
                ${!s.enabled && html`<span class="badge badge-muted">${t('scenarios.disabled')}</span>`}
                <span class="muted small">${t('erp.dryRunHere')}</span>
              </li>`,
            )}
          </ul>`}
    </section>
  </div>`;
}
