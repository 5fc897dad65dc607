// Admin (company admins): scenarios — the rhai scripts that turn ERP records into
// tasks. The list (enable/disable, how often each fired, its last error) and the
// editor: source with line numbers, save (a script that does not compile is refused
// with line:col and the stored version stays), check, dry run against a pasted or a
// stored record (kept as a test case with one click), and a preview of which stored
// records match now. Versions and test cases are in `scenario-versions.js`.
import { html, useEffect, useMemo, useRef, useState } from '../../vendor/htm-preact-standalone.mjs';
import { ApiError } from '../api.js';
import { businessTypeLabel, fmtTime, t } from '../i18n.js';
import { Link, navigate } from '../router.js';
import { Confirm, Empty, ErrorText, Icon, Loading, PageHeader, toast, useLoader } from '../ui.js';
import { ERP_KINDS, KindPicker, erpApi, recordHref, scenarioApi } from './erp-records.js';
import { ScenarioBuilder, TemplatePicker, builderApi } from './scenario-builder.js';
import { CasesFailed, CasesPanel, KeepAsCase, VersionsPanel } from './scenario-versions.js';
import { StatsCard, StatsCell, TickNote, WakeNote, rememberList } from '../scenario-stats.js';

const enc = encodeURIComponent;

// ---------------------------------------------------------------- helpers

/** `line:col` from a message such as `script error at 3:27: …`. */
export function parsePos(message) {
  const m = /\bat (\d+):(\d+)/.exec(String(message || ''));
  return m ? { line: Number(m[1]), column: Number(m[2]) } : { line: null, column: null };
}

function constOf(source, name) {
  const m = new RegExp(`const\\s+${name}\\s*=\\s*"([^"]*)"`).exec(source || '');
  return m ? m[1] : null;
}

function pos(p) {
  return p && p.line != null ? `${p.line}:${p.column != null ? p.column : 1}` : '';
}

/** A problem shown under the editor: { message, line, column, from }. */
function problemFrom(err, from) {
  if (err instanceof ApiError && err.status === 400) return { message: err.message, ...parsePos(err.message), from };
  return null;
}

