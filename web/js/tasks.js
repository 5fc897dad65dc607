// Shared task pieces: badges, the task card used by every list, user pickers,
// the node (workflow step) editor, and date-time helpers.
import { html, useState } from '../vendor/htm-preact-standalone.mjs';
import { businessTypeLabel, fmtTime, getLang, t } from './i18n.js';
import { displayName, useUsers } from './people.js';
import { Link } from './router.js';
import { Icon } from './ui.js';
import { StepRuleEditor } from './fields.js';

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
export const NODE_STATES = ['waiting', 'active', 'started', 'done'];
export const FLOW_OPS = ['claim', 'start', 'complete', 'transfer', 'return', 'urge', 'withdraw', 'release', 'add_before', 'add_after'];

/** Node kinds (docs/flows.md): one handler, countersign 会签, any-sign 或签, claim 抢单. */
export const NODE_KINDS = ['single', 'all', 'any', 'claim'];

/** What a node sends for its kind: `handlers` for all/any, `claim_from` for claim. */
export function kindFields(n) {
  const kind = n.kind || 'single';
  if (kind === 'all' || kind === 'any') return { kind, handlers: n.handlers || [] };
  if (kind === 'claim') return { kind, claim_from: { ...(n.claim_from || {}), users: (n.claim_from && n.claim_from.users) || [] } };
  return {};
}

/** The message saying what node `i` (0-based) lacks for its kind, or null. */
export function nodeMissing(n, i, handlerRequired = true) {
  const kind = n.kind || 'single';
  if ((kind === 'all' || kind === 'any') && (n.handlers || []).length < 2) return t('tasks.handlersMissing', { n: i + 1 });
  if (kind === 'claim' && !((n.claim_from && n.claim_from.users) || []).length && !(n.claim_from && (n.claim_from.department_id || n.claim_from.role)))
    return t('tasks.candidatesMissing', { n: i + 1 });
  if (kind === 'single' && handlerRequired && n.handler_id == null) return t('tasks.handlerMissing', { n: i + 1 });
  return null;
}

// ---------------------------------------------------------------- dates

const pad = (n) => String(n).padStart(2, '0');

