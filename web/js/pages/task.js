// One task: meta, description, the flow as a stepper with the operations the
// server allows (allowed.ops), checklist, comments, log, attachments, edit,
// copy/move, archive, delete, and "Why this task" for scenario-generated tasks.
import { html, useEffect, useRef, useState } from '../../vendor/htm-preact-standalone.mjs';
import { ApiError, api } from '../api.js';
import { isCompanyAdmin, useApp } from '../context.js';
import { businessTypeLabel, fmtTime, has, t } from '../i18n.js';
import { displayName, useUsers } from '../people.js';
import { Link, navigate } from '../router.js';
import {
  FLOW_OPS,
  KindBadge,
  NodeStateBadge,
  NodesEditor,
  People,
  PRIORITIES,
  PriorityBadge,
  StatusBadges,
  UserMultiPicker,
  UserSelect,
  fromLocalInput,
  keyed,
  kindFields,
  nodeMissing,
  toLocalInput,
} from '../tasks.js';
import { LinesEditor } from './tasks.js';
import { refreshUnread } from '../unread.js';
import { reasonLabel } from './inbox.js';
import { foldReceipts } from '../tasklog.js';
import { Avatar, Confirm, ErrorText, Field, Icon, Loading, Modal, PageHeader, toast, useLoader } from '../ui.js';
import { FieldInputs, FieldValue, cleanValues } from '../fields.js';

const isConflict = (e) => e instanceof ApiError && e.code === 'conflict';

