// Admin (company admins): import an export file — CSV, XLSX or JSON lines. Upload it,
// choose the kind, the id column, the columns and their types (offered from the
// cells), look at the first records as they would be stored, then import it a batch
// at a time with a progress bar and a summary whose refusals download as CSV.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { apiRequest } from '../api.js';
import { t } from '../i18n.js';
import { Link } from '../router.js';
import { ErrorText, Field, Icon, PageHeader } from '../ui.js';
import { KindPicker, fieldText } from './erp-records.js';

const enc = encodeURIComponent;
const BATCH = 500;
const TYPES = ['money', 'int', 'time'];

const uploadApi = {
  upload: (file) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return apiRequest('POST', '/api/erp/uploads', undefined, { form });
  },
  preview: (id, choices) => apiRequest('POST', `/api/erp/uploads/${enc(id)}/preview`, choices),
  batch: (id, choices, from, count) => apiRequest('POST', `/api/erp/uploads/${enc(id)}/import`, { choices, from, count }),
};

/** The refusals as a CSV file to download. */
function refusalsCsv(rows) {
  const q = (s) => `"${String(s).replace(/"/g, '""')}"`;
  const text = ['line,reason', ...rows.map((r) => `${r.line},${q(r.reason)}`)].join('\r\n');
  return URL.createObjectURL(new Blob([`\ufeff${text}`], { type: 'text/csv;charset=utf-8' }));
}

