// A project's task list (filters, sorting, pagination; a table on desktop, cards
// on a phone) and the create-task dialog.
import { html, useEffect, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api } from '../api.js';
import { businessTypeLabel, fmtTime, t } from '../i18n.js';
import { useUsers } from '../people.js';
import { Link, navigate } from '../router.js';
import {
  NodesEditor,
  PRIORITIES,
  PriorityBadge,
  StatusBadges,
  UserMultiPicker,
  UserSelect,
  fromDateInput,
  fromLocalInput,
  keyed,
  kindFields,
  nodeMissing,
  stepText,
  toLocalInput,
} from '../tasks.js';
import { Confirm, Empty, ErrorText, Field, Icon, Loading, Modal, toast, useLoader } from '../ui.js';
import { FieldInputs, FieldValue, cleanValues, ruleOf } from '../fields.js';
import { isAdmin, useApp } from '../context.js';

const SORTS = ['created', 'updated', 'due', 'priority'];
const BLANK_FILTERS = { status: 'open', business_type: '', priority: '', handler: '', due_from: '', due_to: '', q: '', field_key: '', field_value: '' };
/** A project's custom fields shown as list columns, at most this many. */
const FIELD_COLUMNS = 4;

/** The definitions that apply to a task made from `tpl` in `project` (the template's win). */
export function mergedDefs(project, tpl) {
  const own = (tpl && tpl.fields) || [];
  return [...((project && project.fields) || []).filter((d) => !own.some((o) => o.key === d.key)), ...own];
}

