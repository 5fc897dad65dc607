// "Me": the personal dashboard (counts, this month's rates, a six-month chart,
// overdue tasks, unread announcements), avatar, notification preferences, my ERP.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { isCompanyAdmin, useApp } from '../context.js';
import { fmtTime, t } from '../i18n.js';
import { papi, pct } from '../personal-api.js';
import { Link } from '../router.js';
import { Empty, ErrorText, Loading, PageHeader, toast, useLoader } from '../ui.js';
import { MyWebhook } from './delivery.js';
import { PushDevices } from '../push.js';
import { TwoFactorCard } from '../two-factor.js';
import { MyChatApps, useChatAppColumns } from '../chat-apps.js';

/** Bars: received and completed per month; a line: completion rate. Pure SVG. */
export function TrendChart({ points }) {
  const W = 320;
  const H = 160;
  const pad = 22;
  const max = Math.max(1, ...points.map((p) => Math.max(p.received, p.completed)));
  const slot = (W - pad) / points.length;
  const bw = Math.max(4, slot / 3 - 2);
  const y = (v) => H - pad - ((H - 2 * pad) * v) / max;
  const line = points
    .map((p, i) => (p.completion_rate === null ? null : [pad + i * slot + slot / 2, H - pad - (H - 2 * pad) * Math.min(1, p.completion_rate)]))
    .filter(Boolean);
  const label = points
    .map((p) => `${p.period}: ${t('me.received')} ${p.received}, ${t('me.completed')} ${p.completed}, ${t('me.completionRate')} ${pct(p.completion_rate)}`)
    .join('; ');
  return html`<figure class="trend" data-testid="trend-chart">
    <svg viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${label} class="trend-svg">
      <line x1=${pad} y1=${H - pad} x2=${W} y2=${H - pad} class="trend-axis" />
      ${points.map((p, i) => {
        const x = pad + i * slot + slot / 2;
        return html`<g key=${p.period}>
          <rect x=${x - bw - 1} y=${y(p.received)} width=${bw} height=${H - pad - y(p.received)} class="bar-received" />
          <rect x=${x + 1} y=${y(p.completed)} width=${bw} height=${H - pad - y(p.completed)} class="bar-completed" />
          <text x=${x} y=${H - 6} text-anchor="middle" class="trend-label">${p.period.slice(5)}</text>
        </g>`;
      })}
      ${line.length > 1 && html`<polyline points=${line.map((p) => p.join(',')).join(' ')} class="trend-line" fill="none" />`}
      ${line.map((p, i) => html`<circle key=${i} cx=${p[0]} cy=${p[1]} r="2.5" class="trend-dot" />`)}
    </svg>
    <figcaption class="trend-legend small muted">
      <span class="key key-received"></span>${t('me.received')}
      <span class="key key-completed"></span>${t('me.completed')}
      <span class="key key-rate"></span>${t('me.completionRate')}
    </figcaption>
  </figure>`;
}

function Count({ n, label, testid, href }) {
  const body = html`<div class="stat-num" data-testid=${testid}>${n}</div><div class="stat-label">${label}</div>`;
  return href ? html`<${Link} href=${href} class="card stat stat-link">${body}<//>` : html`<div class="card stat">${body}</div>`;
}

const EVENTS = ['assigned', 'transferred', 'returned', 'withdrawn', 'urged', 'due_soon', 'overdue', 'escalation', 'finished', 'mentioned', 'announcement'];

