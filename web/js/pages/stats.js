// Statistics for admins (and a member's own row): month/week, one of the last six
// periods, a department filter, a sortable table, CSV/XLSX downloads.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { isAdmin, useApp } from '../context.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { papi, pct } from '../personal-api.js';
import { ErrorText, Loading, PageHeader, useLoader } from '../ui.js';

const COLS = [
  ['display_name', 'stats.member'],
  ['department', 'stats.department'],
  ['received', 'stats.received'],
  ['completed', 'stats.completed'],
  ['completion_rate', 'stats.completionRate'],
  ['on_time_rate', 'stats.onTimeRate'],
  ['todo', 'stats.todo'],
  ['overdue', 'stats.overdue'],
];

function cmp(a, b) {
  // null (no rate) sorts below every number
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return typeof a === 'string' ? a.localeCompare(b) : a - b;
}

export function StatsPage() {
  const { me } = useApp();
  const [period, setPeriod] = useState('month');
  const [at, setAt] = useState('');
  const [dept, setDept] = useState('');
  const [sort, setSort] = useState({ key: 'display_name', dir: 1 });
  const q = { period, at, department_id: dept };
  const data = useLoader(() => papi.stats(q), [period, at, dept]);
  const deptList = useLoader(() => (isAdmin(me) ? api.departments() : Promise.resolve({ items: [] })), []);
  const depts = (deptList.data && deptList.data.items) || [];
  const rows = data.data ? [...data.data.rows].sort((a, b) => sort.dir * cmp(a[sort.key], b[sort.key])) : [];
  const onSort = (key) => setSort((s) => ({ key, dir: s.key === key ? -s.dir : 1 }));
  const value = (r, key) => (key.endsWith('_rate') ? pct(r[key]) : r[key] === null || r[key] === undefined ? '—' : r[key]);
  return html`<div class="page">
    <${PageHeader} title=${t('stats.title')} subtitle=${data.data ? t('stats.subtitle', { tz: data.data.timezone }) : ''}>
      <a class="btn" href=${papi.statsExportUrl('csv', q)} download data-testid="stats-csv">CSV</a>
      <a class="btn" href=${papi.statsExportUrl('xlsx', q)} download data-testid="stats-xlsx">XLSX</a>
    <//>
    <div class="filters stats-filters">
      <div class="seg-group" role="group" aria-label=${t('stats.periodKind')}>
        ${['month', 'week'].map(
          (k) => html`<button key=${k} type="button" class=${`seg-btn ${period === k ? 'seg-on' : ''}`} aria-pressed=${period === k}
            data-testid=${`stats-${k}`} onClick=${() => { setPeriod(k); setAt(''); }}>${k === 'month' ? t('stats.month') : t('stats.week')}</button>`,
        )}
      </div>
      <select aria-label=${t('stats.period')} data-testid="stats-at" value=${at || (data.data && data.data.at) || ''}
        onChange=${(e) => setAt(e.target.value)}>
        ${((data.data && data.data.periods) || []).map((p) => html`<option key=${p} value=${p}>${p}</option>`)}
      </select>
      ${isAdmin(me) && html`<select aria-label=${t('stats.department')} data-testid="stats-dept" value=${dept} onChange=${(e) => setDept(e.target.value)}>
        <option value="">${t('stats.allDepartments')}</option>
        ${depts.map((d) => html`<option key=${d.id} value=${d.id}>${d.name}</option>`)}
      </select>`}
    </div>
    <${ErrorText} error=${data.error} />
    ${data.loading && !data.data ? html`<${Loading} />` : html`<div class="table-wrap"><table class="table stats-table" data-testid="stats-table">
      <thead><tr>${COLS.map(([key, label]) => html`<th key=${key} aria-sort=${sort.key === key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none'}>
        <button type="button" class="th-sort" data-testid=${`sort-${key}`} onClick=${() => onSort(key)}>${t(label)}${sort.key === key ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''}</button></th>`)}</tr></thead>
      <tbody>
        ${rows.map((r) => html`<tr key=${r.user_id} data-testid=${`stats-row-${r.username}`}>
          ${COLS.map(([key, label]) => html`<td key=${key} data-label=${t(label)} data-col=${key}>${value(r, key)}</td>`)}
        </tr>`)}
      </tbody>
    </table></div>`}
  </div>`;
}
