// Admin: projects — list, create (department, members, business types), rename,
// business types, members, archive/restore. The built-in ERP project cannot be archived.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api } from '../api.js';
import { useApp } from '../context.js';
import { deptPath, flattenTree, optionLabel } from '../depts.js';
import { businessTypeLabel, fmtTime, t } from '../i18n.js';
import { navigate } from '../router.js';
import { FieldDefsEditor, cleanDefs } from '../fields.js';
import { Avatar, Confirm, Empty, ErrorText, Field, Icon, Loading, Modal, PageHeader, TagInput, toast, useLoader } from '../ui.js';
import { ProjectWebhookEditor } from './delivery.js';
import { ProjectWriteBackEditor } from '../write-back.js';

function DeptSelect({ depts, value, onChange, testid }) {
  return html`<select value=${value == null ? '' : String(value)} data-testid=${testid}
    onChange=${(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}>
    <option value="">${t('projects.noDepartment')}</option>
    ${flattenTree(depts).map((x) => html`<option key=${x.dept.id} value=${String(x.dept.id)}>${optionLabel(x)}</option>`)}
  </select>`;
}

const userName = (u) => u.display_name || u.username;

/** Checkbox list of users with a filter box. */
function MemberPicker({ users, value, onChange, testid }) {
  const [q, setQ] = useState('');
  const needle = q.trim().toLowerCase();
  const shown = users.filter(
    (u) => !u.disabled && (!needle || u.username.toLowerCase().includes(needle) || userName(u).toLowerCase().includes(needle)),
  );
  const toggle = (id) => onChange(value.includes(id) ? value.filter((x) => x !== id) : [...value, id]);
  return html`<div class="picker" data-testid=${testid}>
    <input type="search" class="picker-search" placeholder=${t('projects.searchUsers')} value=${q}
      onInput=${(e) => setQ(e.target.value)} />
    <div class="picker-list">
      ${shown.length === 0 && html`<div class="muted small picker-empty">${t('common.noResults')}</div>`}
      ${shown.map(
        (u) => html`<label class="check picker-item" key=${u.id}>
          <input type="checkbox" checked=${value.includes(u.id)} onChange=${() => toggle(u.id)}
            data-testid="member-option" data-username=${u.username} />
          <span>${userName(u)} <span class="muted small">@${u.username}</span></span>
        </label>`,
      )}
    </div>
    <div class="muted small">${t('projects.selectedCount', { n: value.length })}</div>
  </div>`;
}