export function TaskPage({ params }) {
  const id = params.id;
  const { projects } = useApp();
  const [task, setTask] = useState(null);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0); // bumps reload comments and log
  const [notice, setNotice] = useState(null); // conflict banner
  const [dialog, setDialog] = useState(null);
  const [busyOp, setBusyOp] = useState(null);
  // the flow operation that last acted: focus goes back to it (or next to it) afterwards
  const actedOp = useRef(null);

  const load = async () => {
    try {
      const nt = await api.task(id);
      setTask(nt);
      setError(null);
      setTick((n) => n + 1);
      return nt;
    } catch (e) {
      setError(e);
      return null;
    }
  };
  useEffect(() => {
    setTask(null);
    setNotice(null);
    setDialog(null);
    load();
  }, [id]);

  // After an operation the button that acted may be gone (Start is replaced by
  // Complete; after Complete, Transfer or Return nothing may be left for me) and focus
  // would drop to <body>: put it on the same button, else the first operation left,
  // else the flow card's heading. Waits while a dialog is still open.
  useEffect(() => {
    const op = actedOp.current;
    if (!op || dialog || busyOp) return;
    actedOp.current = null;
    const settle = () => {
      const a = document.activeElement;
      if (a && a !== document.body && a.isConnected) return;
      const target =
        document.querySelector(`[data-testid="op-${op}"]`) ||
        document.querySelector('[data-testid="flow-ops"] button') ||
        document.getElementById('flow-title');
      if (target) target.focus();
    };
    settle();
    // A closing dialog gives focus back to its opener, which the new task view may
    // remove a moment later, and parts of the page re-render as their data arrives (a
    // slow device does this well after this effect): look again for a while. Only a
    // focus that has dropped to <body> is moved, never one the person put elsewhere.
    for (const ms of [50, 250, 600, 1200, 2000]) setTimeout(settle, ms);
  }, [task, dialog, busyOp]);

  const project = useLoader(async () => {
    if (!task) return null;
    try {
      return await api.project(task.project_id);
    } catch (_) {
      return (projects || []).find((p) => p.id === task.project_id) || null;
    }
  }, [task && task.project_id]);

  if (error && !task)
    return html`<div class="page" data-testid="task-page-error"><${ErrorText} error=${error} />
      <p><${Link} href="/my" class="btn">${t('nav.myWork')}<//></p></div>`;
  if (!task) return html`<${Loading} />`;

  /**
   * Run a call that answers the new TaskView. A stale rev (409) reloads the task and
   * says so; other errors are re-thrown for the caller (dialogs show them inline).
   */
  const apply = async (fn, okMsg) => {
    try {
      const nt = await fn(task.rev);
      // only the task's own GET lists the field definitions: keep those loaded
      if (nt && nt.id) setTask((old) => ({ ...nt, field_defs: (nt.field_defs || []).length ? nt.field_defs : (old && old.field_defs) || [] }));
      setNotice(null);
      setTick((n) => n + 1);
      refreshUnread();
      if (okMsg) toast.ok(okMsg);
      return nt;
    } catch (e) {
      if (isConflict(e)) {
        setDialog(null);
        await load();
        setNotice('conflict');
        return null;
      }
      throw e;
    }
  };
  const quickOp = async (op) => {
    if (busyOp) return;
    actedOp.current = op;
    setBusyOp(op);
    try {
      const nt = await apply((rev) => api.flow(task.id, op, { rev }), t(`tasks.opDone.${op}`));
      // a claim that lost the race comes back as a conflict: say who was first
      if (op === 'claim' && !nt) setNotice('claimTaken');
    } catch (e) {
      toast.error(e);
    }
    setBusyOp(null);
  };
  const onOp = (op) => {
    if (busyOp) return;
    if (op === 'complete' || op === 'start' || op === 'claim' || op === 'release') quickOp(op);
    else {
      actedOp.current = op;
      setDialog(op);
    }
  };

  const members = (project.data && project.data.members) || [];
  const a = task.allowed || { ops: [] };
  const ops = FLOW_OPS.filter((op) => (a.ops || []).includes(op));
  const projName = project.data ? project.data.name : `#${task.project_id}`;

  return html`<div class="page task-page" data-testid="task-page" data-task-id=${String(task.id)} data-rev=${String(task.rev)}>
    <div class="crumbs">
      <${Link} href=${`/projects/${task.project_id}`} data-testid="task-project-link"><${Icon} name="folder" /> ${projName}<//>
    </div>
    <${PageHeader} title=${task.title}>
      ${a.edit && html`<button type="button" class="btn" onClick=${() => setDialog('edit')} data-testid="task-edit">
        <${Icon} name="edit" /> ${t('common.edit')}</button>`}
      <button type="button" class="btn" onClick=${() => setDialog('copy')} data-testid="task-copy"><${Icon} name="copy" /> ${t('tasks.copy')}</button>
      ${a.edit && html`<button type="button" class="btn" onClick=${() => setDialog('move')} data-testid="task-move">${t('tasks.move')}</button>`}
      ${a.archive && html`<button type="button" class="btn" onClick=${() => setDialog('archive')} data-testid="task-archive">${t('tasks.archive')}</button>`}
      ${a.delete && html`<button type="button" class="btn btn-danger-ghost" onClick=${() => setDialog('delete')} data-testid="task-delete">
        <${Icon} name="trash" /> ${t('common.delete')}</button>`}
    <//>
    <div class="badges-row" data-testid="task-badges">
      <${StatusBadges} task=${task} />
      <${KindBadge} kind=${task.kind} />
      <${PriorityBadge} priority=${task.priority} />
      ${task.business_type && html`<span class="tag tag-static">${businessTypeLabel(task.business_type)}</span>`}
    </div>
    ${notice === 'conflict' &&
    html`<div class="alert alert-warn task-notice" role="alert" data-testid="task-conflict">
      <div class="alert-title">${t('tasks.conflictReloaded')}</div>
    </div>`}
    ${notice === 'claimTaken' &&
    html`<div class="alert alert-warn task-notice" role="alert" data-testid="task-claim-taken">
      <div class="alert-title">${t('tasks.claimTaken')}</div>
    </div>`}

    <div class="task-layout">
      <div class="task-main">
        <section class="card" data-testid="flow-card">
          <h2 class="card-title" id="flow-title" tabindex="-1">${task.kind === 'simple' ? t('tasks.handling') : t('tasks.flow')}</h2>
          <${Stepper} task=${task} showErrors=${a.edit} />
          ${ops.length > 0
            ? html`<div class="flow-ops" data-testid="flow-ops">
                ${/* busy = aria-disabled, not disabled: a disabled button drops its focus to <body> */ ''}
                ${ops.map(
                  (op) => html`<button key=${op} type="button" class=${`btn ${op === 'complete' ? 'btn-primary' : ''} ${op === 'withdraw' || op === 'return' ? 'btn-warn' : ''}`}
                    aria-disabled=${busyOp ? 'true' : undefined} aria-busy=${busyOp === op ? 'true' : undefined}
                    onClick=${() => onOp(op)} data-testid=${`op-${op}`}>
                    <${Icon} name=${OP_ICONS[op]} /> ${t(`tasks.op.${op}`)}</button>`,
                )}
              </div>`
            : task.status === 'open' && html`<p class="muted small flow-none" data-testid="flow-no-ops">${t('tasks.noOpsForYou')}</p>`}
        </section>

        ${task.description_html &&
        html`<section class="card">
          <h2 class="card-title">${t('tasks.description')}</h2>
          <div class="markdown" data-testid="task-description-html" dangerouslySetInnerHTML=${{ __html: task.description_html }}></div>
        </section>`}

        ${task.source && html`<${WhyPanel} source=${task.source} />`}

        ${(task.checklist || []).length > 0 && html`<${Checklist} task=${task} apply=${apply} />`}

        <${Comments} task=${task} tick=${tick} members=${members} onPosted=${() => setTick((n) => n + 1)} />
      </div>

      <aside class="task-side">
        <${Details} task=${task} projName=${projName} />
        <${Attachments} task=${task} canUpload=${!task.archived} reload=${load} />
        <${TaskLog} taskId=${task.id} tick=${tick} />
      </aside>
    </div>

    ${dialog === 'transfer' && html`<${TransferDialog} task=${task} members=${members} apply=${apply} onClose=${() => setDialog(null)} />`}
    ${dialog === 'return' && html`<${ReasonDialog} op="return" required task=${task} apply=${apply} onClose=${() => setDialog(null)} />`}
    ${dialog === 'urge' && html`<${ReasonDialog} op="urge" task=${task} apply=${apply} onClose=${() => setDialog(null)} />`}
    ${dialog === 'withdraw' && html`<${ReasonDialog} op="withdraw" task=${task} apply=${apply} onClose=${() => setDialog(null)} />`}
    ${(dialog === 'add_before' || dialog === 'add_after') &&
    html`<${AddSignDialog} op=${dialog} task=${task} members=${members} apply=${apply} onClose=${() => setDialog(null)} />`}
    ${dialog === 'edit' && html`<${EditTaskDialog} task=${task} project=${project.data} apply=${apply} onClose=${() => setDialog(null)} />`}
    ${(dialog === 'copy' || dialog === 'move') &&
    html`<${CopyMoveDialog} mode=${dialog} task=${task} apply=${apply} onClose=${() => setDialog(null)} />`}
    ${dialog === 'archive' &&
    html`<${Confirm} title=${t('tasks.archive')} message=${t('tasks.archiveConfirm')} confirmLabel=${t('tasks.archive')}
      onClose=${() => setDialog(null)} onConfirm=${() => apply(() => api.archiveTask(task.id), t('tasks.archived'))} />`}
    ${dialog === 'delete' &&
    html`<${Confirm} title=${t('tasks.deleteTitle')} message=${t('tasks.deleteConfirm', { title: task.title })} confirmLabel=${t('common.delete')} danger
      onClose=${() => setDialog(null)}
      onConfirm=${async () => {
        await api.deleteTask(task.id);
        toast.ok(t('tasks.deleted'));
        navigate(`/projects/${task.project_id}`);
      }} />`}
  </div>`;
}