function Columns({ info, cols, setCols, idColumn, setIdColumn }) {
  const set = (name, patch) => setCols(cols.map((c) => (c.name === name ? { ...c, ...patch } : c)));
  return html`<div class="table-wrap">
    <table class="table responsive" data-testid="import-columns">
      <thead><tr><th>${t('import.use')}</th><th>${t('import.column')}</th><th>${t('import.sample')}</th><th>${t('import.type')}</th></tr></thead>
      <tbody>
        ${cols.map(
          (c) => html`<tr key=${c.name} data-testid="import-column" data-name=${c.name}>
            <td data-label=${t('import.use')}>
              <input type="checkbox" checked=${c.use} aria-label=${c.name} data-testid="import-column-use"
                onChange=${(e) => set(c.name, { use: e.target.checked })} />
            </td>
            <td data-label=${t('import.column')} class="mono strong">
              ${c.name}
              ${c.name === idColumn && html` <span class="badge badge-soft">${t('import.idBadge')}</span>`}
            </td>
            <td data-label=${t('import.sample')} class="mono small wrap-anywhere">${c.sample.map(fieldText).join(' · ')}</td>
            <td data-label=${t('import.type')}>
              ${c.name === idColumn || info.format === 'jsonl'
                ? html`<span class="muted small">${t('import.asIs')}</span>`
                : html`<select value=${c.type || ''} data-testid="import-column-type" aria-label=${`${t('import.type')} ${c.name}`}
                    onChange=${(e) => set(c.name, { type: e.target.value || null })}>
                    <option value="">${t('import.asIs')}</option>
                    ${TYPES.map((ty) => html`<option key=${ty} value=${ty}>${t(`import.types.${ty}`)}</option>`)}
                  </select>
                  ${c.detected && c.type !== c.detected &&
                  html`<button type="button" class="btn btn-sm btn-ghost" data-testid="import-column-suggested"
                    onClick=${() => set(c.name, { type: c.detected })}>${t('import.suggest', { type: t(`import.types.${c.detected}`) })}</button>`}`}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
    <${Field} label=${t('import.idColumn')} hint=${t('import.idColumnHint')}>
      <select value=${idColumn} onChange=${(e) => setIdColumn(e.target.value)} data-testid="import-id-column">
        <option value="" disabled>—</option>
        ${info.columns.map((c) => html`<option key=${c.name} value=${c.name}>${c.name}</option>`)}
      </select>
    <//>
  </div>`;
}

export function ErpImportPage() {
  const [info, setInfo] = useState(null);
  const [cols, setCols] = useState([]);
  const [kind, setKind] = useState('order');
  const [idColumn, setIdColumn] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [preview, setPreview] = useState(null);
  const [progress, setProgress] = useState(null);

  const choices = () => ({
    kind,
    id_column: idColumn,
    columns: cols.filter((c) => c.use).map((c) => c.name),
    types: cols.filter((c) => c.use && c.type && c.name !== idColumn).map((c) => ({ column: c.name, type: c.type })),
  });
  const act = async (f) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  const onFile = (e) => {
    const file = e.target.files && e.target.files[0];
    if (!file) return;
    setPreview(null);
    setProgress(null);
    act(async () => {
      setInfo(null);
      const res = await uploadApi.upload(file);
      setInfo(res);
      // a detected type is offered, never applied unasked (SKU 00123 must stay text)
      setCols(res.columns.map((c) => ({ name: c.name, sample: c.sample || [], use: true, type: null, detected: c.detected || null })));
      setIdColumn(res.id_column || '');
    });
  };
  const runPreview = () => act(async () => setPreview(await uploadApi.preview(info.id, choices())));
  const runImport = () =>
    act(async () => {
      const ch = choices();
      const sum = { done: 0, rows: info.rows, stored: 0, new: 0, unchanged: 0, tasks: 0, rejected: [], finished: false };
      setProgress({ ...sum });
      let from = 0;
      for (;;) {
        const b = await uploadApi.batch(info.id, ch, from, BATCH);
        sum.done = b.to;
        sum.stored += b.stored;
        sum.new += b.new;
        sum.unchanged += b.unchanged;
        sum.tasks += b.tasks_created;
        sum.rejected = sum.rejected.concat(b.rejected);
        sum.finished = b.done;
        setProgress({ ...sum });
        if (b.done || b.to <= from) break;
        from = b.to;
      }
    });

  return html`<div class="page" data-testid="erp-import-page">
    <div class="crumbs"><${Link} href="/admin/erp" data-testid="import-back"><${Icon} name="back" /> ${t('erp.title')}<//></div>
    <${PageHeader} title=${t('import.title')} subtitle=${t('import.subtitle')} />
    <section class="card">
      <${Field} label=${t('import.file')} hint=${t('import.fileHint')}>
        <input type="file" accept=".csv,.txt,.xlsx,.xlsm,.jsonl,.ndjson,.json" onChange=${onFile} disabled=${busy} data-testid="import-file" />
      <//>
      ${!info && error && html`<${ErrorText} error=${error} />`}
    </section>
    ${info &&
    html`<section class="card">
      <h2 class="card-title" data-testid="import-summary-head">${t('import.fileSummary', { name: info.name, rows: info.rows, format: info.format.toUpperCase() })}</h2>
      <${Field} label=${t('erp.kind')}>
        <${KindPicker} value=${kind} onChange=${setKind} testid="import-kind" />
      <//>
      <${Columns} info=${info} cols=${cols} setCols=${setCols} idColumn=${idColumn} setIdColumn=${setIdColumn} />
      <${ErrorText} error=${error} />
      <div class="form-actions">
        <button type="button" class="btn" disabled=${busy || !idColumn || !kind} onClick=${runPreview} data-testid="import-preview">
          ${t('import.preview')}</button>
        <button type="button" class="btn btn-primary" disabled=${busy || !idColumn || !kind || (progress && progress.finished)}
          onClick=${runImport} data-testid="import-run"><${Icon} name="upload" /> ${t('import.run', { rows: info.rows })}</button>
      </div>
    </section>`}
    ${preview &&
    html`<section class="card">
      <h2 class="card-title">${t('import.previewTitle', { n: preview.records.length, rows: preview.rows })}</h2>
      <div class="table-wrap"><table class="table responsive" data-testid="import-preview-table">
        <thead><tr><th>${t('import.line')}</th><th>${t('erp.recordId')}</th><th>${t('erp.data')}</th></tr></thead>
        <tbody>${preview.records.map(
          (r) => html`<tr key=${r.line} data-testid="import-preview-row" data-id=${r.id || ''} class=${r.reason ? 'row-muted' : ''}>
            <td data-label=${t('import.line')}>${r.line}</td>
            <td data-label=${t('erp.recordId')} class="mono strong">${r.id || '—'}</td>
            <td data-label=${t('erp.data')} class="mono small wrap-anywhere">
              ${r.reason ? html`<span class="text-danger">${r.reason}</span>` : JSON.stringify(r.data)}</td>
          </tr>`,
        )}</tbody>
      </table></div>
    </section>`}
    ${progress &&
    html`<section class="card" data-testid="import-progress" data-finished=${progress.finished ? '1' : '0'}>
      <h2 class="card-title">${progress.finished ? t('import.finished') : t('import.running')}</h2>
      <progress max=${progress.rows} value=${progress.done} aria-label=${t('import.progress')} class="progress-bar"></progress>
      <p class="small">${t('import.progressText', { done: progress.done, rows: progress.rows })}</p>
      <dl class="dl" data-testid="import-result">
        <div class="dl-row"><dt>${t('import.stored')}</dt><dd data-testid="import-stored">${progress.stored}</dd></div>
        <div class="dl-row"><dt>${t('import.new')}</dt><dd>${progress.new}</dd></div>
        <div class="dl-row"><dt>${t('import.unchanged')}</dt><dd data-testid="import-unchanged">${progress.unchanged}</dd></div>
        <div class="dl-row"><dt>${t('import.tasks')}</dt><dd data-testid="import-tasks">${progress.tasks}</dd></div>
        <div class="dl-row"><dt>${t('import.rejected')}</dt><dd data-testid="import-rejected">${progress.rejected.length}</dd></div>
      </dl>
      ${progress.rejected.length > 0 &&
      html`<div class="table-wrap"><table class="table" data-testid="import-refusals">
          <thead><tr><th>${t('import.line')}</th><th>${t('import.reason')}</th></tr></thead>
          <tbody>${progress.rejected.slice(0, 50).map(
            (r) => html`<tr key=${r.line}><td>${r.line}</td><td class="small wrap-anywhere">${r.reason}</td></tr>`,
          )}</tbody>
        </table></div>
        ${progress.finished &&
        html`<a class="btn" href=${refusalsCsv(progress.rejected)} download="refused-rows.csv" data-testid="import-refusals-csv">
          ${t('import.downloadRefusals')}</a>`}`}
      ${progress.finished && html`<p><${Link} href=${`/admin/erp?kind=${enc(kind)}`} data-testid="import-see-records">${t('import.seeRecords')}<//></p>`}
    </section>`}
  </div>`;
}