function CreateProjectDialog({ depts, users, onClose, onCreated }) {
  const { me } = useApp();
  const [name, setName] = useState('');
  const [dept, setDept] = useState(me.role === 'department_admin' ? me.department_id : null);
  const [members, setMembers] = useState([]);
  const [types, setTypes] = useState([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (!name.trim()) return setError(new Error(t('projects.nameMissing')));
    setBusy(true);
    setError(null);
    try {
      const body = { name: name.trim(), members, business_types: types };
      if (dept != null) body.department_id = dept;
      const p = await api.createProject(body);
      toast.ok(t('projects.created', { name: p.name }));
      onCreated(p);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<${Modal} title=${t('projects.create')} onClose=${onClose} testid="project-create-dialog" wide>
    <form class="form" onSubmit=${submit} data-testid="project-create-form">
      <div class="form-grid">
        <${Field} label=${t('projects.name')}>
          <input type="text" value=${name} onInput=${(e) => setName(e.target.value)} data-testid="project-create-name" />
        <//>
        <${Field} label=${t('projects.department')}>
          <${DeptSelect} depts=${depts} value=${dept} onChange=${setDept} testid="project-create-department" />
        <//>
      </div>
      <div class="field">
        <span class="field-label">${t('projects.businessTypes')}</span>
        <${TagInput} value=${types} onChange=${setTypes} placeholder=${t('projects.businessTypesPlaceholder')}
          testid="project-create-types" />
        <span class="field-hint">${t('projects.businessTypesHint')}</span>
      </div>
      ${users
        ? html`<div class="field">
            <span class="field-label">${t('projects.members')}</span>
            <${MemberPicker} users=${users} value=${members} onChange=${setMembers} testid="project-create-members" />
          </div>`
        : html`<p class="muted small">${t('projects.membersLater')}</p>`}
      <${ErrorText} error=${error} />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="project-create-submit">${t('common.create')}</button>
      </div>
    </form>
  <//>`;
}

function ManageProjectDialog({ project, depts, users, onClose, onChanged, reloadOne }) {
  const [p, setP] = useState(project);
  const [name, setName] = useState(project.name);
  const [dept, setDept] = useState(project.department_id);
  const [types, setTypes] = useState(project.business_types || []);
  const [defs, setDefs] = useState(() => (project.fields || []).map((d) => ({ ...d })));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [addId, setAddId] = useState('');
  const [confirm, setConfirm] = useState(null);

  const applied = (np) => {
    setP(np);
    onChanged(np);
  };
  const reset = (np) => {
    setP(np);
    setName(np.name);
    setDept(np.department_id);
    setTypes(np.business_types || []);
    setDefs((np.fields || []).map((d) => ({ ...d })));
  };
  const run = async (fn, okMsg) => {
    setBusy(true);
    setError(null);
    try {
      const np = await fn();
      if (np) applied(np);
      if (okMsg) toast.ok(okMsg);
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  const save = (e) => {
    e.preventDefault();
    if (!name.trim()) return setError(new Error(t('projects.nameMissing')));
    const patch = { name: name.trim(), business_types: types, rev: p.rev, fields: cleanDefs(defs) };
    if (dept !== p.department_id) patch.department_id = dept;
    return run(async () => {
      const np = await api.updateProject(p.id, patch);
      reset(np);
      return np;
    }, t('common.saved'));
  };
  const reload = async () => {
    const np = await reloadOne(p.id);
    if (np) {
      reset(np);
      setError(null);
    }
  };
  const userOf = (id) => (users || []).find((u) => u.id === id);
  const candidates = (users || []).filter((u) => !u.disabled && !p.members.includes(u.id));
  const canArchive = p.builtin !== 'erp';

  return html`<${Modal} title=${p.name} onClose=${onClose} testid="project-manage-dialog" wide>
    <div class="badges-row">
      ${p.builtin === 'erp' && html`<span class="badge badge-erp">${t('projects.builtinErp')}</span>`}
      ${p.archived
        ? html`<span class="badge badge-muted">${t('projects.archived')}</span>`
        : html`<span class="badge badge-ok">${t('projects.active')}</span>`}
      <span class="muted small">${t('common.createdAt')}: ${fmtTime(p.created_at)}</span>
    </div>
    <form class="form" onSubmit=${save} data-testid="project-edit-form">
      <div class="form-grid">
        <${Field} label=${t('projects.name')}>
          <input type="text" value=${name} onInput=${(e) => setName(e.target.value)} data-testid="project-edit-name" />
        <//>
        <${Field} label=${t('projects.department')}>
          <${DeptSelect} depts=${depts} value=${dept} onChange=${setDept} testid="project-edit-department" />
        <//>
      </div>
      <div class="field">
        <span class="field-label">${t('projects.businessTypes')}</span>
        <${TagInput} value=${types} onChange=${setTypes} placeholder=${t('projects.businessTypesPlaceholder')}
          testid="project-edit-types" />
        <span class="field-hint">${t('projects.businessTypesHint')}</span>
      </div>
      <div class="field">
        <span class="field-label">${t('fields.title')}</span>
        <${FieldDefsEditor} defs=${defs} onChange=${setDefs} testid="project-fields" />
        <span class="field-hint">${t('fields.projectHint')}</span>
      </div>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="project-edit-submit">${t('common.save')}</button>
      </div>
    </form>
    <${ErrorText} error=${error} onReload=${reload} />

    <h3 class="subsection-title">${t('projects.members')} (${p.members.length})</h3>
    ${users &&
    html`<div class="add-member">
      <select value=${addId} onChange=${(e) => setAddId(e.target.value)} data-testid="member-add-select">
        <option value="">${t('projects.chooseUser')}</option>
        ${candidates.map((u) => html`<option key=${u.id} value=${String(u.id)}>${userName(u)} (@${u.username})</option>`)}
      </select>
      <button type="button" class="btn" disabled=${busy || !addId} data-testid="member-add"
        onClick=${() =>
          run(async () => {
            const np = await api.addMember(p.id, Number(addId));
            setAddId('');
            return np;
          }, t('projects.memberAdded'))}>
        <${Icon} name="plus" /> ${t('projects.addMember')}</button>
    </div>`}
    ${p.members.length === 0
      ? html`<p class="muted">${t('projects.noMembers')}</p>`
      : html`<ul class="member-list member-list-edit" data-testid="project-members">
          ${p.members.map((uid) => {
            const u = userOf(uid);
            const label = u ? userName(u) : `#${uid}`;
            return html`<li key=${uid} data-testid="project-member">
              <${Avatar} name=${label} small />
              <span class="member-name">${label} ${u && html`<span class="muted small">@${u.username}</span>`}</span>
              <button type="button" class="btn btn-sm btn-danger-ghost" disabled=${busy} data-testid="member-remove"
                onClick=${() => run(() => api.removeMember(p.id, uid), t('projects.memberRemoved'))}>
                ${t('common.remove')}</button>
            </li>`;
          })}
        </ul>`}

    <h3 class="subsection-title">${t('delivery.projectHook')}</h3>
    <p class="muted small">${t('delivery.projectHookHint')}</p>
    <${ProjectWebhookEditor} projectId=${p.id} />

    <h3 class="subsection-title">${t('writeBack.title')}</h3>
    <${ProjectWriteBackEditor} projectId=${p.id} />

    <h3 class="subsection-title">${t('projects.status')}</h3>
    ${canArchive
      ? p.archived
        ? html`<div class="status-row">
            <p class="muted small">${t('projects.archivedNote')}</p>
            <button type="button" class="btn" disabled=${busy} data-testid="project-restore"
              onClick=${() => run(() => api.restoreProject(p.id), t('projects.restored'))}>${t('projects.restore')}</button>
          </div>`
        : html`<div class="status-row">
            <p class="muted small">${t('projects.archiveNote')}</p>
            <button type="button" class="btn btn-danger-ghost" disabled=${busy}
              data-testid="project-archive" onClick=${() => setConfirm(true)}>${t('projects.archive')}</button>
          </div>`
      : html`<p class="muted small" data-testid="project-builtin-note">${t('projects.builtinNote')}</p>`}
    ${confirm &&
    html`<${Confirm} title=${t('projects.archive')} message=${t('projects.archiveConfirm', { name: p.name })}
      confirmLabel=${t('projects.archive')} danger onClose=${() => setConfirm(null)}
      onConfirm=${async () => {
        const np = await api.archiveProject(p.id);
        applied(np);
        toast.ok(t('projects.archivedToast'));
      }} />`}
  <//>`;
}

export function ProjectsAdminPage() {
  const { reloadProjects } = useApp();
  const data = useLoader(async () => {
    const [projects, depts] = await Promise.all([api.projects(), api.departments()]);
    let users = null;
    try {
      users = (await api.users()).items || [];
    } catch (_) {
      users = null;
    }
    return { projects: projects.items || [], depts: depts.items || [], users };
  }, []);
  const initialOpen = Number(new URLSearchParams(window.location.search).get('open')) || null;
  const [dialog, setDialog] = useState(initialOpen ? { kind: 'manage', id: initialOpen } : null);
  const [showArchived, setShowArchived] = useState(false);
  const [q, setQ] = useState('');
  const close = () => {
    setDialog(null);
    // drop a ?open=<id> deep link so a reload does not reopen the dialog
    if (window.location.search) navigate('/admin/projects', { replace: true });
  };

  if (data.loading && !data.data) return html`<${Loading} />`;
  if (data.error && !data.data) return html`<div class="page"><${ErrorText} error=${data.error} /></div>`;
  const { projects, depts, users } = data.data;
  const changed = (np) => {
    data.setData({ ...data.data, projects: [...projects.filter((x) => x.id !== np.id), np] });
    reloadProjects();
  };
  const reloadOne = async (id) => {
    try {
      const np = await api.project(id);
      changed(np);
      return np;
    } catch (e) {
      toast.error(e);
      return null;
    }
  };
  const needle = q.trim().toLowerCase();
  const shown = projects
    .filter((p) => showArchived || !p.archived)
    .filter((p) => !needle || p.name.toLowerCase().includes(needle) || (p.business_types || []).some((b) => b.toLowerCase().includes(needle)))
    .sort((a, b) => (a.builtin ? -1 : 0) - (b.builtin ? -1 : 0) || a.id - b.id);
  const archivedCount = projects.filter((p) => p.archived).length;
  const managed = dialog && dialog.kind === 'manage' ? projects.find((p) => p.id === dialog.id) : null;

  return html`<div class="page" data-testid="projects-page">
    <${PageHeader} title=${t('projects.title')} subtitle=${t('projects.subtitle', { n: projects.length })}>
      <button type="button" class="btn btn-primary" onClick=${() => setDialog({ kind: 'create' })} data-testid="project-create-open">
        <${Icon} name="plus" /> ${t('projects.create')}</button>
    <//>
    <div class="toolbar">
      <input type="search" class="search" placeholder=${t('projects.search')} value=${q}
        onInput=${(e) => setQ(e.target.value)} data-testid="projects-search" />
      <label class="check">
        <input type="checkbox" checked=${showArchived} onChange=${(e) => setShowArchived(e.target.checked)}
          data-testid="projects-show-archived" />
        <span>${t('projects.showArchived', { n: archivedCount })}</span>
      </label>
    </div>
    ${shown.length === 0
      ? html`<${Empty}>${t('common.noResults')}<//>`
      : html`<div class="table-wrap">
          <table class="table responsive" data-testid="projects-table">
            <thead><tr>
              <th>${t('projects.name')}</th><th>${t('projects.department')}</th><th>${t('projects.members')}</th>
              <th>${t('projects.businessTypes')}</th><th>${t('projects.status')}</th><th class="actions-col">${t('common.actions')}</th>
            </tr></thead>
            <tbody>
              ${shown.map(
                (p) => html`<tr key=${p.id} data-testid="project-row" data-name=${p.name} class=${p.archived ? 'row-muted' : ''}>
                  <td data-label=${t('projects.name')}>
                    <span class="strong">${p.name}</span>
                    ${p.builtin === 'erp' && html` <span class="badge badge-erp">${t('projects.builtinErp')}</span>`}
                  </td>
                  <td data-label=${t('projects.department')}>${p.department_id != null ? deptPath(depts, p.department_id) || `#${p.department_id}` : html`<span class="muted">—</span>`}</td>
                  <td data-label=${t('projects.members')}>${p.members.length}</td>
                  <td data-label=${t('projects.businessTypes')}>
                    ${(p.business_types || []).length
                      ? html`<div class="tags">${p.business_types.map((b) => html`<span class="tag tag-static" key=${b}>${businessTypeLabel(b)}</span>`)}</div>`
                      : html`<span class="muted">—</span>`}
                  </td>
                  <td data-label=${t('projects.status')}>
                    ${p.archived
                      ? html`<span class="badge badge-muted">${t('projects.archived')}</span>`
                      : html`<span class="badge badge-ok">${t('projects.active')}</span>`}
                  </td>
                  <td class="actions-col">
                    <div class="row-actions">
                      <button type="button" class="btn btn-sm" data-testid="project-manage"
                        onClick=${() => setDialog({ kind: 'manage', id: p.id })}>${t('common.manage')}</button>
                    </div>
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`}
    ${dialog && dialog.kind === 'create' &&
    html`<${CreateProjectDialog} depts=${depts} users=${users} onClose=${close}
      onCreated=${(p) => {
        changed(p);
        close();
      }} />`}
    ${managed &&
    html`<${ManageProjectDialog} key=${managed.id} project=${managed} depts=${depts} users=${users}
      onClose=${close} onChanged=${changed} reloadOne=${reloadOne} />`}
  </div>`;
}