const OP_ICONS = {
  start: 'play',
  complete: 'check',
  transfer: 'forward',
  return: 'back',
  urge: 'bell',
  withdraw: 'undo',
  claim: 'check',
  release: 'undo',
  add_before: 'plus',
  add_after: 'plus',
};

// ---------------------------------------------------------------- stepper

/** Who handles a step, as the stepper's heading says it. */
function stepHandlers(n, name) {
  if (n.kind === 'all' || n.kind === 'any') return (n.shares || []).map((sh) => name(sh.handler_id)).join(', ');
  if (n.kind === 'claim' && !n.handler_id) return t('tasks.kinds.claim');
  return name(n.handler_id);
}

function Stepper({ task, showErrors }) {
  const { name } = useUsers();
  return html`<ol class=${`stepper ${task.nodes.length > 4 ? 'stepper-long' : ''}`} data-testid="flow">
    ${task.nodes.map((n, i) => {
      const current = task.current_node === i;
      return html`<li key=${n.id || i} class=${`step step-${n.state} ${current ? 'step-current' : ''} ${n.skipped ? 'step-skipped' : ''}`} data-testid="flow-node"
        data-state=${n.state} data-current=${current ? 'true' : 'false'} data-handler=${stepHandlers(n, name)} data-skipped=${n.skipped ? 'true' : 'false'}
        aria-current=${current ? 'step' : undefined}>
        <span class="step-dot">${n.state === 'done' && !n.skipped ? html`<${Icon} name="check" />` : i + 1}</span>
        <div class="step-body">
          <div class="step-head">
            <span class="step-handler" data-testid="flow-node-handler">${stepHandlers(n, name)}</span>
            ${(n.kind || 'single') !== 'single' && html`<span class="tag tag-static" data-testid="flow-node-kind">${t(`tasks.kinds.${n.kind}`)}</span>`}
            ${n.skipped
              ? html`<span class="badge badge-muted" data-testid="flow-node-skipped">${t('fields.skipped')}</span>`
              : html`<${NodeStateBadge} state=${n.state} />`}
          </div>
          ${n.action && html`<div class="step-action">${n.action}</div>`}
          <${StepRuleInfo} node=${n} showErrors=${showErrors} />
          ${n.added && html`<div class="step-added muted small" data-testid="flow-node-added">${t('tasks.addedBy', { name: name(n.added.by), reason: n.added.reason })}</div>`}
          ${(n.shares || []).length > 0 &&
          html`<ul class="step-shares" data-testid="flow-node-shares">
            ${n.shares.map(
              (sh) => html`<li key=${sh.handler_id} class=${`share share-${sh.state}`} data-testid="flow-share" data-state=${sh.state}
                data-handler=${name(sh.handler_id)}>
                <${Avatar} name=${name(sh.handler_id)} small /> <span>${name(sh.handler_id)}</span>
                <span class="muted small">${t(`tasks.shareState.${sh.state}`)}</span></li>`,
            )}
          </ul>`}
          ${n.kind === 'claim' && !n.handler_id && current &&
          html`<div class="muted small" data-testid="flow-node-candidates">${t('tasks.unclaimed')} <${People} ids=${n.candidates || []} /></div>`}
          <div class="step-times muted small">
            ${n.received_at && html`<span>${t('tasks.receivedAt')} ${fmtTime(n.received_at)}</span>`}
            ${n.started_at && n.state !== 'done' && html`<span>${t('tasks.startedAt')} ${fmtTime(n.started_at)}</span>`}
            ${n.done_at && html`<span>${t('tasks.doneAt')} ${fmtTime(n.done_at)}</span>`}
            ${n.due_at && html`<span>${t('tasks.nodeDue')} ${fmtTime(n.due_at)}</span>`}
          </div>
        </div>
      </li>`;
    })}
  </ol>`;
}

/** A step's condition, CC recipients, why it was skipped, a condition's error. */
function StepRuleInfo({ node: n, showErrors }) {
  if (!n.condition && !(n.cc && n.cc.length) && !n.skipped) return '';
  return html`<div class="step-rule-info small">
    ${n.skipped && html`<div class="muted" data-testid="flow-node-skip-reason">${t('fields.skippedReason')}</div>`}
    ${n.condition && html`<div class="muted">${t('fields.condition')}: <code>${n.condition}</code></div>`}
    ${n.cc && n.cc.length > 0 &&
    html`<div class="muted" data-testid="flow-node-cc">${t('fields.ccShort')} (${t(`fields.ccOnValues.${n.cc_on || 'reached'}`)}): <${People} ids=${n.cc} /></div>`}
    ${n.condition_error && showErrors &&
    html`<div class="text-danger" role="alert" data-testid="flow-node-condition-error">${t('fields.conditionFailed')}: ${n.condition_error}</div>`}
  </div>`;
}

// ---------------------------------------------------------------- flow dialogs

