// Scenario analytics and wake-time notes for the scenario pages: the stats card of a
// scenario (last 30 days, from `analytics` on each scenario of /api/scenarios), the
// compact cell in the list, a sparkline of firings per day, the "fires within N s"
// note (the scheduler interval the list answer carries) and the check's warning when a
// condition reads the time but has no wake time.
import { html } from '../vendor/htm-preact-standalone.mjs';
import { t } from './i18n.js';

let schedulerSecs = null;

/** Keeps the scheduler interval from a /api/scenarios answer; returns its items. */
export function rememberList(r) {
  if (r && r.scheduler_interval_secs) schedulerSecs = r.scheduler_interval_secs;
  return (r && r.items) || [];
}

/** "Time-based scenarios fire within N s". */
export function TickNote() {
  if (!schedulerSecs) return null;
  return html`<span class="small muted" data-testid="scenario-tick-note">${t('scenarioStats.tickNote', { n: schedulerSecs })}</span>`;
}

/** The check's note on wake times: a warning when the condition reads the time with none. */
export function WakeNote({ wake }) {
  if (wake === 'missing')
    return html`<div class="alert alert-warn" role="status" data-testid="scenario-wake-missing">${t('scenarioStats.wakeMissing')}</div>`;
  if (wake === 'derived')
    return html`<p class="small muted" data-testid="scenario-wake-derived">${t('scenarioStats.wakeDerived')}</p>`;
  return null;
}

/** Firings per day as a row of bars (oldest first). */
export function Sparkline({ values, testid = 'scenario-sparkline' }) {
  const v = values || [];
  const max = Math.max(1, ...v);
  const w = 3;
  const h = 20;
  return html`<svg class="sparkline" width=${v.length * w} height=${h} viewBox=${`0 0 ${v.length * w} ${h}`}
      role="img" aria-label=${t('scenarioStats.sparkLabel', { n: v.reduce((a, b) => a + b, 0) })} data-testid=${testid}>
    ${v.map((n, i) => {
      const bh = n ? Math.max(2, Math.round((n / max) * h)) : 1;
      return html`<rect key=${i} x=${i * w} y=${h - bh} width=${w - 1} height=${bh} fill=${n ? 'currentColor' : 'var(--border, #ccc)'} />`;
    })}
  </svg>`;
}

function duration(secs) {
  if (secs == null) return '—';
  if (secs < 3600) return t('scenarioStats.minutes', { n: Math.max(1, Math.round(secs / 60)) });
  if (secs < 86400) return t('scenarioStats.hours', { n: Math.round(secs / 3600) });
  return t('scenarioStats.days', { n: Math.round(secs / 86400) });
}

function pct(x) {
  return x == null ? '—' : `${Math.round(x * 100)}%`;
}

function NoisyBadge({ a }) {
  return a && a.noisy
    ? html`<span class="badge badge-warn" title=${t('scenarioStats.noisyHint')} data-testid="scenario-noisy">${t('scenarioStats.noisy')}</span>`
    : null;
}

/** The compact figures of the list: fired in 30 days, sparkline, noisy. */
export function StatsCell({ s }) {
  const a = s.analytics;
  if (!a) return html`<span class="muted">—</span>`;
  return html`<div class="scenario-stats-cell" data-testid="scenario-stats-cell">
    <span class="strong" data-testid="scenario-fired-30">${a.fired}</span>
    <${Sparkline} values=${a.per_day} testid="scenario-row-sparkline" />
    <${NoisyBadge} a=${a} />
  </div>`;
}

/** The stats card of a scenario page. */
export function StatsCard({ s }) {
  const a = s && s.analytics;
  if (!a) return null;
  const item = (key, value) => html`<div class="stat" data-testid=${`scenario-stat-${key}`}>
    <div class="stat-num">${value}</div><div class="stat-label">${t(`scenarioStats.${key}`)}</div></div>`;
  return html`<section class="card" data-testid="scenario-stats">
    <div class="card-head">
      <h2 class="card-title">${t('scenarioStats.title')}</h2>
      <${NoisyBadge} a=${a} />
    </div>
    ${a.noisy && html`<p class="small text-warn">${t('scenarioStats.noisyHint')}</p>`}
    <div class="stats-row scenario-stats-grid">
      ${item('evaluated', a.evaluated)} ${item('fired', a.fired)} ${item('open', a.open)}
      ${item('finished', a.finished)} ${item('autoClosed', a.auto_closed)} ${item('median', duration(a.median_finish_secs))}
      ${item('late', pct(a.late_share))} ${item('errors', a.errors)}
    </div>
    <div class="small muted">${t('scenarioStats.perDay')} <${Sparkline} values=${a.per_day} /></div>
  </section>`;
}