/** RFC 3339 -> value of an <input type="datetime-local"> in the browser's zone. */
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** <input type="datetime-local"> value -> RFC 3339 (UTC), or null when empty. */
export function fromLocalInput(v) {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** <input type="date"> value -> RFC 3339 of the start (or end) of that local day. */
export function fromDateInput(v, endOfDay = false) {
  if (!v) return '';
  const d = new Date(`${v}T${endOfDay ? '23:59:59' : '00:00:00'}`);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

// ---------------------------------------------------------------- badges

export function PriorityBadge({ priority }) {
  if (!priority) return null;
  return html`<span class=${`badge prio prio-${priority}`} data-testid="priority-badge">${t(`tasks.priority.${priority}`)}</span>`;
}

export function StatusBadges({ task }) {
  return html`${task.status === 'done'
      ? html`<span class="badge badge-ok" data-testid="status-badge">${t('tasks.status.done')}</span>`
      : html`<span class="badge badge-open" data-testid="status-badge">${t('tasks.status.open')}</span>`}
    ${task.overdue && html`<span class="badge badge-danger" data-testid="overdue-badge">${t('tasks.overdue')}</span>`}
    ${task.archived && html`<span class="badge badge-muted">${t('tasks.archived')}</span>`}`;
}

export function NodeStateBadge({ state }) {
  return html`<span class=${`badge state state-${state}`} data-testid="node-state" data-state=${state}>${t(`tasks.state.${state}`)}</span>`;
}

export function KindBadge({ kind }) {
  return html`<span class="badge badge-soft">${t(`tasks.kind.${kind}`)}</span>`;
}

/** "Step 2/3 · Approve · Lin" for a TaskSummary. */
export function stepText(s, name) {
  if (s.status === 'done') return t('tasks.finished');
  const parts = [];
  if (s.current_index != null) parts.push(t('tasks.stepOf', { n: s.current_index + 1, total: s.node_count }));
  if (s.current_action) parts.push(s.current_action);
  if (s.current_handler_id != null) parts.push(name(s.current_handler_id));
  return parts.join(' · ');
}

/** One TaskSummary as a card linking to the task (lists on every screen size). */
export function TaskCard({ s, projects, testid = 'task-card' }) {
  const { name } = useUsers();
  const proj = (projects || []).find((p) => p.id === s.project_id);
  return html`<${Link} href=${`/tasks/${s.id}`} class=${`task-card ${s.overdue ? 'task-card-overdue' : ''}`}
    data-testid=${testid} data-title=${s.title} data-id=${String(s.id)}>
    <div class="task-card-head">
      <span class="task-card-title">${s.title}</span>
      <${PriorityBadge} priority=${s.priority} />
    </div>
    <div class="task-card-meta">
      ${proj && html`<span class="task-card-project"><${Icon} name="folder" /> ${proj.name}</span>`}
      <span data-testid="task-card-step">${stepText(s, name)}</span>
      ${s.business_type && html`<span class="tag tag-static">${businessTypeLabel(s.business_type)}</span>`}
    </div>
    <div class="task-card-meta">
      <${StatusBadges} task=${s} />
      <span class=${s.overdue ? 'text-danger' : 'muted'}>${t('tasks.due')}: ${s.due_at ? fmtTime(s.due_at) : t('tasks.noDue')}</span>
      <span class="muted">${t('tasks.updated')}: ${fmtTime(s.updated_at)}</span>
    </div>
  <//>`;
}

export function TaskCards({ items, projects, empty, testid }) {
  if (!items || items.length === 0) return html`<div class="empty small" data-testid=${testid ? `${testid}-empty` : undefined}>${empty || t('tasks.none')}</div>`;
  return html`<div class="task-cards" data-testid=${testid}>
    ${items.map((s) => html`<${TaskCard} key=${s.id} s=${s} projects=${projects} />`)}
  </div>`;
}

// ---------------------------------------------------------------- pickers

/** A <select> of users (limited to `ids` when given). */
export function UserSelect({ ids, value, onChange, placeholder, testid, exclude = [], disabled }) {
  const { list } = useUsers();
  const users = (ids ? ids.map((id) => list.find((u) => u.id === id) || { id, username: `#${id}` }) : list).filter(
    (u) => !exclude.includes(u.id) && !u.disabled,
  );
  return html`<select value=${value == null ? '' : String(value)} data-testid=${testid} disabled=${disabled}
    onChange=${(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}>
    <option value="">${placeholder || t('tasks.chooseUser')}</option>
    ${users.map((u) => html`<option key=${u.id} value=${String(u.id)} data-username=${u.username}>${displayName(u)} (@${u.username})</option>`)}
  </select>`;
}

/** Checkbox list of users with a filter box (watchers, editors). */
export function UserMultiPicker({ ids, value, onChange, testid }) {
  const { list } = useUsers();
  const [q, setQ] = useState('');
  const needle = q.trim().toLowerCase();
  const users = (ids ? ids.map((id) => list.find((u) => u.id === id)).filter(Boolean) : list).filter((u) => !u.disabled);
  const shown = users.filter((u) => !needle || u.username.toLowerCase().includes(needle) || displayName(u).toLowerCase().includes(needle));
  const toggle = (id) => onChange(value.includes(id) ? value.filter((x) => x !== id) : [...value, id]);
  return html`<div class="picker" data-testid=${testid}>
    ${users.length > 6 &&
    html`<input type="search" class="picker-search" placeholder=${t('projects.searchUsers')} value=${q}
      onInput=${(e) => setQ(e.target.value)} />`}
    <div class="picker-list picker-list-short">
      ${shown.length === 0 && html`<div class="muted small picker-empty">${t('common.noResults')}</div>`}
      ${shown.map(
        (u) => html`<label class="check picker-item" key=${u.id}>
          <input type="checkbox" checked=${value.includes(u.id)} onChange=${() => toggle(u.id)}
            data-testid="user-option" data-username=${u.username} />
          <span>${displayName(u)} <span class="muted small">@${u.username}</span></span>
        </label>`,
      )}
    </div>
  </div>`;
}

/** Read-only list of people by id. */
export function People({ ids, empty = '—' }) {
  const { name } = useUsers();
  if (!ids || ids.length === 0) return html`<span class="muted">${empty}</span>`;
  const sep = getLang() === 'en' ? ', ' : '、';
  return html`<span class="people">${ids.map((id, i) => html`${i ? sep : ''}<span key=${id}>${name(id)}</span>`)}</span>`;
}

// ---------------------------------------------------------------- nodes editor

let nodeKey = 0;
/** Give editable nodes a stable local key. */
export const keyed = (n) => ({ ...n, _k: ++nodeKey });

/**
 * Edit a chain of nodes. mode "task": handler (required) + action + own due date-time;
 * mode "single": a simple task's one handler + action (no steps to order, remove or
 * date: the task's own due date applies); mode "template": optional handler + action +
 * relative due in hours.
 * The first `locked` nodes are shown read-only (already reached).
 */
export function NodesEditor({ nodes, onChange, memberIds, locked = 0, mode = 'task', testid = 'nodes', max, renderLocked }) {
  const set = (i, patch) => onChange(nodes.map((n, j) => (j === i ? { ...n, ...patch } : n)));
  const move = (i, d) => {
    const j = i + d;
    if (j < locked || j >= nodes.length) return;
    const next = nodes.slice();
    [next[i], next[j]] = [next[j], next[i]];
    onChange(next);
  };
  const remove = (i) => onChange(nodes.filter((_, j) => j !== i));
  const add = () =>
    onChange([...nodes, keyed(mode === 'task' ? { handler_id: null, action: '', due_at: null } : { handler_id: null, action: '', due_in_hours: null })]);
  const single = mode === 'single';
  const canAdd = !single && (max == null || nodes.length < max);
  return html`<div class="nodes-editor" data-testid=${testid}>
    ${nodes.length === 0 && html`<div class="muted small">${t('tasks.noNodes')}</div>`}
    <ol class="nodes-list">
      ${nodes.map((n, i) =>
        i < locked
          ? html`<li key=${n._k || n.id || i} class="node-row node-row-locked" data-testid="node-row-locked">
              <span class="node-num">${i + 1}</span>
              <div class="node-locked-text">${renderLocked ? renderLocked(n) : n.action}</div>
            </li>`
          : html`<li key=${n._k || n.id || i} class=${`node-row ${single ? 'node-row-single' : ''}`} data-testid="node-row">
              ${!single && html`<span class="node-num">${i + 1}</span>`}
              <div class="node-fields">
                ${!single &&
                html`<label class="field">
                  <span class="field-label">${t('tasks.nodeKind')}</span>
                  <select value=${n.kind || 'single'} onChange=${(e) => set(i, { kind: e.target.value })} data-testid="node-kind">
                    ${NODE_KINDS.map((k) => html`<option key=${k} value=${k}>${t(`tasks.kinds.${k}`)}</option>`)}
                  </select>
                </label>`}
                ${(n.kind || 'single') === 'single'
                  ? html`<label class="field">
                      <span class="field-label">${mode !== 'template' ? t('tasks.handler') : t('templates.handlerOptional')}</span>
                      <${UserSelect} ids=${memberIds} value=${n.handler_id} onChange=${(v) => set(i, { handler_id: v })}
                        placeholder=${mode !== 'template' ? t('tasks.chooseHandler') : t('templates.anyHandler')} testid="node-handler" />
                    </label>`
                  : n.kind === 'claim'
                  ? html`<div class="field">
                      <span class="field-label">${t('tasks.candidates')}</span>
                      <${UserMultiPicker} ids=${memberIds} value=${(n.claim_from && n.claim_from.users) || []}
                        onChange=${(v) => set(i, { claim_from: { ...(n.claim_from || {}), users: v } })} testid="node-candidates" />
                      <label class="field">
                        <span class="field-label">${t('tasks.candidatesRole')}</span>
                        <select value=${(n.claim_from && n.claim_from.role) || ''} data-testid="node-claim-role"
                          onChange=${(e) => set(i, { claim_from: { ...(n.claim_from || {}), role: e.target.value || null } })}>
                          <option value="">—</option>
                          ${['member', 'department_admin', 'company_admin'].map((r) => html`<option key=${r} value=${r}>${t(`roles.${r}`)}</option>`)}
                        </select>
                      </label>
                    </div>`
                  : html`<div class="field">
                      <span class="field-label">${t('tasks.shareHandlers')}</span>
                      <${UserMultiPicker} ids=${memberIds} value=${n.handlers || []} onChange=${(v) => set(i, { handlers: v })} testid="node-handlers" />
                    </div>`}
                <label class="field">
                  <span class="field-label">${t('tasks.action')}</span>
                  <input type="text" value=${n.action} placeholder=${t('tasks.actionPlaceholder')}
                    onInput=${(e) => set(i, { action: e.target.value })} data-testid="node-action" />
                </label>
                ${single
                  ? ''
                  : mode === 'task'
                  ? html`<label class="field">
                      <span class="field-label">${t('tasks.nodeDue')}</span>
                      <input type="datetime-local" value=${toLocalInput(n.due_at)}
                        onInput=${(e) => set(i, { due_at: fromLocalInput(e.target.value) })} data-testid="node-due" />
                    </label>`
                  : html`<label class="field">
                      <span class="field-label">${t('templates.dueInHours')}</span>
                      <input type="number" min="1" step="1" inputmode="numeric" value=${n.due_in_hours == null ? '' : String(n.due_in_hours)}
                        onInput=${(e) => set(i, { due_in_hours: e.target.value === '' ? null : Number(e.target.value) })}
                        data-testid="node-due-hours" />
                    </label>`}
                ${!single && html`<${StepRuleEditor} node=${n} onChange=${(p) => set(i, p)} memberIds=${memberIds} />`}
              </div>
              ${!single && html`<div class="node-tools">
                <button type="button" class="icon-btn" aria-label=${t('tasks.moveUp')} disabled=${i <= locked}
                  onClick=${() => move(i, -1)} data-testid="node-up"><${Icon} name="up" /></button>
                <button type="button" class="icon-btn" aria-label=${t('tasks.moveDown')} disabled=${i === nodes.length - 1}
                  onClick=${() => move(i, 1)} data-testid="node-down"><${Icon} name="down" /></button>
                <button type="button" class="icon-btn icon-danger" aria-label=${t('tasks.removeNode')}
                  onClick=${() => remove(i)} data-testid="node-remove"><${Icon} name="trash" /></button>
              </div>`}
            </li>`,
      )}
    </ol>
    ${canAdd &&
    html`<button type="button" class="btn btn-sm" onClick=${add} data-testid="node-add"><${Icon} name="plus" /> ${t('tasks.addNode')}</button>`}
  </div>`;
}