function TransferDialog({ task, members, apply, onClose }) {
  const cur = task.current_node != null ? task.nodes[task.current_node] : null;
  const [to, setTo] = useState(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    if (to == null) return setError(new Error(t('tasks.transferChoose')));
    setBusy(true);
    setError(null);
    try {
      const body = { rev: task.rev, to };
      if (note.trim()) body.reason = note.trim();
      await apply((rev) => api.flow(task.id, 'transfer', { ...body, rev }), t('tasks.opDone.transfer'));
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<${Modal} title=${t('tasks.op.transfer')} onClose=${onClose} testid="transfer-dialog">
    <form class="form" onSubmit=${submit}>
      <${Field} label=${t('tasks.transferTo')} hint=${t('tasks.transferHint')}>
        <${UserSelect} ids=${members} exclude=${cur ? [cur.handler_id] : []} value=${to} onChange=${setTo} testid="transfer-to" />
      <//>
      <${Field} label=${t('tasks.noteOptional')}>
        <textarea rows="2" value=${note} onInput=${(e) => setNote(e.target.value)} onKeyDown=${sendOnCtrlEnter(submit)}
          data-testid="transfer-note"></textarea>
      <//>
      <${ErrorText} error=${error} testid="transfer-error" />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="transfer-submit">${t('tasks.op.transfer')}</button>
      </div>
    </form>
  <//>`;
}

/** Ctrl+Enter (Cmd+Enter on a Mac) in a dialog's text area sends it, as in comments. */
const sendOnCtrlEnter = (submit) => (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
};

/** Return (reason required), urge and withdraw (optional note). */
function ReasonDialog({ op, required, task, apply, onClose }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [missing, setMissing] = useState(false);
  const errorId = `${op}-reason-error`;
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    if (required && !reason.trim()) {
      setMissing(true);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = {};
      if (reason.trim()) body.reason = reason.trim();
      await apply((rev) => api.flow(task.id, op, { ...body, rev }), t(`tasks.opDone.${op}`));
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<${Modal} title=${t(`tasks.op.${op}`)} onClose=${onClose} testid=${`${op}-dialog`}>
    <form class="form" onSubmit=${submit} novalidate>
      <p class="muted small">${t(`tasks.opExplain.${op}`)}</p>
      <${Field} label=${required ? t('tasks.reasonRequired') : t('tasks.noteOptional')}>
        <textarea rows="3" value=${reason} aria-invalid=${missing ? 'true' : undefined}
          aria-required=${required ? 'true' : undefined} aria-describedby=${missing ? errorId : undefined}
          onKeyDown=${sendOnCtrlEnter(submit)}
          onInput=${(e) => {
            setReason(e.target.value);
            if (e.target.value.trim()) setMissing(false);
          }} data-testid=${`${op}-reason`}></textarea>
      <//>
      ${missing && html`<div class="alert alert-error" role="alert" id=${errorId} data-testid=${`${op}-reason-error`}>${t('tasks.reasonMissing')}</div>`}
      <${ErrorText} error=${error} testid=${`${op}-error`} />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class=${`btn ${op === 'urge' ? 'btn-primary' : 'btn-warn-solid'}`} disabled=${busy}
          data-testid=${`${op}-submit`}>${t(`tasks.op.${op}`)}</button>
      </div>
    </form>
  <//>`;
}

/** Add-sign (前加签 / 后加签): a member, what they are to do, and why (all required). */
function AddSignDialog({ op, task, members, apply, onClose }) {
  const me = (task.nodes[task.current_node] || {}).handler_id;
  const [to, setTo] = useState(null);
  const [action, setAction] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    if (to == null) return setError(new Error(t('tasks.transferChoose')));
    if (!action.trim()) return setError(new Error(t('tasks.addSignAction')));
    if (!reason.trim()) return setError(new Error(t('tasks.reasonMissing')));
    setBusy(true);
    setError(null);
    try {
      const body = { to, action: action.trim(), reason: reason.trim() };
      await apply((rev) => api.flow(task.id, op, { ...body, rev }), t(`tasks.opDone.${op}`));
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<${Modal} title=${t(`tasks.op.${op}`)} onClose=${onClose} testid="addsign-dialog">
    <form class="form" onSubmit=${submit} novalidate>
      <p class="muted small">${t(`tasks.opExplain.${op}`)}</p>
      <${Field} label=${t('tasks.addSignTo')}>
        <${UserSelect} ids=${members} exclude=${me ? [me] : []} value=${to} onChange=${setTo} testid="addsign-to" />
      <//>
      <${Field} label=${t('tasks.addSignAction')}>
        <input type="text" value=${action} onInput=${(e) => setAction(e.target.value)} aria-required="true" data-testid="addsign-action" />
      <//>
      <${Field} label=${t('tasks.reasonRequired')}>
        <textarea rows="2" value=${reason} onInput=${(e) => setReason(e.target.value)} onKeyDown=${sendOnCtrlEnter(submit)}
          aria-required="true" data-testid="addsign-reason"></textarea>
      <//>
      <${ErrorText} error=${error} testid="addsign-error" />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="addsign-submit">${t(`tasks.op.${op}`)}</button>
      </div>
    </form>
  <//>`;
}

// ---------------------------------------------------------------- details, source

/** The task's due date; without one, the current step's (as My work shows it). */
function dueText(task) {
  if (task.due_at) return fmtTime(task.due_at);
  const cur = task.current_node != null ? task.nodes[task.current_node] : null;
  if (cur && cur.due_at) return t('tasks.stepDueText', { time: fmtTime(cur.due_at) });
  return t('tasks.noDue');
}

function Details({ task, projName }) {
  const { name } = useUsers();
  const row = (label, value, testid) => html`<div class="dl-row" data-testid=${testid}><dt>${label}</dt><dd>${value}</dd></div>`;
  return html`<section class="card" data-testid="task-details">
    <h2 class="card-title">${t('tasks.details')}</h2>
    <dl class="dl">
      ${row(t('tasks.project'), html`<${Link} href=${`/projects/${task.project_id}`}>${projName}<//>`)}
      ${row(t('tasks.creator'), name(task.creator_id), 'task-creator')}
      ${row(t('common.createdAt'), fmtTime(task.created_at))}
      ${row(
        t('tasks.due'),
        html`<span class=${task.overdue ? 'text-danger' : ''}>${dueText(task)}</span>`,
        'task-due',
      )}
      ${task.finished_at && row(t('tasks.finishedAt'), fmtTime(task.finished_at), 'task-finished-at')}
      ${(task.field_defs || []).map((d) =>
        row(d.label, html`<${FieldValue} def=${d} value=${(task.fields || {})[d.key]} />`, `task-field-${d.key}`),
      )}
      ${row(t('tasks.watchers'), html`<${People} ids=${task.watchers} />`, 'task-watchers')}
      ${row(t('tasks.editors'), html`<${People} ids=${task.editors} />`, 'task-editors')}
      ${row(t('tasks.updated'), fmtTime(task.updated_at))}
    </dl>
  </section>`;
}

function fieldValue(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function WhyPanel({ source }) {
  const { me } = useApp();
  const version = `${source.scenario_name} · v${source.scenario_version}`;
  const fields = source.record && typeof source.record === 'object' ? Object.entries(source.record) : [];
  return html`<section class="card why-card" data-testid="why-panel">
    <h2 class="card-title"><${Icon} name="spark" /> ${t('tasks.why')}</h2>
    <p class="small">${t('tasks.whyText', { scenario: source.scenario_name, version: source.scenario_version })}</p>
    <dl class="dl">
      <div class="dl-row"><dt>${t('tasks.whyScenario')}</dt><dd data-testid="why-scenario">${isCompanyAdmin(me)
        ? html`<${Link} href=${`/admin/scenarios/${encodeURIComponent(source.scenario_id)}?version=${source.scenario_version}`} data-testid="why-scenario-version">${version}<//>`
        : version}</dd></div>
      <div class="dl-row"><dt>${t('tasks.whyFired')}</dt><dd>${fmtTime(source.fired_at)}</dd></div>
      <div class="dl-row"><dt>${t('tasks.whyRecord')}</dt><dd data-testid="why-record"><code>${source.record_kind}</code> ${source.record_id}</dd></div>
    </dl>
    ${fields.length > 0 &&
    html`<div class="table-wrap"><table class="table kv-table" data-testid="why-fields">
      <thead><tr><th>${t('tasks.whyField')}</th><th>${t('tasks.whyValue')}</th></tr></thead>
      <tbody>${fields.map(([k, v]) => html`<tr key=${k}><td class="mono">${k}</td><td class="wrap-anywhere">${fieldValue(v)}</td></tr>`)}</tbody>
    </table></div>`}
  </section>`;
}

// ---------------------------------------------------------------- checklist

function Checklist({ task, apply }) {
  const { name } = useUsers();
  // the tick shows at once (optimistic); the server's answer replaces it
  const [busy, setBusy] = useState(null); // { id, done }
  const can = !!(task.allowed && task.allowed.check);
  const done = task.checklist.filter((x) => x.done).length;
  const tick = async (item, value) => {
    setBusy({ id: item.id, done: value });
    try {
      await apply((rev) => api.checkItem(task.id, item.id, value, rev));
    } catch (e) {
      toast.error(e);
    }
    setBusy(null);
  };
  return html`<section class="card" data-testid="checklist">
    <h2 class="card-title">${t('tasks.checklist')} <span class="muted small">${done}/${task.checklist.length}</span></h2>
    <ul class="checklist">
      ${task.checklist.map(
        (x) => html`<li key=${x.id} class=${x.done ? 'is-done' : ''} data-testid="checklist-item" data-done=${x.done ? 'true' : 'false'}>
          <label class="check">
            <input type="checkbox" checked=${busy && busy.id === x.id ? busy.done : x.done} disabled=${!can || !!busy}
              onChange=${(e) => tick(x, e.target.checked)} data-testid="checklist-tick" />
            <span>${x.text}</span>
          </label>
          ${x.done && x.done_by != null && html`<span class="muted small">${name(x.done_by)} · ${fmtTime(x.done_at)}</span>`}
        </li>`,
      )}
    </ul>
    ${!can && task.status === 'open' && html`<p class="muted small">${t('tasks.checklistHandlerOnly')}</p>`}
  </section>`;
}

// ---------------------------------------------------------------- comments

function Comments({ task, tick, members, onPosted }) {
  const { list, name } = useUsers();
  const comments = useLoader(() => api.comments(task.id).then((r) => r.items || []), [task.id, tick]);
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const ref = useRef(null);
  const can = !task.allowed || task.allowed.comment !== false;
  const m = /(^|\s)@([\w.-]*)$/.exec(body);
  const suggestions = m
    ? members
        .map((id) => list.find((u) => u.id === id))
        .filter((u) => u && (u.username.toLowerCase().startsWith(m[2].toLowerCase()) || displayName(u).includes(m[2])))
        .slice(0, 6)
    : [];
  const pick = (u) => {
    setBody(body.replace(/@([\w.-]*)$/, `@${u.username} `));
    if (ref.current) ref.current.focus();
  };
  const submit = async (e) => {
    e.preventDefault();
    if (!body.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await api.addComment(task.id, body.trim());
      setBody('');
      onPosted();
      refreshUnread(); // commenting reads this task's messages (server side)
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  const items = comments.data || [];
  return html`<section class="card" data-testid="comments">
    <h2 class="card-title">${t('tasks.comments')} ${items.length > 0 && html`<span class="muted small">${items.length}</span>`}</h2>
    ${comments.error && html`<${ErrorText} error=${comments.error} />`}
    ${items.length === 0 && !comments.loading && html`<p class="muted small">${t('tasks.noComments')}</p>`}
    <ul class="comment-list">
      ${items.map(
        (c) => html`<li key=${c.id} class="comment" data-testid="comment">
          <div class="comment-head"><span class="strong">${name(c.author_id)}</span> <span class="muted small">${fmtTime(c.created_at)}</span></div>
          <div class="markdown comment-body" dangerouslySetInnerHTML=${{ __html: c.body_html || '' }}></div>
        </li>`,
      )}
    </ul>
    ${can &&
    html`<form class="form comment-form" onSubmit=${submit}>
      <textarea ref=${ref} rows="3" value=${body} placeholder=${t('tasks.commentPlaceholder')}
        onInput=${(e) => setBody(e.target.value)} data-testid="comment-body"
        onKeyDown=${(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
        }}></textarea>
      ${suggestions.length > 0 &&
      html`<div class="mention-suggest" data-testid="mention-suggest">
        ${suggestions.map(
          (u) => html`<button type="button" key=${u.id} class="chip" onClick=${() => pick(u)} data-testid="mention-option">
            @${u.username} <span class="muted">${displayName(u)}</span></button>`,
        )}
      </div>`}
      <div class="comment-foot">
        <span class="muted small">${t('tasks.mentionHint')}</span>
        <button type="submit" class="btn btn-primary btn-sm" disabled=${busy || !body.trim()} data-testid="comment-submit">
          <${Icon} name="send" /> ${t('tasks.commentSend')}</button>
      </div>
      <${ErrorText} error=${error} />
    </form>`}
  </section>`;
}

// ---------------------------------------------------------------- log

// Known detail lines of the server's task log -> tasks.logDetail.* (anything else is shown as is).
const LOG_DETAILS = [
  [/^started step (\d+)$/, 'started', (m) => ({ n: m[1] })],
  [/^completed step (\d+); step (\d+) is next$/, 'next', (m) => ({ n: m[1], m: m[2] })],
  [/^completed step (\d+); the task is finished$/, 'finished', (m) => ({ n: m[1] })],
  [/^transferred step (\d+) from user (\d+) to user (\d+)$/, 'transferred', (m, p) => ({ n: m[1], a: p(m[2]), b: p(m[3]) })],
  [/^returned step (\d+) to step (\d+)$/, 'returned', (m) => ({ n: m[1], m: m[2] })],
  [/^urged user (\d+) on step (\d+)$/, 'urged', (m, p) => ({ u: p(m[1]), n: m[2] })],
  [/^withdrew step (\d+) back to step (\d+)$/, 'withdrew', (m) => ({ n: m[1], m: m[2] })],
  [/^step (\d+) to user (\d+)$/, 'received', (m, p) => ({ n: m[1], u: p(m[2]) })],
  [/^created '(.*)'$/, 'created', (m) => ({ title: m[1] })],
  // node kinds (docs/flows.md)
  [/^completed their share of step (\d+)$/, 'shareDone', (m) => ({ n: m[1] })],
  [/^transferred their share of step (\d+) from user (\d+) to user (\d+)$/, 'shareTransferred', (m, p) => ({ n: m[1], a: p(m[2]), b: p(m[3]) })],
  [/^claimed step (\d+)$/, 'claimed', (m) => ({ n: m[1] })],
  [/^released step (\d+)$/, 'released', (m) => ({ n: m[1] })],
  [/^added step (\d+) for user (\d+) before step (\d+): (.*)$/s, 'addedBefore', (m, p) => ({ n: m[1], u: p(m[2]), m: m[3], action: m[4] })],
  [/^added step (\d+) for user (\d+) after step (\d+): (.*)$/s, 'addedAfter', (m, p) => ({ n: m[1], u: p(m[2]), m: m[3], action: m[4] })],
  // written by the server itself (reminders, escalation, auto-close)
  [/^'(.*)' is due soon$/s, 'dueSoon', (m) => ({ title: m[1] })],
  [/^'(.*)' is overdue$/s, 'overdue', (m) => ({ title: m[1] })],
  [/^'(.*)' is not finished in time \(escalation level (\d+)\)$/s, 'escalation', (m) => ({ title: m[1], n: m[2] })],
  [/^closed automatically: the condition no longer holds$/, 'autoClosed', () => ({})],
];

/** Who wrote a log line the server wrote by itself: "system", or a scenario that made the task. */
function serverActor(nameOnLine) {
  const m = /^scenario (.+)$/.exec(String(nameOnLine || ''));
  if (m) return t('tasks.byScenario', { key: m[1] });
  return t('tasks.system');
}

export function logActionLabel(action) {
  const key = `tasks.log.${action}`;
  return has(key) ? t(key) : action;
}

function TaskLog({ taskId, tick }) {
  const { byId, name } = useUsers();
  // the directory's display name when we know the actor, else the server's actor_name
  // the server writes details in English and names people as "user 7": word the
  // flow ones in the reader's language, and show names instead of ids
  const person = (id) => (byId(Number(id)) ? name(Number(id)) : `#${id}`);
  const readable = (d) => {
    for (const [re, key, f] of LOG_DETAILS) {
      const m = re.exec(String(d));
      if (m) return t(`tasks.logDetail.${key}`, f(m, person));
    }
    return String(d).replace(/\buser (\d+)\b/g, (m, id) => (byId(Number(id)) ? name(Number(id)) : m));
  };
  // Lines without a user are the server's own (or the console's, named "cli").
  const who = (x) => {
    if (x.actor_id != null && byId(x.actor_id)) return name(x.actor_id);
    if (x.actor_id == null && x.actor_name !== 'cli') return serverActor(x.actor_name);
    return x.actor_name || t('tasks.system');
  };
  const log = useLoader(() => api.taskLog(taskId).then((r) => foldReceipts(r.items || [])), [taskId, tick]);
  const items = log.data || [];
  return html`<section class="card" data-testid="task-log">
    <h2 class="card-title">${t('tasks.logTitle')}</h2>
    ${log.error && html`<${ErrorText} error=${log.error} />`}
    ${items.length === 0 && !log.loading && html`<p class="muted small">${t('tasks.logEmpty')}</p>`}
    <ol class="log-list">
      ${items.map(
        (x, i) => html`<li key=${i} class="log-entry" data-testid="log-entry" data-action=${x.action}>
          <div class="log-head">
            <span class="strong">${who(x)}</span>
            <span class="log-action">${logActionLabel(x.action)}</span>
            <span class="muted small log-time">${fmtTime(x.at)}</span>
          </div>
          ${x.detail && html`<div class="small log-detail">${readable(x.detail)}${x.received_by != null
            ? html` <span class="log-to" data-testid="log-received-by">→ ${person(x.received_by)}</span>` : ''}</div>`}
          ${x.reason && html`<div class="small log-reason" data-testid="log-reason">${reasonLabel(x.action)}: ${x.reason}</div>`}
        </li>`,
      )}
    </ol>
  </section>`;
}

// ---------------------------------------------------------------- attachments

function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function Attachments({ task, canUpload, reload }) {
  const { name } = useUsers();
  const { me } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const input = useRef(null);
  const upload = async (e) => {
    const file = e.target.files && e.target.files[0];
    e.target.value = '';
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      await api.uploadAttachment(task.id, file);
      toast.ok(t('tasks.uploaded', { name: file.name }));
      await reload();
    } catch (err) {
      setError(err.status === 413 ? new Error(t('tasks.fileTooLarge', { name: file.name })) : err);
    }
    setBusy(false);
  };
  const remove = async (att) => {
    try {
      await api.deleteAttachment(task.id, att.id);
      await reload();
    } catch (err) {
      setError(err);
    }
  };
  const list = task.attachments || [];
  return html`<section class="card" data-testid="attachments">
    <h2 class="card-title">${t('tasks.attachments')}</h2>
    ${list.length === 0 && html`<p class="muted small">${t('tasks.noAttachments')}</p>`}
    <ul class="attach-list">
      ${list.map(
        (x) => html`<li key=${x.id} data-testid="attachment" data-name=${x.name}>
          <a href=${api.attachmentUrl(task.id, x.id)} download=${x.name} class="attach-name" data-testid="attachment-link">
            <${Icon} name="clip" /> ${x.name}</a>
          <span class="muted small">${fmtSize(x.size)} · ${name(x.uploaded_by)} · ${fmtTime(x.uploaded_at)}</span>
          ${(x.uploaded_by === me.id || (task.allowed && task.allowed.edit)) &&
          html`<button type="button" class="icon-btn icon-danger" aria-label=${t('common.removeItem', { name: x.name })}
            onClick=${() => remove(x)} data-testid="attachment-delete"><${Icon} name="trash" /></button>`}
        </li>`,
      )}
    </ul>
    <${ErrorText} error=${error} testid="attachment-error" />
    ${canUpload &&
    html`<div class="attach-upload">
      <input type="file" ref=${input} class="file-input" onChange=${upload} data-testid="attachment-input" id=${`file-${task.id}`} />
      <label for=${`file-${task.id}`} class=${`btn btn-sm ${busy ? 'is-busy' : ''}`} data-testid="attachment-upload">
        <${Icon} name="upload" /> ${busy ? t('tasks.uploading') : t('tasks.upload')}</label>
      <span class="muted small">${t('tasks.uploadHint')}</span>
    </div>`}
  </section>`;
}

// ---------------------------------------------------------------- edit, copy/move

function nodeShape(n) {
  const out = {
    id: n.id, handler_id: n.handler_id, action: n.action || '', due_at: n.due_at || null,
    condition: n.condition || null, cc: n.cc || [], cc_on: n.cc_on || 'reached',
  };
  if ((n.kind || 'single') === 'single') return out;
  return { ...out, kind: n.kind, handlers: (n.shares || []).map((sh) => sh.handler_id), claim_from: n.claim_from || null };
}

function EditTaskDialog({ task, project, apply, onClose }) {
  const { name } = useUsers();
  const members = (project && project.members) || [];
  const locked = task.current_node == null ? task.nodes.length : task.current_node + 1;
  const [f, setF] = useState(() => ({
    title: task.title,
    description: task.description || '',
    business_type: task.business_type || '',
    priority: task.priority,
    due_at: task.due_at,
    watchers: task.watchers || [],
    editors: task.editors || [],
    nodes: task.nodes.map((n) => keyed(nodeShape(n))),
    checklist: (task.checklist || []).map((x) => keyed({ id: x.id, text: x.text })),
    fields: { ...(task.fields || {}) },
  }));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const set = (k) => (v) => setF((x) => ({ ...x, [k]: v }));
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const submit = async (e) => {
    e.preventDefault();
    if (!f.title.trim()) return setError(new Error(t('tasks.titleMissing')));
    const missing = f.nodes.map((n, i) => nodeMissing(n, i)).find(Boolean);
    if (missing) return setError(new Error(missing));
    const patch = {};
    if (f.title.trim() !== task.title) patch.title = f.title.trim();
    if (f.description !== (task.description || '')) patch.description = f.description;
    if ((f.business_type || null) !== (task.business_type || null)) patch.business_type = f.business_type || null;
    if (f.priority !== task.priority) patch.priority = f.priority;
    if ((f.due_at || null) !== (task.due_at || null)) patch.due_at = f.due_at || null;
    if (!same(f.watchers, task.watchers)) patch.watchers = f.watchers;
    if (!same(f.editors, task.editors)) patch.editors = f.editors;
    const nodes = f.nodes.map(({ _k, ...n }) => {
      const out = { handler_id: n.handler_id, action: (n.action || '').trim(), due_at: n.due_at || null, ...kindFields(n) };
      if ((n.kind || 'single') !== 'single') out.handler_id = 0;
      // a reached step is sent as it is (condition and CC included): the server refuses changes to it
      out.condition = n.condition && n.condition.trim() ? n.condition.trim() : null;
      out.cc = n.cc || [];
      out.cc_on = n.cc_on || 'reached';
      if (n.id != null) out.id = n.id;
      return out;
    });
    if (!same(cleanValues(f.fields), cleanValues(task.fields))) patch.fields = cleanValues(f.fields);
    if (!same(nodes, task.nodes.map(nodeShape))) patch.nodes = nodes;
    const checklist = f.checklist.filter((x) => x.text.trim()).map((x) => (x.id != null ? { id: x.id, text: x.text.trim() } : { text: x.text.trim() }));
    if (!same(checklist, (task.checklist || []).map((x) => ({ id: x.id, text: x.text })))) patch.checklist = checklist;
    if (Object.keys(patch).length === 0) return onClose();
    setBusy(true);
    setError(null);
    try {
      await apply((rev) => api.updateTask(task.id, { ...patch, rev }), t('common.saved'));
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<${Modal} title=${t('tasks.editTitle')} onClose=${onClose} testid="task-edit-dialog" wide>
    <form class="form" onSubmit=${submit} data-testid="task-edit-form">
      <${Field} label=${t('tasks.taskTitle')}>
        <input type="text" value=${f.title} onInput=${(e) => set('title')(e.target.value)} data-testid="edit-title" />
      <//>
      <${Field} label=${t('tasks.description')} hint=${t('tasks.markdownHint')}>
        <textarea rows="4" value=${f.description} onInput=${(e) => set('description')(e.target.value)} data-testid="edit-description"></textarea>
      <//>
      <div class="form-grid form-grid-3">
        <${Field} label=${t('tasks.businessType')}>
          <select value=${f.business_type} onChange=${(e) => set('business_type')(e.target.value)} data-testid="edit-business-type">
            <option value="">${t('tasks.noBusinessType')}</option>
            ${((project && project.business_types) || []).map((b) => html`<option key=${b} value=${b}>${businessTypeLabel(b)}</option>`)}
          </select>
        <//>
        <${Field} label=${t('tasks.priorityLabel')}>
          <select value=${f.priority} onChange=${(e) => set('priority')(e.target.value)} data-testid="edit-priority">
            ${PRIORITIES.map((p) => html`<option key=${p} value=${p}>${t(`tasks.priority.${p}`)}</option>`)}
          </select>
        <//>
        <${Field} label=${t('tasks.due')}>
          <input type="datetime-local" value=${toLocalInput(f.due_at)} onInput=${(e) => set('due_at')(fromLocalInput(e.target.value))}
            data-testid="edit-due" />
        <//>
      </div>
      <${FieldInputs} defs=${task.field_defs || []} values=${f.fields} onChange=${set('fields')} memberIds=${members} testid="edit-fields" />
      <div class="field">
        <span class="field-label">${t('tasks.nodes')}</span>
        <${NodesEditor} nodes=${f.nodes} onChange=${set('nodes')} memberIds=${members} locked=${locked} mode="task" testid="edit-nodes"
          max=${task.kind === 'simple' ? 1 : undefined}
          renderLocked=${(n) => html`<span class="strong">${name(n.handler_id)}</span> <span class="muted">${n.action}</span>`} />
        <span class="field-hint">${t('tasks.nodesLockedHint')}</span>
      </div>
      <div class="field">
        <span class="field-label">${t('tasks.checklist')}</span>
        <${LinesEditor} items=${f.checklist} onChange=${set('checklist')} placeholder=${t('tasks.checklistPlaceholder')} testid="edit-checklist" />
      </div>
      <div class="form-grid">
        <div class="field">
          <span class="field-label">${t('tasks.watchers')}</span>
          <${UserMultiPicker} ids=${members.length ? members : null} value=${f.watchers} onChange=${set('watchers')} testid="edit-watchers" />
        </div>
        ${/* the creator and project admins (those who may delete) choose editors */ ''}
        ${task.allowed.delete && html`<div class="field">
          <span class="field-label">${t('tasks.editors')}</span>
          <${UserMultiPicker} ids=${members.length ? members : null} value=${f.editors} onChange=${set('editors')} testid="edit-editors" />
        </div>`}
      </div>
      <${ErrorText} error=${error} testid="task-edit-error" />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="task-edit-submit">${t('common.save')}</button>
      </div>
    </form>
  <//>`;
}

function CopyMoveDialog({ mode, task, apply, onClose }) {
  const { projects } = useApp();
  const choices = (projects || []).filter((p) => !p.archived && (mode === 'copy' || p.id !== task.project_id));
  const [pid, setPid] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (!pid) return setError(new Error(t('tasks.chooseProject')));
    setBusy(true);
    setError(null);
    try {
      if (mode === 'copy') {
        const nt = await api.copyTask(task.id, Number(pid));
        toast.ok(t('tasks.copied'));
        onClose();
        navigate(`/tasks/${nt.id}`);
      } else {
        await apply((rev) => api.moveTask(task.id, Number(pid), rev), t('tasks.moved'));
        onClose();
      }
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<${Modal} title=${mode === 'copy' ? t('tasks.copyTitle') : t('tasks.moveTitle')} onClose=${onClose} testid=${`task-${mode}-dialog`}>
    <form class="form" onSubmit=${submit}>
      <p class="muted small">${mode === 'copy' ? t('tasks.copyExplain') : t('tasks.moveExplain')}</p>
      <${Field} label=${t('tasks.targetProject')}>
        <select value=${pid} onChange=${(e) => setPid(e.target.value)} data-testid=${`${mode}-project`}>
          <option value="">${t('tasks.chooseProject')}</option>
          ${choices.map((p) => html`<option key=${p.id} value=${String(p.id)}>${p.name}</option>`)}
        </select>
      <//>
      <${ErrorText} error=${error} />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid=${`${mode}-submit`}>
          ${mode === 'copy' ? t('tasks.copy') : t('tasks.move')}</button>
      </div>
    </form>
  <//>`;
}