function Preferences() {
  const prefs = useLoader(() => papi.preferences(), []);
  const channels = ['inbox', 'email', 'webhook', 'push', ...useChatAppColumns()];
  const [error, setError] = useState(null);
  if (prefs.loading && !prefs.data) return html`<${Loading} />`;
  if (!prefs.data) return html`<${ErrorText} error=${prefs.error} />`;
  const toggle = async (ev, ch) => {
    const cur = prefs.data.events[ev] || { inbox: true, email: false };
    const next = { ...prefs.data.events, [ev]: { ...cur, [ch]: !cur[ch] } };
    setError(null);
    try {
      prefs.setData(await papi.setPreferences({ events: next }));
      toast.ok(t('common.saved'));
    } catch (e) {
      setError(e);
    }
  };
  return html`<div class="table-wrap"><table class="table" data-testid="prefs-table">
    <thead><tr><th>${t('me.event')}</th><th>${t('me.channelInbox')}</th><th>${t('me.channelEmail')}</th><th>${t('me.channelWebhook')}</th><th>${t('me.channelPush')}</th>${channels.slice(4).map((a) => html`<th key=${a}>${t(`chatApps.apps.${a}`)}</th>`)}</tr></thead>
    <tbody>
      ${EVENTS.map((ev) => {
        const c = prefs.data.events[ev] || { inbox: true, email: false };
        return html`<tr key=${ev}>
          <td class="nowrap">${t(`me.events.${ev}`)}</td>
          ${channels.map(
            (ch) => html`<td key=${ch}><input type="checkbox" checked=${c[ch]} aria-label=${`${t(`me.events.${ev}`)} · ${ch}`}
              data-testid=${`pref-${ev}-${ch}`} onChange=${() => toggle(ev, ch)} /></td>`,
          )}
        </tr>`;
      })}
    </tbody>
  </table></div>
  <${ErrorText} error=${error} />`;
}

function AvatarUpload() {
  const { me } = useApp();
  const [v, setV] = useState(0);
  const [error, setError] = useState(null);
  const [has, setHas] = useState(true);
  const onFile = async (e) => {
    const f = e.target.files && e.target.files[0];
    e.target.value = '';
    if (!f) return;
    setError(null);
    try {
      await papi.uploadAvatar(f);
      setHas(true);
      setV(v + 1);
      toast.ok(t('common.saved'));
    } catch (err) {
      setError(err);
    }
  };
  return html`<div class="avatar-row">
    ${has && html`<img class="avatar-img" src=${`/api/users/${me.id}/avatar?v=${v}`} alt="" onError=${() => setHas(false)} />`}
    <label class="btn">${t('me.uploadAvatar')}
      <input type="file" accept="image/png,image/jpeg,image/webp" class="offscreen" data-testid="avatar-input" onChange=${onFile} />
    </label>
    <span class="muted small">${t('me.avatarHint')}</span>
    <${ErrorText} error=${error} />
  </div>`;
}

function MyErp() {
  const erp = useLoader(() => papi.erpStatus(), []);
  if (!erp.data) return erp.error ? html`<${ErrorText} error=${erp.error} />` : html`<${Loading} />`;
  const tokens = erp.data.tokens.filter((x) => !x.revoked);
  return html`<div data-testid="my-erp">
    ${tokens.length === 0 ? html`<${Empty}>${t('me.noTokens')}<//>` : html`<ul class="plain-list">
      ${tokens.map((x) => html`<li key=${x.id}><strong>${x.name}</strong> · ${x.scopes.join(', ')} ·
        ${x.last_used_at ? `${t('me.lastUsed')} ${fmtTime(x.last_used_at)}` : t('me.neverUsed')}</li>`)}
    </ul>`}
    <h3 class="card-subtitle">${t('me.erpRecords')}</h3>
    ${erp.data.last_records.length === 0 ? html`<${Empty}>${t('me.erpNoRecords')}<//>` : html`<ul class="plain-list" data-testid="erp-last-records">
      ${erp.data.last_records.map((r) => html`<li key=${r.kind}><strong>${r.kind}</strong> · ${r.count} · ${r.id} (v${r.version}) · ${fmtTime(r.received_at)}</li>`)}
    </ul>`}
    <h3 class="card-subtitle">${t('me.erpErrors')}</h3>
    ${erp.data.scenario_errors.length === 0 ? html`<p class="muted small">${t('me.erpNoErrors')}</p>` : html`<ul class="plain-list" data-testid="erp-scenario-errors">
      ${erp.data.scenario_errors.map((e) => html`<li key=${e.key}><${Link} href=${'/admin/scenarios'}>${e.name}<//> · <span class="text-danger">${e.error}</span></li>`)}
    </ul>`}
  </div>`;
}

