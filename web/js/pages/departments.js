// Admin: departments — tree with parents, create, rename / move, delete.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api } from '../api.js';
import { descendants, deptPath, flattenTree, optionLabel } from '../depts.js';
import { t } from '../i18n.js';
import { Confirm, Empty, ErrorText, Field, Icon, Loading, Modal, PageHeader, toast, useLoader } from '../ui.js';

function ParentSelect({ depts, value, onChange, exclude, testid }) {
  return html`<select value=${value == null ? '' : String(value)} data-testid=${testid}
    onChange=${(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}>
    <option value="">${t('departments.noParent')}</option>
    ${flattenTree(depts)
      .filter((x) => !exclude || !exclude.has(x.dept.id))
      .map((x) => html`<option key=${x.dept.id} value=${String(x.dept.id)}>${optionLabel(x)}</option>`)}
  </select>`;
}

function CreateDepartment({ depts, onCreated }) {
  const [name, setName] = useState('');
  const [parent, setParent] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (!name.trim()) return setError(new Error(t('departments.nameMissing')));
    setBusy(true);
    setError(null);
    try {
      const body = { name: name.trim() };
      if (parent != null) body.parent_id = parent;
      const d = await api.createDepartment(body);
      toast.ok(t('departments.created', { name: d.name }));
      setName('');
      onCreated(d);
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<section class="card">
    <h2 class="card-title">${t('departments.create')}</h2>
    <form class="form form-inline" onSubmit=${submit} data-testid="department-create-form">
      <${Field} label=${t('departments.name')}>
        <input type="text" value=${name} onInput=${(e) => setName(e.target.value)} data-testid="department-create-name" />
      <//>
      <${Field} label=${t('departments.parent')}>
        <${ParentSelect} depts=${depts} value=${parent} onChange=${setParent} testid="department-create-parent" />
      <//>
      <div class="form-inline-actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="department-create-submit">
          <${Icon} name="plus" /> ${t('common.create')}</button>
      </div>
    </form>
    <${ErrorText} error=${error} />
  </section>`;
}

function EditDepartmentDialog({ dept, depts, onClose, onSaved, reload }) {
  const [name, setName] = useState(dept.name);
  const [parent, setParent] = useState(dept.parent_id);
  const [rev, setRev] = useState(dept.rev);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (!name.trim()) return setError(new Error(t('departments.nameMissing')));
    setBusy(true);
    setError(null);
    try {
      const patch = { name: name.trim(), rev };
      if (parent !== dept.parent_id) patch.parent_id = parent;
      await api.updateDepartment(dept.id, patch);
      toast.ok(t('common.saved'));
      onSaved();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const onReload = async () => {
    const d = await reload();
    const fresh = d && d.depts.find((x) => x.id === dept.id);
    if (fresh) {
      setName(fresh.name);
      setParent(fresh.parent_id);
      setRev(fresh.rev);
      setError(null);
    }
  };
  return html`<${Modal} title=${t('departments.editTitle')} onClose=${onClose} testid="department-edit-dialog">
    <form class="form" onSubmit=${submit} data-testid="department-edit-form">
      <${Field} label=${t('departments.name')}>
        <input type="text" value=${name} onInput=${(e) => setName(e.target.value)} data-testid="department-edit-name" />
      <//>
      <${Field} label=${t('departments.parent')}>
        <${ParentSelect} depts=${depts} value=${parent} onChange=${setParent} exclude=${descendants(depts, dept.id)}
          testid="department-edit-parent" />
      <//>
      <${ErrorText} error=${error} onReload=${onReload} />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="department-edit-submit">${t('common.save')}</button>
      </div>
    </form>
  <//>`;
}

export function DepartmentsPage() {
  const data = useLoader(async () => {
    const depts = (await api.departments()).items || [];
    let users = null;
    try {
      users = (await api.users()).items || [];
    } catch (_) {
      users = null;
    }
    return { depts, users };
  }, []);
  const [dialog, setDialog] = useState(null);
  const close = () => setDialog(null);
  if (data.loading && !data.data) return html`<${Loading} />`;
  if (data.error && !data.data) return html`<div class="page"><${ErrorText} error=${data.error} /></div>`;
  const { depts, users } = data.data;
  const tree = flattenTree(depts);
  const userCount = (id) => (users ? users.filter((u) => u.department_id === id).length : null);
  const childCount = (id) => depts.filter((d) => d.parent_id === id).length;

  return html`<div class="page" data-testid="departments-page">
    <${PageHeader} title=${t('departments.title')} subtitle=${t('departments.subtitle', { n: depts.length })} />
    <${CreateDepartment} depts=${depts} onCreated=${() => data.reload()} />
    <section class="card card-flush">
      ${tree.length === 0
        ? html`<${Empty}>${t('departments.empty')}<//>`
        : html`<ul class="tree" data-testid="departments-tree">
            ${tree.map(({ dept, depth }) => {
              const n = userCount(dept.id);
              return html`<li key=${dept.id} class=${`tree-row depth-${Math.min(depth, 6)}`} data-testid="department-row"
                data-name=${dept.name}>
                <div class="tree-main">
                  <span class="tree-branch" aria-hidden="true">${depth ? '└' : ''}</span>
                  <${Icon} name="tree" cls="tree-icon" />
                  <div>
                    <div class="strong">${dept.name}</div>
                    <div class="muted small">
                      ${dept.parent_id != null ? `${t('departments.parent')}: ${deptPath(depts, dept.parent_id)}` : t('departments.topLevel')}
                      ${n != null ? ` · ${t('departments.userCount', { n })}` : ''}
                    </div>
                  </div>
                </div>
                <div class="row-actions">
                  <button type="button" class="btn btn-sm" data-testid="department-edit"
                    onClick=${() => setDialog({ kind: 'edit', dept })}>${t('departments.rename')}</button>
                  <button type="button" class="btn btn-sm btn-danger-ghost" data-testid="department-delete"
                    onClick=${() => setDialog({ kind: 'delete', dept })}>${t('common.delete')}</button>
                </div>
              </li>`;
            })}
          </ul>`}
    </section>
    ${dialog && dialog.kind === 'edit' &&
    html`<${EditDepartmentDialog} dept=${dialog.dept} depts=${depts} onClose=${close} reload=${data.reload}
      onSaved=${() => {
        close();
        data.reload();
      }} />`}
    ${dialog && dialog.kind === 'delete' &&
    html`<${Confirm} title=${t('departments.deleteTitle')} danger confirmLabel=${t('common.delete')}
      message=${childCount(dialog.dept.id) || userCount(dialog.dept.id)
        ? t('departments.deleteBlocked', { name: dialog.dept.name })
        : t('departments.deleteConfirm', { name: dialog.dept.name })}
      onClose=${close}
      onConfirm=${async () => {
        await api.deleteDepartment(dialog.dept.id);
        toast.ok(t('departments.deleted', { name: dialog.dept.name }));
        data.reload();
      }} />`}
  </div>`;
}
