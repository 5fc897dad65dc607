// Statistics for admins (and a member's own row): month/week, any month or ISO week
// of the last six months (the server lists them), a department filter, a sortable
// table, CSV/XLSX downloads.
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

const DAY = 86400000;

// "2026-W47" → "2026-W47 · 11/16–11/22": with 26 weeks to pick from, the dates say
// which one is meant. ISO week 1 holds 4 January; weeks start on Monday.
export function periodLabel(key) {
  const m = /^(\d{4})-W(\d{2})$/.exec(key);
  if (!m) return key;
  const jan4 = Date.UTC(Number(m[1]), 0, 4);
  const monday = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY + (Number(m[2]) - 1) * 7 * DAY;
  const md = (t) => { const d = new Date(t); return `${d.getUTCMonth() + 1}/${d.getUTCDate()}`; };
  return `${key} · ${md(monday)}–${md(monday + 6 * DAY)}`;
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
        ${((data.data && data.data.periods) || []).map((p) => html`<option key=${p} value=${p}>${periodLabel(p)}</option>`)}
      </select>
      ${isAdmin(me) && html`<select aria-label=${t('stats.department')} data-testid="stats-dept" value=${dept} onChange=${(e) => setDept(e.target.value)}>
        <option value="">${t('stats.allDepartments')}</option>
        ${depts.map((d) => html`<option key=${d.id} value=${d.id}>${d.name}</option>`)}
      </select>`}
    </div>
    <p class="muted small stats-rules" data-testid="stats-rules">${t('stats.rules')}</p>
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