export function MePage() {
  const { me } = useApp();
  const d = useLoader(() => papi.dashboard(), []);
  if (d.loading && !d.data) return html`<${Loading} />`;
  if (!d.data) return html`<${ErrorText} error=${d.error} onReload=${d.reload} />`;
  const x = d.data;
  return html`<div class="page me-page">
    <${PageHeader} title=${t('me.title')} subtitle=${me.display_name || me.username} />
    <div class="stats-row stats-row-4">
      <${Count} n=${x.todo} label=${t('me.todo')} testid="dash-todo" href="/my" />
      <${Count} n=${x.done} label=${t('me.done')} testid="dash-done" />
      <${Count} n=${x.created} label=${t('me.created')} testid="dash-created" />
      <${Count} n=${x.overdue} label=${t('me.overdue')} testid="dash-overdue" />
    </div>
    <div class="card">
      <h2 class="card-title">${t('me.thisMonth', { month: x.month.period })}</h2>
      <div class="stats-row">
        <div class="stat"><div class="stat-num" data-testid="dash-received">${x.month.received}</div><div class="stat-label">${t('me.received')}</div></div>
        <div class="stat"><div class="stat-num" data-testid="dash-completion">${pct(x.month.completion_rate)}</div><div class="stat-label">${t('me.completionRate')}</div></div>
        <div class="stat"><div class="stat-num" data-testid="dash-ontime">${pct(x.month.on_time_rate)}</div><div class="stat-label">${t('me.onTimeRate')}</div></div>
      </div>
      ${x.trend.some((p) => p.received || p.completed)
        ? html`<${TrendChart} points=${x.trend} />`
        : html`<p class="muted small" data-testid="trend-empty">${t('me.trendEmpty')}</p>`}
    </div>
    <div class="card">
      <h2 class="card-title">${t('me.overdueTasks')}</h2>
      ${x.overdue_tasks.length === 0 ? html`<${Empty}>${t('me.noOverdue')}<//>` : html`<ul class="plain-list" data-testid="dash-overdue-list">
        ${x.overdue_tasks.map((task) => html`<li key=${task.id}><${Link} href=${`/tasks/${task.id}`}>${task.title}<//>
          ${task.due_at && html` <span class="badge badge-danger">${fmtTime(task.due_at)}</span>`}</li>`)}
      </ul>`}
    </div>
    <div class="card">
      <h2 class="card-title">${t('me.announcements')}</h2>
      ${x.unread_announcements.length === 0 ? html`<${Empty}>${t('me.noUnread')}<//>` : html`<ul class="plain-list" data-testid="dash-announcements">
        ${x.unread_announcements.map((a) => html`<li key=${a.id}><${Link} href="/announcements">${a.pinned ? '📌 ' : ''}${a.title}<//></li>`)}
      </ul>`}
    </div>
    <div class="card">
      <h2 class="card-title">${t('me.profile')}</h2>
      <${AvatarUpload} />
      <p><${Link} href="/account">${t('me.editProfile')}<//></p>
    </div>
    <div class="card">
      <h2 class="card-title">${t('me.preferences')}</h2>
      <${Preferences} />
    </div>
    <div class="card">
      <h2 class="card-title">${t('delivery.myHook')}</h2>
      <${MyWebhook} />
    </div>
    <div class="card"><h2 class="card-title">${t('push.title')}</h2><${PushDevices} /></div>
    <div class="card"><h2 class="card-title">${t('chatApps.mine')}</h2><${MyChatApps} /></div>
    ${isCompanyAdmin(me) && html`<div class="card"><h2 class="card-title">${t('me.myErp')}</h2><${MyErp} /></div>`}
    <${TwoFactorCard} />
  </div>`;
}
