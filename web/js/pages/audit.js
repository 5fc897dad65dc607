// Admin: audit log (newest first).
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api } from '../api.js';
import { fmtTime, has, t } from '../i18n.js';
import { Empty, ErrorText, Icon, Loading, PageHeader, useLoader } from '../ui.js';

const LIMITS = [50, 200, 500];

/** "user.create" -> "User created" in the reader's language; unknown actions as written. */
export function auditAction(action) {
  const key = `audit.actions.${String(action).replace(/\./g, '_')}`;
  return has(key) ? t(key) : action;
}

const ROLE_RE = /\b(company_admin|department_admin|member)\b/g;
const WORD_RE = /(^|[\s,(:])(user|project|department|token|template|scenario|task|username|as|version)(?=\s)/g;

/** The server's English detail ("user 'bob' as department_admin") with its fixed words
 * and role names translated; names in quotes are left alone. */
export function auditDetail(detail) {
  return String(detail || '')
    .split(/('[^']*')/)
    .map((part) =>
      part.startsWith("'")
        ? part
        : part.replace(ROLE_RE, (r) => t(`roles.${r}`)).replace(WORD_RE, (m, pre, w) => `${pre}${t(`audit.words.${w}`)}`),
    )
    .join('');
}

export function AuditPage() {
  const [limit, setLimit] = useState(200);
  const data = useLoader(async () => (await api.audit(limit)).items || [], [limit]);
  const [q, setQ] = useState('');
  const needle = q.trim().toLowerCase();
  const items = (data.data || []).filter(
    (x) =>
      !needle ||
      [x.actor, x.action, auditAction(x.action), x.detail, auditDetail(x.detail), x.ip].some((v) => v && String(v).toLowerCase().includes(needle)),
  );
  return html`<div class="page" data-testid="audit-page">
    <${PageHeader} title=${t('audit.title')} subtitle=${t('audit.subtitle')}>
      <button type="button" class="btn" onClick=${() => data.reload()} disabled=${data.loading} data-testid="audit-refresh">
        <${Icon} name="refresh" /> ${t('common.refresh')}</button>
    <//>
    <div class="toolbar">
      <input type="search" class="search" placeholder=${t('audit.search')} value=${q}
        onInput=${(e) => setQ(e.target.value)} data-testid="audit-search" />
      <label class="inline-select">
        <span>${t('audit.limit')}</span>
        <select value=${String(limit)} onChange=${(e) => setLimit(Number(e.target.value))} data-testid="audit-limit">
          ${LIMITS.map((n) => html`<option key=${n} value=${String(n)}>${n}</option>`)}
        </select>
      </label>
    </div>
    <${ErrorText} error=${data.error} />
    ${data.loading && !data.data
      ? html`<${Loading} />`
      : items.length === 0
        ? html`<${Empty}>${t('audit.empty')}<//>`
        : html`<div class="table-wrap">
            <table class="table responsive audit-table" data-testid="audit-table">
              <thead><tr>
                <th>${t('audit.at')}</th><th>${t('audit.actor')}</th><th>${t('audit.action')}</th>
                <th>${t('audit.detail')}</th><th>${t('audit.ip')}</th>
              </tr></thead>
              <tbody>
                ${items.map(
                  (x) => html`<tr key=${x.id} data-testid="audit-row">
                    <td data-label=${t('audit.at')} class="nowrap">${fmtTime(x.at)}</td>
                    <td data-label=${t('audit.actor')}>${x.actor || html`<span class="muted">${t('audit.system')}</span>`}</td>
                    <td data-label=${t('audit.action')} title=${x.action} data-testid="audit-action">${auditAction(x.action)}</td>
                    <td data-label=${t('audit.detail')} class="wrap-anywhere" data-testid="audit-detail">${auditDetail(x.detail)}</td>
                    <td data-label=${t('audit.ip')} class="mono small">${x.ip || '—'}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`}
  </div>`;
}