function ago(ms) {
  return new Date(Date.now() - ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

const DAY = 86400000;
const HOUR = 3600000;

/** A record to try a scenario on, for the kind it watches (the shipped fixtures' shape). */
export function sampleRecord(kind, key) {
  if (key === 'order_paid_not_shipped')
    return { kind: 'order', id: 'SO-2001', data: { status: 'paid', paid_at: ago(50 * HOUR) } };
  switch (kind) {
    case 'order':
      return { kind, id: 'SO-1042', data: { status: 'out_of_stock', sku: 'MUG-01', out_of_stock_since: ago(4 * DAY) } };
    case 'purchase_order':
      return { kind, id: 'PO-7', data: { status: 'open', amount: '5000.01', currency: 'CNY', supplier: 'Yiwu Ceramics' } };
    case 'stock':
      return { kind, id: 'MUG-01', data: { available: 3, safety_stock: 20, warehouse: 'Shenzhen' } };
    case 'shipment':
      return { kind, id: 'YT123', data: { status: 'in_transit', carrier: 'YunExpress', tracking_updated_at: ago(6 * DAY) } };
    default:
      return { kind: kind || 'order', id: 'X-1', data: { status: 'open' } };
  }
}

/** The source a new scenario starts from (the structure of rules/po_over_5000.rhai). */
function templateSource(id) {
  return `// Purchase orders above 5000 need an approval. 采购单金额大于5000需要审批。
const ID = "${id}";
const NAME = "新场景 New scenario";
const WATCHES = "purchase_order";

// true when the record needs a task; prev is the previous version's data, or ()
fn condition(r, prev) {
    r.status != "cancelled" && cents(r.amount) > cents("5000")
}

// the task to create while the condition holds
fn task(r) {
    #{
        title: \`Approve PO \${r.id}: \${r.amount} \${r.currency ?? "CNY"} from \${r.supplier}\`,
        business_type: "purchase_order",
        priority: if cents(r.amount) > cents("50000") { "urgent" } else { "normal" },
        due_in_days: 1,
        nodes: [
            #{ handler: responsible("采购部"), action: "Check price and quantity" },
            #{ handler: responsible("财务部"), action: "Approve the payment" },
        ],
        watchers: users_with_role("company_admin"),
        on_finish: [responsible("采购部")],
    }
}
`;
}

function freshId(items) {
  const keys = new Set(items.map((s) => s.key));
  for (let n = 1; ; n++) {
    const id = n === 1 ? 'new_scenario' : `new_scenario_${n}`;
    if (!keys.has(id)) return id;
  }
}

/** The last run-time error of a scenario, red, with its position. */
function LastError({ s, testid = 'scenario-last-error' }) {
  if (!s.last_error) return html`<span class="muted">—</span>`;
  const p = pos(s.last_error);
  return html`<span class="text-danger small" data-testid=${testid}>
    ${p && html`<span class="mono strong">${p}</span> `}${s.last_error.message}
    ${s.last_error_at && html`<span class="muted"> · ${fmtTime(s.last_error_at)}</span>`}
  </span>`;
}

function EnabledSwitch({ s, onChange, testid = 'scenario-enabled' }) {
  const [busy, setBusy] = useState(false);
  const flip = async (e) => {
    const want = e.target.checked;
    setBusy(true);
    try {
      const saved = await scenarioApi.setEnabled(s.id, want);
      onChange(saved);
      toast.ok(want ? t('scenarios.enabledToast', { name: s.name }) : t('scenarios.disabledToast', { name: s.name }));
    } catch (err) {
      e.target.checked = !want;
      toast.error(err);
    }
    setBusy(false);
  };
  return html`<label class="switch">
    <input type="checkbox" role="switch" checked=${s.enabled} disabled=${busy} onChange=${flip} data-testid=${testid}
      aria-label=${t('scenarios.enabledLabel', { name: s.name })} />
    <span class="switch-track" aria-hidden="true"></span>
    <span class="switch-text">${s.enabled ? t('scenarios.on') : t('scenarios.off')}</span>
    ${!s.enabled && s.quarantined &&
    html`<span class="badge badge-warn" title=${s.quarantined} data-testid="scenario-quarantined">${t('scenarios.quarantined')}</span>`}
  </label>`;
}

// ---------------------------------------------------------------- list

export function ScenariosPage() {
  const list = useLoader(() => scenarioApi.list().then(rememberList), []);
  const [q, setQ] = useState('');
  if (list.loading && !list.data) return html`<${Loading} />`;
  if (list.error && !list.data) return html`<div class="page"><${ErrorText} error=${list.error} /></div>`;
  const items = list.data;
  const needle = q.trim().toLowerCase();
  const shown = items.filter(
    (s) =>
      !needle ||
      s.name.toLowerCase().includes(needle) ||
      s.key.toLowerCase().includes(needle) ||
      s.watches.toLowerCase().includes(needle),
  );
  const replace = (s) => list.setData(items.map((x) => (x.id === s.id ? s : x)));
  return html`<div class="page" data-testid="scenarios-page">
    <${PageHeader} title=${t('scenarios.title')} subtitle=${t('scenarios.subtitle', { n: items.length })}>
      <button type="button" class="btn" onClick=${() => list.reload()} data-testid="scenarios-refresh">
        <${Icon} name="refresh" /> ${t('common.refresh')}</button>
      <${Link} href="/admin/scenarios/new" class="btn btn-primary" data-testid="scenario-new">
        <${Icon} name="plus" /> ${t('scenarios.new')}<//>
    <//>
    <div class="toolbar">
      <input type="search" class="search" placeholder=${t('scenarios.search')} value=${q}
        onInput=${(e) => setQ(e.target.value)} data-testid="scenarios-search" />
    </div>
    ${shown.length === 0
      ? html`<${Empty}>${items.length ? t('common.noResults') : t('scenarios.empty')}<//>`
      : html`<div class="table-wrap">
          <table class="table responsive" data-testid="scenarios-table">
            <thead><tr>
              <th>${t('scenarios.name')}</th><th>${t('scenarios.watches')}</th><th>${t('scenarios.enabled')}</th>
              <th>${t('scenarios.version')}</th><th>${t('scenarios.fired')}</th><th>${t('scenarios.lastFired')}</th>
              <th>${t('scenarios.lastError')}</th><th>${t('scenarioStats.column')}</th>
            </tr></thead>
            <tbody>
              ${shown.map(
                (s) => html`<tr key=${s.id} data-testid="scenario-row" data-key=${s.key} class=${s.enabled ? '' : 'row-muted'}>
                  <td data-label=${t('scenarios.name')}>
                    <div>
                      <${Link} href=${`/admin/scenarios/${s.id}`} class="strong" data-testid="scenario-open">${s.name}<//>
                      <div class="muted small mono" data-testid="scenario-key">${s.key}</div>
                    </div>
                  </td>
                  <td data-label=${t('scenarios.watches')}><code>${s.watches}</code></td>
                  <td data-label=${t('scenarios.enabled')}><${EnabledSwitch} s=${s} onChange=${replace} /></td>
                  <td data-label=${t('scenarios.version')}><span class="badge badge-soft" data-testid="scenario-row-version">v${s.version}</span></td>
                  <td data-label=${t('scenarios.fired')} data-testid="scenario-fired">${s.fired_count}</td>
                  <td data-label=${t('scenarios.lastFired')} class="nowrap">${fmtTime(s.last_fired_at)}</td>
                  <td data-label=${t('scenarios.lastError')} class="scenario-error-cell"><${LastError} s=${s} /></td>
                  <td data-label=${t('scenarioStats.column')}><${StatsCell} s=${s} /></td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`}
  </div>`;
}

// ---------------------------------------------------------------- code editor

/**
 * A monospace textarea over a layer of numbered rows: the rows scroll with the text,
 * and the row of `markLine` is highlighted. `jump` ({line, column, n}) scrolls there.
 */
export function CodeEditor({ value, onInput, markLine, jump, onSave, testid = 'scenario-source', label }) {
  const ta = useRef(null);
  const rows = useRef(null);
  const count = Math.max(1, value.split('\n').length);
  const sync = () => {
    if (rows.current && ta.current) rows.current.scrollTop = ta.current.scrollTop;
  };
  useEffect(sync, [value, markLine]);
  useEffect(() => {
    const el = ta.current;
    if (!jump || !jump.line || !el) return;
    const lines = el.value.split('\n');
    const line = Math.min(jump.line, lines.length);
    let at = 0;
    for (let i = 0; i < line - 1; i++) at += lines[i].length + 1;
    at += Math.max(0, Math.min((jump.column || 1) - 1, lines[line - 1].length));
    const lh = parseFloat(getComputedStyle(el).lineHeight) || 20;
    // phones: no focus (it would open the keyboard), only the scroll and the mark
    if (window.matchMedia('(min-width: 600px)').matches) {
      el.focus({ preventScroll: true });
      el.setSelectionRange(at, at);
    }
    el.scrollTop = Math.max(0, (line - 1) * lh - el.clientHeight / 3);
    sync();
    const box = el.closest('.code-editor');
    if (box && box.scrollIntoView) box.scrollIntoView({ block: 'nearest' });
  }, [jump && jump.n]);
  const onKeyDown = (e) => {
    if ((e.ctrlKey || e.metaKey) && (e.key === 's' || e.key === 'S')) {
      e.preventDefault();
      if (onSave) onSave();
    }
  };
  const nums = [];
  for (let i = 1; i <= count; i++)
    nums.push(html`<div key=${i} class=${`code-row ${i === markLine ? 'code-row-mark' : ''}`}
      data-testid=${i === markLine ? 'code-line-mark' : undefined}><span class="code-ln">${i}</span></div>`);
  return html`<div class=${`code-editor ${markLine ? 'has-mark' : ''}`}>
    <div class="code-rows" ref=${rows} aria-hidden="true">${nums}</div>
    <textarea ref=${ta} class="code-text" value=${value} wrap="off" spellcheck="false" autocapitalize="none"
      autocomplete="off" aria-label=${label} data-testid=${testid}
      onInput=${(e) => onInput(e.target.value)} onScroll=${sync} onKeyDown=${onKeyDown}></textarea>
  </div>`;
}

// The helpers a script may call (docs/scenarios.md), as a reminder next to the editor.
const HELPERS = [
  ['now()', 'now'],
  ['parse_time(s)', 'parseTime'],
  ['days_since(t) · hours_since(t)', 'since'],
  ['days(n) · hours(n)', 'seconds'],
  ['cents(x)', 'cents'],
  ['users_with_role(role)', 'usersWithRole'],
  ['department_members(name)', 'departmentMembers'],
  ['department_admin(name)', 'departmentAdmin'],
  ['responsible(name)', 'responsible'],
  ['record(kind, id)', 'record'],
];

function HelpersRef() {
  return html`<details class="helpers-ref" data-testid="scenario-helpers">
    <summary>${t('scenarios.helpers.title')}</summary>
    <p class="small muted">${t('scenarios.helpers.intro')}</p>
    <dl class="dl">
      ${HELPERS.map(([code, key]) => html`<div key=${key} class="dl-row"><dt><code>${code}</code></dt><dd>${t(`scenarios.helpers.${key}`)}</dd></div>`)}
    </dl>
  </details>`;
}

function ScriptProblem({ problem, onGo, testid }) {
  if (!problem) return null;
  const p = pos(problem);
  return html`<div class="alert alert-error script-problem" role="alert" data-testid=${testid}>
    <div class="alert-title">${t(`scenarios.problemFrom.${problem.from}`)}${p && html` · <span class="mono" data-testid=${`${testid}-pos`}>${t('scenarios.lineCol', { line: problem.line, column: problem.column != null ? problem.column : 1 })}</span>`}</div>
    <div class="alert-detail mono wrap-anywhere" data-testid=${`${testid}-message`}>${problem.message}</div>
    ${p && html`<button type="button" class="btn btn-sm alert-action" onClick=${() => onGo(problem)} data-testid=${`${testid}-goto`}>
      ${t('scenarios.goToLine', { line: problem.line })}</button>`}
  </div>`;
}

// ---------------------------------------------------------------- dry run

function People({ names }) {
  if (!names || names.length === 0) return html`<span class="muted">—</span>`;
  return html`<span class="tags">${names.map((n) => html`<span key=${n} class="tag tag-static">@${n}</span>`)}</span>`;
}

function Row({ label, children, testid }) {
  return html`<div class="dl-row"><dt>${label}</dt><dd data-testid=${testid}>${children}</dd></div>`;
}

function days(n) {
  return n == null ? html`<span class="muted">—</span>` : t('scenarios.inDays', { n });
}

/** The task a scenario would create. */
function TaskSpecView({ task }) {
  return html`<div class="task-spec" data-testid="dryrun-task">
    ${task.description && html`<p class="small pre-wrap task-spec-desc" data-testid="dryrun-description">${task.description}</p>`}
    <dl class="dl">
      <${Row} label=${t('tasks.priorityLabel')} testid="dryrun-priority">
        ${task.priority ? html`<span class=${`badge prio prio-${task.priority}`}>${t(`tasks.priority.${task.priority}`)}</span>` : html`<span class="muted">—</span>`}
      <//>
      <${Row} label=${t('scenarios.businessType')}>${task.business_type ? businessTypeLabel(task.business_type) : html`<span class="muted">—</span>`}<//>
      <${Row} label=${t('scenarios.due')} testid="dryrun-due">${days(task.due_in_days)}<//>
      <${Row} label=${t('scenarios.nodes')} testid="dryrun-nodes">
        <ol class="spec-nodes">
          ${task.nodes.map(
            (n, i) => html`<li key=${i} data-testid="dryrun-node">
              <span class="strong">@${n.handler}</span>${n.action && html` <span>${n.action}</span>`}
              ${n.due_in_days != null && html` <span class="badge badge-soft">${t('scenarios.inDays', { n: n.due_in_days })}</span>`}
            </li>`,
          )}
        </ol>
      <//>
      <${Row} label=${t('scenarios.watchers')} testid="dryrun-watchers"><${People} names=${task.watchers} /><//>
      <${Row} label=${t('scenarios.editors')}><${People} names=${task.editors} /><//>
      <${Row} label=${t('scenarios.escalation')}>
        ${task.escalation && task.escalation.length
          ? html`<ul class="plain-list spec-escalation">${task.escalation.map(
              (x, i) => html`<li key=${i}>${t(x.from === 'created' ? 'scenarios.escalateCreated' : 'scenarios.escalateDue', { n: x.after_hours })}
                <${People} names=${x.notify} /></li>`,
            )}</ul>`
          : html`<span class="muted">—</span>`}
      <//>
      <${Row} label=${t('scenarios.onFinish')}><${People} names=${task.on_finish} /><//>
      <${Row} label=${t('scenarios.autoClose')}>${task.auto_close ? t('scenarios.yes') : t('scenarios.no')}<//>
    </dl>
  </div>`;
}

function DryRunResult({ res }) {
  return html`<div class="dryrun-result" data-testid="dryrun-result">
    ${res.error
      ? html`<div class="alert alert-error" data-testid="dryrun-error">
          <div class="alert-title">${t('scenarios.dryRunFailed')}${res.error.line != null && html` · <span class="mono">${t('scenarios.lineCol', { line: res.error.line, column: res.error.column != null ? res.error.column : 1 })}</span>`}</div>
          <div class="alert-detail mono wrap-anywhere">${res.error.message}</div>
        </div>`
      : res.matches && res.task
        ? html`<div class="alert alert-ok" data-testid="dryrun-match">
              <div class="alert-title">${t('scenarios.wouldCreate')} <span data-testid="dryrun-task-title">${res.task.title}</span></div>
            </div>
            ${res.problem && html`<div class="alert alert-warn" data-testid="dryrun-problem">
              <div class="alert-title">${t('scenarios.cannotCreate')}</div><div class="alert-detail">${res.problem}</div></div>`}
            <${TaskSpecView} task=${res.task} />`
        : html`<div class="alert alert-info" data-testid="dryrun-no-task">
            <div class="alert-title">${t('scenarios.noTask')}</div>
            <div class="alert-detail">${t('scenarios.noTaskText')}</div>
          </div>`}
    ${res.wake_at && Date.parse(res.wake_at) > Date.now() && html`<p class="small muted" data-testid="dryrun-wake">${t('scenarios.wakeAt', { time: fmtTime(res.wake_at) })}</p>`}
  </div>`;
}

/** The id box of the stored-record picker, with the records of the kind as suggestions. */
function RecordIdInput({ kind, value, onChange }) {
  const [opts, setOpts] = useState([]);
  useEffect(() => {
    if (!kind) return undefined;
    const h = setTimeout(async () => {
      try {
        const res = await erpApi.records(kind, value.trim(), 20);
        setOpts((res.items || []).map((r) => r.id));
      } catch (_) {
        setOpts([]);
      }
    }, 250);
    return () => clearTimeout(h);
  }, [kind, value]);
  return html`<input type="text" value=${value} list="dryrun-ids" autocapitalize="none" spellcheck="false"
      placeholder=${t('scenarios.recordIdPlaceholder')} aria-label=${t('erp.recordId')}
      onInput=${(e) => onChange(e.target.value)} data-testid="dryrun-id" />
    <datalist id="dryrun-ids">${opts.map((id) => html`<option key=${id} value=${id} />`)}</datalist>`;
}

function DryRunPanel({ source, watches, scKey, scId, initialRecord, onProblem, onKept }) {
  const [mode, setMode] = useState(initialRecord ? 'stored' : 'pasted');
  const [kind, setKind] = useState((initialRecord && initialRecord.kind) || watches || ERP_KINDS[0]);
  const [recId, setRecId] = useState((initialRecord && initialRecord.id) || '');
  const [pasted, setPasted] = useState(() => JSON.stringify(sampleRecord(watches, scKey), null, 2));
  const [previous, setPrevious] = useState('');
  const [res, setRes] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [request, setRequest] = useState(null);
  const run = async () => {
    setError(null);
    setRes(null);
    const body = { source };
    if (mode === 'stored') {
      if (!kind || !recId.trim()) return setError(new Error(t('scenarios.recordMissing')));
      body.kind = kind;
      body.id = recId.trim();
    } else {
      let rec;
      try {
        rec = JSON.parse(pasted);
      } catch (e) {
        return setError(new Error(t('scenarios.badJson', { message: e.message })));
      }
      // plain data without kind/id: take the kind the scenario watches
      if (rec && typeof rec === 'object' && !Array.isArray(rec) && !('data' in rec))
        rec = { kind: watches || ERP_KINDS[0], id: 'DRY-RUN', data: rec };
      body.record = rec;
      if (previous.trim()) {
        try {
          body.previous = JSON.parse(previous);
        } catch (e) {
          return setError(new Error(t('scenarios.badJsonPrevious', { message: e.message })));
        }
      }
    }
    setBusy(true);
    try {
      const r = await scenarioApi.dryRun(body);
      setRequest(body);
      setRes(r);
      onProblem(r.error ? { ...r.error, from: 'dryrun' } : null);
    } catch (e) {
      const p = problemFrom(e, 'compile');
      if (p && /^script error/.test(e.message)) onProblem(p);
      else setError(e);
    }
    setBusy(false);
  };
  return html`<section class="card" data-testid="dryrun-panel">
    <h2 class="card-title">${t('scenarios.dryRun')}</h2>
    <p class="small muted">${t('scenarios.dryRunHint')}</p>
    <div class="seg-group" role="radiogroup" aria-label=${t('scenarios.dryRunRecord')}>
      <label class=${`seg-radio ${mode === 'pasted' ? 'on' : ''}`}>
        <input type="radio" name="dryrun-mode" checked=${mode === 'pasted'} onChange=${() => setMode('pasted')} data-testid="dryrun-mode-pasted" />
        ${t('scenarios.pasted')}</label>
      <label class=${`seg-radio ${mode === 'stored' ? 'on' : ''}`}>
        <input type="radio" name="dryrun-mode" checked=${mode === 'stored'} onChange=${() => setMode('stored')} data-testid="dryrun-mode-stored" />
        ${t('scenarios.stored')}</label>
    </div>
    ${mode === 'pasted'
      ? html`<div class="form dryrun-form">
          <label class="field">
            <span class="field-label">${t('scenarios.pastedLabel')}</span>
            <textarea class="mono json-input" rows="9" spellcheck="false" value=${pasted}
              onInput=${(e) => setPasted(e.target.value)} data-testid="dryrun-json"></textarea>
            <span class="field-hint">${t('scenarios.pastedHint')}</span>
          </label>
          <details class="dryrun-previous">
            <summary>${t('scenarios.previousLabel')}</summary>
            <textarea class="mono json-input" rows="5" spellcheck="false" value=${previous} placeholder='{"status": "paid"}'
              onInput=${(e) => setPrevious(e.target.value)} data-testid="dryrun-previous"></textarea>
          </details>
          <div class="form-actions form-actions-start">
            <button type="button" class="btn btn-sm" onClick=${() => setPasted(JSON.stringify(sampleRecord(watches, scKey), null, 2))}
              data-testid="dryrun-sample">${t('scenarios.sample')}</button>
          </div>
        </div>`
      : html`<div class="form-grid dryrun-form">
          <label class="field">
            <span class="field-label">${t('erp.kind')}</span>
            <${KindPicker} value=${kind} onChange=${setKind} testid="dryrun-kind" />
          </label>
          <label class="field">
            <span class="field-label">${t('erp.recordId')}</span>
            <${RecordIdInput} kind=${kind} value=${recId} onChange=${setRecId} />
          </label>
        </div>`}
    <${ErrorText} error=${error} testid="dryrun-request-error" />
    <div class="form-actions form-actions-start">
      <button type="button" class="btn btn-primary" disabled=${busy} onClick=${run} data-testid="dryrun-run">
        <${Icon} name="play" /> ${t('scenarios.runDry')}</button>
    </div>
    ${res && html`<${DryRunResult} res=${res} />`}
    ${res && request && html`<${KeepAsCase} scId=${scId} request=${request} res=${res} onKept=${onKept} />`}
  </section>`;
}

// ---------------------------------------------------------------- preview

function PreviewPanel({ source, watches, onProblem }) {
  const [res, setRes] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    setRes(null);
    try {
      setRes(await scenarioApi.preview(source));
      onProblem(null);
    } catch (e) {
      const p = problemFrom(e, 'compile');
      if (p) onProblem(p);
      else setError(e);
    }
    setBusy(false);
  };
  const kind = constOf(source, 'WATCHES') || watches;
  return html`<section class="card" data-testid="preview-panel">
    <h2 class="card-title">${t('scenarios.preview')}</h2>
    <p class="small muted">${t('scenarios.previewHint')}</p>
    <${ErrorText} error=${error} testid="preview-request-error" />
    <div class="form-actions form-actions-start">
      <button type="button" class="btn" disabled=${busy} onClick=${run} data-testid="scenario-preview">
        <${Icon} name="list" /> ${t('scenarios.runPreview')}</button>
    </div>
    ${res &&
    html`<div class="preview-result" data-testid="preview-result">
      <p class="small" data-testid="preview-summary">${t('scenarios.previewSummary', { n: res.evaluated, m: res.matches.length })}</p>
      ${res.stopped &&
      html`<div class="alert alert-warn" data-testid="preview-stopped">${t('scenarios.previewStopped')}
        <div class="small muted">${res.stopped}</div></div>`}
      ${res.matches.length === 0
        ? html`<div class="alert alert-info" data-testid="preview-empty">${t('scenarios.previewNone')}</div>`
        : html`<div class="table-wrap">
            <table class="table responsive" data-testid="preview-table">
              <thead><tr><th>${t('erp.recordId')}</th><th>${t('scenarios.taskTitle')}</th><th>${t('scenarios.problem')}</th></tr></thead>
              <tbody>
                ${res.matches.map(
                  (m) => html`<tr key=${m.record_id} data-testid="preview-row" data-id=${m.record_id}>
                    <td data-label=${t('erp.recordId')}><${Link} href=${recordHref(kind, m.record_id)} class="mono">${m.record_id}<//></td>
                    <td data-label=${t('scenarios.taskTitle')} class="wrap-anywhere">${m.title}</td>
                    <td data-label=${t('scenarios.problem')}>${m.problem ? html`<span class="text-warn">${m.problem}</span>` : html`<span class="muted">—</span>`}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`}
      ${res.errors.length > 0 &&
      html`<div class="alert alert-error" data-testid="preview-errors">
        <div class="alert-title">${t('scenarios.previewErrors', { n: res.errors.length })}</div>
        <ul class="plain-list">
          ${res.errors.map(
            ([id, e]) => html`<li key=${id} class="small"><span class="mono strong">${id}</span>${e.line != null && html` <span class="mono">${pos(e)}</span>`} ${e.message}</li>`,
          )}
        </ul>
      </div>`}
    </div>`}
  </section>`;
}

// ---------------------------------------------------------------- editor page

function recordFromQuery() {
  const r = new URLSearchParams(window.location.search).get('record');
  if (!r || !r.includes('/')) return null;
  const at = r.indexOf('/');
  return { kind: r.slice(0, at), id: r.slice(at + 1) };
}

function Editor({ id }) {
  const isNew = id == null;
  const list = useLoader(() => scenarioApi.list().then(rememberList), []);
  const [sc, setSc] = useState(null);
  const [source, setSourceState] = useState(null);
  // The text as last typed: Check and Save read it, not the rendered `source`, so a
  // click right after typing (before the next render) acts on what was typed.
  const sourceNow = useRef(null);
  const setSource = (v) => {
    sourceNow.current = v;
    setSourceState(v);
  };
  const [problem, setProblem] = useState(null);
  const [checked, setChecked] = useState(false);
  const [jump, setJump] = useState(null);
  const [busy, setBusy] = useState(false);
  const [confirmSave, setConfirmSave] = useState(null); // message
  const [deleting, setDeleting] = useState(false);
  const [comment, setComment] = useState('');
  const [failing, setFailing] = useState(null); // the cases that refused the last save
  const [casesReload, setCasesReload] = useState(0);
  const initialRecord = useMemo(recordFromQuery, []);
  // The builder: 'pick' (new: choose a template), 'form' or 'code'; the form it
  // started from; its problems (saving waits for none); why a script is code only.
  const [mode, setMode] = useState(isNew ? 'pick' : null);
  const [form, setForm] = useState(null);
  const [formErrors, setFormErrors] = useState([]);
  const [codeReason, setCodeReason] = useState(null);

  useEffect(() => {
    if (!list.data || source != null) return;
    if (isNew) {
      setSource(templateSource(freshId(list.data)));
    } else {
      // by id, or by key (a task's "why" links its scenario by key)
      const found = list.data.find((s) => String(s.id) === String(id) || s.key === id);
      if (found) {
        setSc(found);
        setSource(found.source);
        openIn(found.source, false);
      }
    }
  }, [list.data]);

  /** A builder-made script opens in the builder; any other in code, with the reason. */
  const openIn = async (src, told) => {
    try {
      const r = await builderApi.parse(src);
      if (r.form) {
        setForm(r.form);
        setCodeReason(null);
        setMode('form');
      } else {
        setCodeReason(r.reason);
        setMode('code');
        if (told) toast.error(new Error(t('builder.opensInCode', { reason: r.reason })));
      }
    } catch (e) {
      setMode('code');
    }
  };

  const goTo = (p) => setJump({ line: p.line, column: p.column, n: Date.now() });
  const showProblem = (p) => {
    setProblem(p);
    setChecked(false);
    if (p && p.line) goTo(p);
  };

  if (list.loading && !list.data) return html`<${Loading} />`;
  if (list.error && !list.data) return html`<div class="page"><${ErrorText} error=${list.error} /></div>`;
  const back = html`<div class="crumbs"><${Link} href="/admin/scenarios" data-testid="scenario-back"><${Icon} name="back" /> ${t('scenarios.title')}<//></div>`;
  const known = !isNew && list.data.find((s) => String(s.id) === String(id) || s.key === id);
  if (!isNew && !sc && !known)
    return html`<div class="page">${back}<div class="card empty-page" data-testid="scenario-missing">
      <h1>${t('errors.notFoundTitle')}</h1><p>${t('scenarios.missing')}</p></div></div>`;
  if (source == null) return html`<${Loading} />`;

  const items = list.data;
  const dirty = !sc || source !== sc.source;
  const idInSource = constOf(source, 'ID');
  const other = idInSource && items.find((s) => s.key === idInSource && (!sc || s.id !== sc.id));
  let idNote = null;
  if (idInSource && sc && idInSource !== sc.key)
    idNote = other ? t('scenarios.idReplaces', { id: idInSource, name: other.name }) : t('scenarios.idCreates', { id: idInSource });
  else if (isNew && other) idNote = t('scenarios.idReplaces', { id: idInSource, name: other.name });

  const doSave = async (extra) => {
    setBusy(true);
    setChecked(false);
    setFailing(null);
    try {
      const saved = await scenarioApi.save(sourceNow.current, { comment: comment.trim() || undefined, ...extra });
      setProblem(null);
      setComment('');
      const rest = items.filter((x) => x.id !== saved.id);
      list.setData([...rest, saved]);
      toast.ok(t('scenarios.savedVersion', { name: saved.name, version: saved.version }));
      if (!sc || saved.id !== sc.id) {
        navigate(`/admin/scenarios/${saved.id}`, { replace: isNew });
      } else {
        setSc(saved);
        setSource(saved.source);
      }
    } catch (e) {
      const p = problemFrom(e, 'save');
      if (p) showProblem(p);
      else if (e.code === 'cases_failed' && e.body) setFailing(e.body.failing || []);
      else toast.error(e);
    }
    setBusy(false);
  };
  const onRolledBack = (saved) => {
    list.setData([...items.filter((x) => x.id !== saved.id), saved]);
    setSc(saved);
    setSource(saved.source);
  };
  const save = () => {
    if (busy) return;
    // the form's script is rendered by the server: wait for it, and for no problems
    if (mode === 'form' && !source.startsWith('// baton-builder')) return;
    if (mode === 'form' && formErrors.length) return toast.error(new Error(t('builder.problems', { n: formErrors.length })));
    if (idNote) setConfirmSave(idNote);
    else doSave();
  };
  const check = async () => {
    setBusy(true);
    try {
      const res = await scenarioApi.preview(sourceNow.current);
      setProblem(null);
      setChecked(res.wake || true);
    } catch (e) {
      const p = problemFrom(e, 'check');
      if (p) showProblem(p);
      else toast.error(e);
    }
    setBusy(false);
  };
  const watches = constOf(source, 'WATCHES') || (sc && sc.watches) || ERP_KINDS[0];
  const markLine = problem && problem.line ? problem.line : null;

  return html`<div class="page scenario-page" data-testid="scenario-editor">
    ${back}
    <${PageHeader} title=${sc ? sc.name : t('scenarios.newTitle')}
      subtitle=${sc ? t('scenarios.editorSubtitle', { key: sc.key, watches: sc.watches }) : t('scenarios.newSubtitle')}>
      ${sc && html`<${EnabledSwitch} s=${sc} onChange=${setSc} testid="scenario-editor-enabled" />`}
      ${sc && html`<button type="button" class="btn btn-danger-ghost" onClick=${() => setDeleting(true)} data-testid="scenario-delete">
        <${Icon} name="trash" /> ${t('common.delete')}</button>`}
    <//>
    <div class="badges-row scenario-meta">
      ${sc
        ? html`<span class="badge badge-soft" data-testid="scenario-version">${t('scenarios.versionN', { version: sc.version })}</span>
            <span class="small muted">${t('scenarios.updatedBy', { time: fmtTime(sc.updated_at), who: sc.updated_by })}</span>
            <span class="small muted" data-testid="scenario-fired-count">${t('scenarios.firedTimes', { n: sc.fired_count })}${sc.last_fired_at ? ` · ${t('scenarios.lastFiredAt', { time: fmtTime(sc.last_fired_at) })}` : ''}</span>`
        : html`<span class="badge badge-muted">${t('scenarios.notSaved')}</span>`}
      ${sc && dirty && html`<span class="badge badge-warn" data-testid="scenario-dirty">${t('scenarios.unsaved')}</span>`}
      <${TickNote} />
    </div>
    ${sc && html`<${StatsCard} s=${sc} />`}
    ${sc && sc.last_error &&
    html`<div class="alert alert-warn" data-testid="scenario-runtime-error">
      <div class="alert-title">${t('scenarios.lastRunError')}</div>
      <div class="alert-detail"><${LastError} s=${sc} testid="scenario-runtime-error-text" /></div>
      ${sc.last_error.line != null &&
      html`<button type="button" class="btn btn-sm alert-action" onClick=${() => showProblem({ ...sc.last_error, from: 'runtime' })}>
        ${t('scenarios.goToLine', { line: sc.last_error.line })}</button>`}
    </div>`}
    ${mode === 'pick' &&
    html`<${TemplatePicker} onCode=${() => setMode('code')} onPick=${(tp) => {
      setForm(tp.form(constOf(source, 'ID') || freshId(items)));
      setMode('form');
    }} />`}
    ${mode === 'form' &&
    html`<div class="form-actions form-actions-start builder-switch">
        <button type="button" class="btn btn-sm" onClick=${() => setMode('code')} data-testid="builder-to-code">
          <${Icon} name="edit" /> ${t('builder.toCode')}</button>
        <button type="button" class="btn btn-primary" disabled=${busy} onClick=${save} data-testid="builder-save">${t('common.save')}</button>
      </div>
      <${ScenarioBuilder} initial=${form} onChange=${(r) => {
        setSource(r.script);
        setFormErrors(r.errors || []);
      }} />`}
    ${mode === 'code' && codeReason && html`<div class="alert alert-info" data-testid="builder-code-reason">${t('builder.opensInCode', { reason: codeReason })}</div>`}
    ${mode === 'code' && html`<div class="form-actions form-actions-start builder-switch">
        <button type="button" class="btn btn-sm" onClick=${() => openIn(source, true)} data-testid="builder-to-form">
          ${t('builder.toForm')}</button></div>`}
    ${isNew && mode === 'code' && html`<div class="alert alert-info">${t('scenarios.newHint')}</div>`}
    ${mode === 'code' && html`<section class="card" data-testid="scenario-source-card">
      <div class="card-head">
        <h2 class="card-title">${t('scenarios.source')}</h2>
        <span class="small muted">${t('scenarios.sourceHint')}</span>
      </div>
      <${CodeEditor} value=${source} markLine=${markLine} jump=${jump} label=${t('scenarios.source')}
        onInput=${(v) => {
          setSource(v);
          setChecked(false);
        }} onSave=${save} />
      ${idNote && html`<div class="alert alert-warn scenario-id-note" data-testid="scenario-id-note">${idNote}</div>`}
      <${ScriptProblem} problem=${problem} onGo=${goTo} testid="script-error" />
      ${checked && html`<div class="alert alert-ok" role="status" data-testid="scenario-check-ok">
        ${t('scenarios.checkOk')}</div>`}
      ${failing &&
      html`<${CasesFailed} failing=${failing} onSaveAnyway=${() => doSave({ save_anyway: true })} onClose=${() => setFailing(null)} />`}
      ${checked && html`<${WakeNote} wake=${checked} />`}
      <${HelpersRef} />
      <label class="field scenario-comment">
        <span class="field-label">${t('versions.commentLabel')}</span>
        <input type="text" value=${comment} maxlength="500" placeholder=${t('versions.commentPlaceholder')}
          onInput=${(e) => setComment(e.target.value)} data-testid="scenario-comment" />
      </label>
      <div class="form-actions">
        <button type="button" class="btn" disabled=${busy} onClick=${check} data-testid="scenario-check">
          <${Icon} name="check" /> ${t('scenarios.check')}</button>
        <button type="button" class="btn btn-primary" disabled=${busy} onClick=${save} data-testid="scenario-save">
          ${t('common.save')}</button>
      </div>
    </section>`}
    <${DryRunPanel} source=${source} watches=${watches} scKey=${sc ? sc.key : idInSource} scId=${sc ? sc.id : null} initialRecord=${initialRecord}
      onProblem=${(p) => (p ? showProblem(p) : setProblem(null))} onKept=${() => setCasesReload((n) => n + 1)} />
    <${PreviewPanel} source=${source} watches=${watches} onProblem=${(p) => (p ? showProblem(p) : setProblem(null))} />
    ${sc && html`<${CasesPanel} sc=${sc} source=${source} reload=${casesReload} />`}
    ${sc && html`<${VersionsPanel} sc=${sc} onRolledBack=${onRolledBack} />`}
    ${confirmSave &&
    html`<${Confirm} title=${t('scenarios.saveAnyway')} message=${confirmSave} confirmLabel=${t('common.save')}
      onClose=${() => setConfirmSave(null)} onConfirm=${doSave} />`}
    ${deleting &&
    html`<${Confirm} title=${t('scenarios.deleteTitle')} message=${t('scenarios.deleteConfirm', { name: sc.name })}
      confirmLabel=${t('common.delete')} danger onClose=${() => setDeleting(false)}
      onConfirm=${async () => {
        await scenarioApi.remove(sc.id);
        toast.ok(t('scenarios.deleted', { name: sc.name }));
        navigate('/admin/scenarios');
      }} />`}
  </div>`;
}

/** /admin/scenarios/new and /admin/scenarios/:id — a fresh editor per scenario. */
export function ScenarioEditorPage({ params }) {
  const id = params && params.id != null ? params.id : null;
  return html`<${Editor} key=${id == null ? 'new' : id} id=${id} />`;
}

/** /scenarios… → /admin/scenarios… (the admin pages live under /admin). */
export function ScenarioRedirect({ params }) {
  useEffect(() => {
    const tail = params && params.id != null ? `/${enc(params.id)}` : window.location.pathname.endsWith('/new') ? '/new' : '';
    navigate(`/admin/scenarios${tail}${window.location.search}`, { replace: true });
  }, []);
  return html`<${Loading} />`;
}