export function ProjectTasks({ project }) {
  const { name } = useUsers();
  const [filters, setFilters] = useState(BLANK_FILTERS);
  const [qDraft, setQDraft] = useState('');
  const [sort, setSortState] = useState({ sort: 'created', order: 'desc' });
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [showFilters, setShowFilters] = useState(false); // phones: filters fold away
  const [archiving, setArchiving] = useState(false);
  const { me } = useApp();
  const perPage = 20;

  // typing in the search box settles for 300 ms before it filters
  useEffect(() => {
    const timer = setTimeout(() => {
      if (qDraft.trim() !== filters.q) {
        setFilters((f) => ({ ...f, q: qDraft.trim() }));
        setPage(1);
      }
    }, 300);
    return () => clearTimeout(timer);
  }, [qDraft]);

  const { field_key: fieldKey, field_value: fieldValue, ...plain } = filters;
  const fieldDefs = project.fields || [];
  const fieldDef = fieldDefs.find((d) => d.key === fieldKey);
  const columns = fieldDefs.slice(0, FIELD_COLUMNS);
  const params = {
    ...plain,
    field: fieldKey && fieldValue !== '' ? `${fieldKey}:${fieldValue}` : '',
    due_from: fromDateInput(filters.due_from),
    due_to: fromDateInput(filters.due_to, true),
    sort: sort.sort,
    order: sort.order,
    page,
    per_page: perPage,
  };
  const list = useLoader(() => api.projectTasks(project.id, params), [project.id, JSON.stringify(params)]);
  // the same list, every page, as CSV with a column per custom field
  const exportQuery = new URLSearchParams(
    Object.entries(params).filter(([k, v]) => k !== 'page' && k !== 'per_page' && v !== undefined && v !== null && v !== ''),
  ).toString();
  const exportHref = `/api/projects/${encodeURIComponent(project.id)}/tasks/export.csv${exportQuery ? `?${exportQuery}` : ''}`;
  const setSort = (v) => {
    setSortState(v);
    setPage(1);
  };
  const setF = (k) => (v) => {
    setFilters((f) => ({ ...f, [k]: v }));
    setPage(1);
  };
  const data = list.data;
  const activeFilters = Object.entries(filters).filter(([k, v]) => k !== 'q' && k !== 'field_key' && v !== BLANK_FILTERS[k]).length;
  const pages = data ? Math.max(1, Math.ceil(data.total / (data.per_page || perPage))) : 1;

  return html`<section class="card task-list-card" data-testid="project-tasks">
    <div class="card-head">
      <h2 class="card-title">${t('tasks.title')}${data ? ` (${data.total})` : ''}</h2>
      <div class="row-actions">
        ${isAdmin(me) && filters.status !== 'open' &&
        html`<button type="button" class="btn" onClick=${() => setArchiving(true)} data-testid="archive-finished">${t('tasks.archiveFinished')}</button>`}
        <a class="btn" href=${exportHref} download data-testid="tasks-export">${t('fields.exportCsv')}</a>
        ${!project.archived &&
        html`<button type="button" class="btn btn-primary" onClick=${() => setCreating(true)} data-testid="task-new">
          <${Icon} name="plus" /> ${t('tasks.new')}</button>`}
      </div>
    </div>
    ${archiving &&
    html`<${Confirm} title=${t('tasks.archiveFinished')} message=${t('tasks.archiveFinishedConfirm')} confirmLabel=${t('tasks.archive')}
      onClose=${() => setArchiving(false)}
      onConfirm=${async () => {
        const res = await api.archiveFinished(project.id);
        toast.ok(t('tasks.archivedN', { n: (res && res.archived) || 0 }));
        list.reload();
      }} />`}
    <div class=${`filters ${showFilters ? 'open' : ''}`} data-testid="task-filters">
      <div class="filter-q">
        <input type="search" class="search" placeholder=${t('tasks.searchPlaceholder')} value=${qDraft}
          onInput=${(e) => setQDraft(e.target.value)} data-testid="filter-q" aria-label=${t('tasks.search')} />
        <button type="button" class="btn filters-toggle" aria-expanded=${showFilters} onClick=${() => setShowFilters(!showFilters)}
          data-testid="filters-toggle">${t('tasks.filtersButton')}${activeFilters ? ` (${activeFilters})` : ''}</button>
      </div>
      <label class="filter">
        <span>${t('tasks.statusLabel')}</span>
        <select value=${filters.status} onChange=${(e) => setF('status')(e.target.value)} data-testid="filter-status">
          <option value="open">${t('tasks.status.open')}</option>
          <option value="done">${t('tasks.status.done')}</option>
          <option value="all">${t('tasks.status.all')}</option>
        </select>
      </label>
      <label class="filter">
        <span>${t('tasks.businessType')}</span>
        <select value=${filters.business_type} onChange=${(e) => setF('business_type')(e.target.value)} data-testid="filter-business-type">
          <option value="">${t('tasks.any')}</option>
          ${(project.business_types || []).map((b) => html`<option key=${b} value=${b}>${businessTypeLabel(b)}</option>`)}
        </select>
      </label>
      <label class="filter">
        <span>${t('tasks.priorityLabel')}</span>
        <select value=${filters.priority} onChange=${(e) => setF('priority')(e.target.value)} data-testid="filter-priority">
          <option value="">${t('tasks.any')}</option>
          ${PRIORITIES.map((p) => html`<option key=${p} value=${p}>${t(`tasks.priority.${p}`)}</option>`)}
        </select>
      </label>
      <label class="filter">
        <span>${t('tasks.currentHandler')}</span>
        <${UserSelect} ids=${project.members || []} value=${filters.handler === '' ? null : Number(filters.handler)}
          onChange=${(v) => setF('handler')(v == null ? '' : String(v))} placeholder=${t('tasks.any')} testid="filter-handler" />
      </label>
      <label class="filter">
        <span>${t('tasks.dueFrom')}</span>
        <input type="date" value=${filters.due_from} onInput=${(e) => setF('due_from')(e.target.value)} data-testid="filter-due-from" />
      </label>
      <label class="filter">
        <span>${t('tasks.dueTo')}</span>
        <input type="date" value=${filters.due_to} onInput=${(e) => setF('due_to')(e.target.value)} data-testid="filter-due-to" />
      </label>
      ${fieldDefs.length > 0 &&
      html`<div class="filter filter-field">
        <span>${t('fields.filter')}</span>
        <span class="sort-pair">
          <select value=${fieldKey} aria-label=${t('fields.filterField')} data-testid="filter-field-key"
            onChange=${(e) => setFilters((f) => ({ ...f, field_key: e.target.value, field_value: '' }))}>
            <option value="">${t('tasks.any')}</option>
            ${fieldDefs.map((d) => html`<option key=${d.key} value=${d.key}>${d.label}</option>`)}
          </select>
          ${fieldDef &&
          (fieldDef.type === 'choice'
            ? html`<select value=${fieldValue} aria-label=${fieldDef.label} data-testid="filter-field-value"
                onChange=${(e) => setF('field_value')(e.target.value)}>
                <option value="">${t('tasks.any')}</option>
                ${(fieldDef.options || []).map((o) => html`<option key=${o} value=${o}>${o}</option>`)}
              </select>`
            : html`<input type="text" value=${fieldValue} aria-label=${fieldDef.label} data-testid="filter-field-value"
                onChange=${(e) => setF('field_value')(e.target.value.trim())} />`)}
        </span>
      </div>`}
      <label class="filter">
        <span>${t('tasks.sortBy')}</span>
        <span class="sort-pair">
          <select value=${sort.sort} onChange=${(e) => setSort({ ...sort, sort: e.target.value })} data-testid="sort-by">
            ${SORTS.map((s) => html`<option key=${s} value=${s}>${t(`tasks.sort.${s}`)}</option>`)}
          </select>
          <button type="button" class="btn btn-sm" data-testid="sort-order"
            aria-label=${sort.order === 'desc' ? t('tasks.orderDesc') : t('tasks.orderAsc')}
            title=${sort.order === 'desc' ? t('tasks.orderDesc') : t('tasks.orderAsc')}
            onClick=${() => setSort({ ...sort, order: sort.order === 'desc' ? 'asc' : 'desc' })}>
            <${Icon} name=${sort.order === 'desc' ? 'down' : 'up'} /></button>
        </span>
      </label>
      ${(activeFilters > 0 || filters.q) &&
      html`<button type="button" class="btn btn-sm filter-reset" data-testid="filter-reset"
        onClick=${() => {
          setFilters(BLANK_FILTERS);
          setQDraft('');
          setPage(1);
        }}>${t('tasks.resetFilters')}</button>`}
    </div>
    ${list.error && html`<${ErrorText} error=${list.error} />`}
    ${!data && list.loading && html`<${Loading} />`}
    ${data &&
    (data.items.length === 0
      ? html`<${Empty}><span data-testid="tasks-empty">${activeFilters || filters.q ? t('common.noResults') : t('tasks.emptyProject')}</span><//>`
      : html`<div class=${`table-wrap ${list.loading ? 'is-loading' : ''}`}>
          <table class="table responsive task-table" data-testid="tasks-table">
            <thead><tr>
              <th>${t('tasks.taskTitle')}</th><th>${t('tasks.progress')}</th><th>${t('tasks.priorityLabel')}</th>
              <th>${t('tasks.businessType')}</th>
              ${columns.map((d) => html`<th key=${d.key} data-testid="field-column">${d.label}</th>`)}
              <th>${t('tasks.due')}</th><th>${t('tasks.updated')}</th>
            </tr></thead>
            <tbody>
              ${data.items.map(
                (s) => html`<tr key=${s.id} data-testid="task-row" data-title=${s.title} class=${s.overdue ? 'row-overdue' : ''}>
                  <td data-label=${t('tasks.taskTitle')}>
                    <${Link} href=${`/tasks/${s.id}`} class="strong task-link" data-testid="task-link">${s.title}<//>
                    <div class="task-row-badges"><${StatusBadges} task=${s} /></div>
                  </td>
                  <td data-label=${t('tasks.progress')}>${stepText(s, name)}</td>
                  <td data-label=${t('tasks.priorityLabel')}><${PriorityBadge} priority=${s.priority} /></td>
                  <td data-label=${t('tasks.businessType')}>${s.business_type ? businessTypeLabel(s.business_type) : html`<span class="muted">—</span>`}</td>
                  ${columns.map(
                    (d) => html`<td key=${d.key} data-label=${d.label} data-testid=${`field-cell-${d.key}`}>
                      <${FieldValue} def=${d} value=${(s.fields || {})[d.key]} /></td>`,
                  )}
                  <td data-label=${t('tasks.due')} class=${`nowrap ${s.overdue ? 'text-danger' : ''}`}>${s.due_at ? fmtTime(s.due_at) : html`<span class="muted">—</span>`}</td>
                  <td data-label=${t('tasks.updated')} class="nowrap muted">${fmtTime(s.updated_at)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`)}
    ${data && data.total > 0 &&
    html`<div class="pager" data-testid="pager">
      <button type="button" class="btn btn-sm" disabled=${page <= 1} onClick=${() => setPage(page - 1)} data-testid="page-prev">
        ${t('tasks.prevPage')}</button>
      <span class="muted small" data-testid="page-info">${t('tasks.pageInfo', { page, pages, total: data.total })}</span>
      <button type="button" class="btn btn-sm" disabled=${page >= pages} onClick=${() => setPage(page + 1)} data-testid="page-next">
        ${t('tasks.nextPage')}</button>
    </div>`}
    ${creating &&
    html`<${CreateTaskDialog} project=${project} onClose=${() => setCreating(false)}
      onCreated=${(task) => {
        setCreating(false);
        navigate(`/tasks/${task.id}`);
      }} />`}
  </section>`;
}

/** Edit a list of short lines (checklist items). `items`: [{ id?, text, _k }] */
export function LinesEditor({ items, onChange, placeholder, testid }) {
  const [draft, setDraft] = useState('');
  const add = () => {
    const text = draft.trim();
    if (!text) return;
    onChange([...items, keyed({ text })]);
    setDraft('');
  };
  return html`<div class="lines-editor" data-testid=${testid}>
    ${items.length > 0 &&
    html`<ul class="lines-list">
      ${items.map(
        (x, i) => html`<li key=${x._k || x.id} data-testid=${`${testid}-item`}>
          <input type="text" value=${x.text} onInput=${(e) => onChange(items.map((y, j) => (j === i ? { ...y, text: e.target.value } : y)))} />
          <button type="button" class="icon-btn icon-danger" aria-label=${t('common.removeItem', { name: x.text })}
            onClick=${() => onChange(items.filter((_, j) => j !== i))}><${Icon} name="trash" /></button>
        </li>`,
      )}
    </ul>`}
    <div class="lines-add">
      <input type="text" value=${draft} placeholder=${placeholder} onInput=${(e) => setDraft(e.target.value)}
        onKeyDown=${(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            add();
          }
        }} data-testid=${`${testid}-input`} />
      <button type="button" class="btn btn-sm" onClick=${add} data-testid=${`${testid}-add`}><${Icon} name="plus" /> ${t('tasks.addItem')}</button>
    </div>
  </div>`;
}

export function templateLabel(tpl) {
  if (tpl.builtin === 'simple') return t('templates.builtinSimple');
  if (tpl.builtin === 'empty_workflow') return t('templates.builtinEmpty');
  return tpl.name;
}

/** Nodes of a template as editable task nodes: relative due -> absolute, handlers outside the project dropped. */
function nodesFromTemplate(tpl, members) {
  const base = Date.now();
  return (tpl.nodes || []).map((n) =>
    keyed({
      handler_id: n.handler_id != null && members.includes(n.handler_id) ? n.handler_id : null,
      action: n.action || '',
      due_at: n.due_in_hours ? new Date(base + n.due_in_hours * 3600 * 1000).toISOString() : null,
      kind: n.kind || 'single',
      handlers: (n.handlers || []).filter((h) => members.includes(h)),
      claim_from: n.claim_from ? { ...n.claim_from, users: (n.claim_from.users || []).filter((h) => members.includes(h)) } : null,
      condition: n.condition || '',
      cc: (n.cc || []).filter((u) => members.includes(u)),
      cc_on: n.cc_on || 'reached',
    }),
  );
}

export function CreateTaskDialog({ project, onClose, onCreated }) {
  const members = project.members || [];
  const tpls = useLoader(() => api.templates().then((r) => r.items || []), []);
  const [tplId, setTplId] = useState('');
  const [f, setF] = useState({
    kind: 'simple',
    title: '',
    description: '',
    business_type: '',
    priority: 'normal',
    due_at: null,
    nodes: [keyed({ handler_id: null, action: '', due_at: null })],
    checklist: [],
    watchers: [],
    editors: [],
    fields: {},
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  // any edit may have fixed what the error was about: do not leave it on screen
  const set = (k) => (v) => {
    setError(null);
    setF((x) => ({ ...x, [k]: v }));
  };
  // the workflow template and its nodes as last chosen/edited, restored when someone
  // goes Simple and back to Workflow
  const [lastWorkflow, setLastWorkflow] = useState(null);

  const findTpl = (pred) => (tpls.data || []).find(pred);
  // default to the built-in simple template once templates are known
  useEffect(() => {
    if (tpls.data && tplId === '') {
      const simple = findTpl((x) => x.builtin === 'simple');
      if (simple) setTplId(String(simple.id));
    }
  }, [tpls.data]);

  const chooseTemplate = (id) => {
    setError(null);
    setTplId(id);
    const tpl = findTpl((x) => String(x.id) === id);
    if (!tpl) return;
    const kind = tpl.builtin === 'simple' ? 'simple' : 'workflow';
    let nodes = nodesFromTemplate(tpl, members);
    if (nodes.length === 0) nodes = [keyed({ handler_id: null, action: '', due_at: null })];
    if (kind === 'simple') nodes = nodes.slice(0, 1);
    setF((x) => ({ ...x, kind, nodes }));
  };
  // Template and kind are one choice: Simple is the built-in simple template, Workflow
  // brings back the workflow template (and steps) chosen before, or the empty workflow.
  const setKind = (kind) => {
    if (kind === f.kind) return;
    setError(null);
    if (kind === 'simple') {
      setLastWorkflow({ tplId, nodes: f.nodes });
      const simple = findTpl((x) => x.builtin === 'simple');
      setTplId(simple ? String(simple.id) : '');
      setF((x) => ({ ...x, kind, nodes: x.nodes.slice(0, 1).map((n) => ({ ...n, due_at: null })).concat(x.nodes.length ? [] : [keyed({ handler_id: null, action: '', due_at: null })]) }));
      return;
    }
    if (lastWorkflow) {
      setTplId(lastWorkflow.tplId);
      setF((x) => ({ ...x, kind, nodes: lastWorkflow.nodes }));
      return;
    }
    const empty = findTpl((x) => x.builtin === 'empty_workflow');
    setTplId(empty ? String(empty.id) : '');
    setF((x) => ({ ...x, kind }));
  };

  const submit = async (e) => {
    e.preventDefault();
    if (!f.title.trim()) return setError(new Error(t('tasks.titleMissing')));
    if (f.nodes.length === 0) return setError(new Error(t('tasks.nodesMissing')));
    const missing = f.nodes.map((n, i) => nodeMissing(n, i)).find(Boolean);
    if (missing) return setError(new Error(missing));
    setBusy(true);
    setError(null);
    try {
      const body = {
        kind: f.kind,
        title: f.title.trim(),
        description: f.description,
        priority: f.priority,
        nodes: f.nodes.map((n) => {
          const node = { action: n.action.trim(), ...kindFields(n), ...ruleOf(n) };
          if ((n.kind || 'single') === 'single') node.handler_id = n.handler_id;
          if (n.due_at) node.due_at = n.due_at;
          return node;
        }),
        checklist: f.checklist.map((x) => x.text.trim()).filter(Boolean),
        watchers: f.watchers,
        editors: f.editors,
        fields: cleanValues(f.fields),
      };
      if (f.business_type) body.business_type = f.business_type;
      if (tplId) body.template_id = Number(tplId); // where the nodes came from: its custom fields apply too
      if (f.due_at) body.due_at = f.due_at;
      const task = await api.createTask(project.id, body);
      toast.ok(t('tasks.created'));
      onCreated(task);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return html`<${Modal} title=${t('tasks.newIn', { project: project.name })} onClose=${onClose} testid="task-create-dialog" wide>
    <form class="form" onSubmit=${submit} data-testid="task-create-form">
      <div class="form-grid">
        <${Field} label=${t('tasks.template')}>
          <select value=${tplId} onChange=${(e) => chooseTemplate(e.target.value)} data-testid="task-template">
            ${!tpls.data && html`<option value="">${t('common.loading')}</option>`}
            ${(tpls.data || []).map((x) => html`<option key=${x.id} value=${String(x.id)}>${templateLabel(x)}</option>`)}
          </select>
        <//>
        <div class="field">
          <span class="field-label">${t('tasks.kindLabel')}</span>
          <div class="seg-group" role="radiogroup">
            ${['simple', 'workflow'].map(
              (k) => html`<label key=${k} class=${`seg-radio ${f.kind === k ? 'on' : ''}`}>
                <input type="radio" name="task-kind" value=${k} checked=${f.kind === k} onChange=${() => setKind(k)}
                  data-testid=${`task-kind-${k}`} />
                <span>${t(`tasks.kind.${k}`)}</span>
              </label>`,
            )}
          </div>
        </div>
      </div>
      <${Field} label=${t('tasks.taskTitle')}>
        <input type="text" value=${f.title} onInput=${(e) => set('title')(e.target.value)} data-testid="task-title" />
      <//>
      <${Field} label=${t('tasks.description')} hint=${t('tasks.markdownHint')}>
        <textarea rows="4" value=${f.description} onInput=${(e) => set('description')(e.target.value)} data-testid="task-description"></textarea>
      <//>
      <div class="form-grid form-grid-3">
        <${Field} label=${t('tasks.businessType')}>
          <select value=${f.business_type} onChange=${(e) => set('business_type')(e.target.value)} data-testid="task-business-type">
            <option value="">${t('tasks.noBusinessType')}</option>
            ${(project.business_types || []).map((b) => html`<option key=${b} value=${b}>${businessTypeLabel(b)}</option>`)}
          </select>
        <//>
        <${Field} label=${t('tasks.priorityLabel')}>
          <select value=${f.priority} onChange=${(e) => set('priority')(e.target.value)} data-testid="task-priority">
            ${PRIORITIES.map((p) => html`<option key=${p} value=${p}>${t(`tasks.priority.${p}`)}</option>`)}
          </select>
        <//>
        <${Field} label=${t('tasks.due')}>
          <input type="datetime-local" value=${toLocalInput(f.due_at)} onInput=${(e) => set('due_at')(fromLocalInput(e.target.value))}
            data-testid="task-due" />
        <//>
      </div>
      <${FieldInputs} defs=${mergedDefs(project, findTpl((x) => String(x.id) === tplId))} values=${f.fields}
        onChange=${set('fields')} memberIds=${members} testid="task-fields" />
      <div class="field">
        <span class="field-label">${f.kind === 'simple' ? t('tasks.handler') : t('tasks.nodes')}</span>
        <${NodesEditor} nodes=${f.nodes} onChange=${set('nodes')} memberIds=${members} mode=${f.kind === 'simple' ? 'single' : 'task'}
          testid="task-nodes" max=${f.kind === 'simple' ? 1 : undefined} />
        ${f.kind !== 'simple' && html`<span class="field-hint">${t('tasks.nodesHint')}</span>`}
      </div>
      <div class="field">
        <span class="field-label">${t('tasks.checklist')}</span>
        <${LinesEditor} items=${f.checklist} onChange=${set('checklist')} placeholder=${t('tasks.checklistPlaceholder')} testid="task-checklist" />
      </div>
      <div class="form-grid">
        <div class="field">
          <span class="field-label">${t('tasks.watchers')}</span>
          <${UserMultiPicker} ids=${members} value=${f.watchers} onChange=${set('watchers')} testid="task-watchers" />
          <span class="field-hint">${t('tasks.watchersHint')}</span>
        </div>
        <div class="field">
          <span class="field-label">${t('tasks.editors')}</span>
          <${UserMultiPicker} ids=${members} value=${f.editors} onChange=${set('editors')} testid="task-editors" />
          <span class="field-hint">${t('tasks.editorsHint')}</span>
        </div>
      </div>
      <${ErrorText} error=${error || tpls.error} testid="task-create-error" />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="task-create-submit">${t('common.create')}</button>
      </div>
    </form>
  <//>`;
}
