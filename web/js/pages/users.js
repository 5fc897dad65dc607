// Admin: users — list, create, edit (role, department, ERP flag, disabled), reset password.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api } from '../api.js';
import { ROLES, isCompanyAdmin, useApp } from '../context.js';
import { deptPath, flattenTree, optionLabel } from '../depts.js';
import { fmtTime, t } from '../i18n.js';
import { Avatar, Empty, ErrorText, Field, Icon, Loading, Modal, PageHeader, toast, useLoader } from '../ui.js';
import { TwoFactorPolicyCard } from '../two-factor.js';
import { UserChatLinks } from '../chat-apps.js';

function DeptSelect({ depts, value, onChange, testid }) {
  return html`<select value=${value == null ? '' : String(value)} data-testid=${testid}
    onChange=${(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}>
    <option value="">${t('users.noDepartment')}</option>
    ${flattenTree(depts).map((x) => html`<option key=${x.dept.id} value=${String(x.dept.id)}>${optionLabel(x)}</option>`)}
  </select>`;
}

function RoleSelect({ value, onChange, testid, me }) {
  // A department admin cannot hand out company admin; the server checks too.
  const roles = isCompanyAdmin(me) ? ROLES : ROLES.filter((r) => r !== 'company_admin' || r === value);
  return html`<select value=${value} onChange=${(e) => onChange(e.target.value)} data-testid=${testid}>
    ${roles.map((r) => html`<option key=${r} value=${r}>${t(`roles.${r}`)}</option>`)}
  </select>`;
}

function CreateUserDialog({ depts, onClose, onCreated }) {
  const { me } = useApp();
  const [f, setF] = useState({
    username: '',
    display_name: '',
    email: '',
    department_id: me.role === 'department_admin' ? me.department_id : null,
    role: 'member',
    erp: false,
    password: '',
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const submit = async (e) => {
    e.preventDefault();
    if (!f.username.trim() || !f.password) return setError(new Error(t('users.missingFields')));
    setBusy(true);
    setError(null);
    try {
      const body = {
        username: f.username.trim(),
        display_name: f.display_name.trim() || f.username.trim(),
        role: f.role,
        erp: f.erp,
        password: f.password,
      };
      if (f.email.trim()) body.email = f.email.trim();
      if (f.department_id != null) body.department_id = f.department_id;
      const user = await api.createUser(body);
      toast.ok(t('users.created', { name: user.display_name || user.username }));
      onCreated(user);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<${Modal} title=${t('users.create')} onClose=${onClose} testid="user-create-dialog">
    <form class="form" onSubmit=${submit} data-testid="user-create-form" autocomplete="off">
      <div class="form-grid">
        <${Field} label=${t('users.username')} hint=${t('users.usernameHint')}>
          <input type="text" value=${f.username} autocapitalize="none" spellcheck="false" required
            onInput=${(e) => set('username')(e.target.value)} data-testid="user-create-username" />
        <//>
        <${Field} label=${t('users.displayName')}>
          <input type="text" value=${f.display_name} onInput=${(e) => set('display_name')(e.target.value)}
            data-testid="user-create-display-name" />
        <//>
        <${Field} label=${t('users.email')}>
          <input type="email" value=${f.email} onInput=${(e) => set('email')(e.target.value)} data-testid="user-create-email" />
        <//>
        <${Field} label=${t('users.department')}>
          <${DeptSelect} depts=${depts} value=${f.department_id} onChange=${set('department_id')} testid="user-create-department" />
        <//>
        <${Field} label=${t('users.role')}>
          <${RoleSelect} me=${me} value=${f.role} onChange=${set('role')} testid="user-create-role" />
        <//>
        <${Field} label=${t('users.initialPassword')}>
          <input type="password" value=${f.password} autocomplete="new-password" required
            onInput=${(e) => set('password')(e.target.value)} data-testid="user-create-password" />
        <//>
      </div>
      ${me.role === 'company_admin' && html`<label class="check">
        <input type="checkbox" checked=${f.erp} onChange=${(e) => set('erp')(e.target.checked)} data-testid="user-create-erp" />
        <span>${t('users.erpFlag')}</span>
      </label>
      <p class="field-hint">${t('users.erpHint')}</p>`}
      <${ErrorText} error=${error} />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="user-create-submit">${t('common.create')}</button>
      </div>
    </form>
  <//>`;
}

function EditUserDialog({ user, depts, onClose, onSaved, reloadUser }) {
  const { me, setMe } = useApp();
  const fresh = (u) => ({
    display_name: u.display_name || '',
    email: u.email || '',
    department_id: u.department_id,
    role: u.role,
    erp: !!u.erp,
    disabled: !!u.disabled,
    rev: u.rev,
  });
  const [f, setF] = useState(fresh(user));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const saved = await api.updateUser(user.id, {
        display_name: f.display_name.trim(),
        email: f.email.trim() || null,
        department_id: f.department_id,
        role: f.role,
        erp: f.erp,
        disabled: f.disabled,
        rev: f.rev,
      });
      if (saved.id === me.id) setMe(saved);
      toast.ok(t('common.saved'));
      onSaved(saved);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const reload = async () => {
    const u = await reloadUser(user.id);
    if (u) {
      setF(fresh(u));
      setError(null);
    }
  };
  return html`<${Modal} title=${t('users.editTitle', { name: user.username })} onClose=${onClose} testid="user-edit-dialog">
    <form class="form" onSubmit=${submit} data-testid="user-edit-form">
      <div class="form-grid">
        <${Field} label=${t('users.displayName')}>
          <input type="text" value=${f.display_name} onInput=${(e) => set('display_name')(e.target.value)}
            data-testid="user-edit-display-name" />
        <//>
        <${Field} label=${t('users.email')}>
          <input type="email" value=${f.email} onInput=${(e) => set('email')(e.target.value)} data-testid="user-edit-email" />
        <//>
        <${Field} label=${t('users.department')}>
          <${DeptSelect} depts=${depts} value=${f.department_id} onChange=${set('department_id')} testid="user-edit-department" />
        <//>
        <${Field} label=${t('users.role')}>
          <${RoleSelect} me=${me} value=${f.role} onChange=${set('role')} testid="user-edit-role" />
        <//>
      </div>
      ${me.role === 'company_admin' && html`<label class="check">
        <input type="checkbox" checked=${f.erp} onChange=${(e) => set('erp')(e.target.checked)} data-testid="user-edit-erp" />
        <span>${t('users.erpFlag')}</span>
      </label>`}
      <label class="check">
        <input type="checkbox" checked=${f.disabled} onChange=${(e) => set('disabled')(e.target.checked)}
          data-testid="user-edit-disabled" />
        <span>${t('users.disabledFlag')}</span>
      </label>
      <p class="field-hint">${t('users.disabledHint')}</p>
      <${ErrorText} error=${error} onReload=${reload} />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="user-edit-submit">${t('common.save')}</button>
      </div>
    </form>
    ${me.role === 'company_admin' && html`<${UserChatLinks} userId=${user.id} />`}
  <//>`;
}

function ResetPasswordDialog({ user, onClose }) {
  const [pw, setPw] = useState('');
  const [pw2, setPw2] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (!pw) return setError(new Error(t('account.passwordMissing')));
    if (pw !== pw2) return setError(new Error(t('account.passwordMismatch')));
    setBusy(true);
    setError(null);
    try {
      await api.resetPassword(user.id, pw);
      toast.ok(t('users.passwordReset', { name: user.username }));
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<${Modal} title=${t('users.resetPasswordTitle', { name: user.username })} onClose=${onClose}
    testid="user-password-dialog">
    <form class="form" onSubmit=${submit} data-testid="user-password-form">
      <${Field} label=${t('account.newPassword')}>
        <input type="password" autocomplete="new-password" value=${pw} onInput=${(e) => setPw(e.target.value)}
          data-testid="user-password-new" />
      <//>
      <${Field} label=${t('account.confirmPassword')}>
        <input type="password" autocomplete="new-password" value=${pw2} onInput=${(e) => setPw2(e.target.value)}
          data-testid="user-password-confirm" />
      <//>
      <p class="field-hint">${t('users.resetPasswordHint')}</p>
      <${ErrorText} error=${error} />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="user-password-submit">
          ${t('users.resetPassword')}</button>
      </div>
    </form>
  <//>`;
}

export function UsersPage() {
  const { me } = useApp();
  const data = useLoader(async () => {
    const [users, depts] = await Promise.all([api.users(), api.departments()]);
    return { users: users.items || [], depts: depts.items || [] };
  }, []);
  const [dialog, setDialog] = useState(null); // {kind, user}
  const [q, setQ] = useState('');
  const close = () => setDialog(null);

  if (data.loading && !data.data) return html`<${Loading} />`;
  if (data.error && !data.data) return html`<div class="page"><${ErrorText} error=${data.error} /></div>`;
  const { users, depts } = data.data;
  const needle = q.trim().toLowerCase();
  const shown = users
    .filter(
      (u) =>
        !needle ||
        u.username.toLowerCase().includes(needle) ||
        (u.display_name || '').toLowerCase().includes(needle) ||
        (u.email || '').toLowerCase().includes(needle),
    )
    .sort((a, b) => a.id - b.id);
  const reloadUser = async (id) => {
    const d = await data.reload();
    return d && d.users.find((u) => u.id === id);
  };
  const saved = (u) => {
    data.setData({ users: [...users.filter((x) => x.id !== u.id), u], depts });
    close();
  };

  return html`<div class="page" data-testid="users-page">
    <${PageHeader} title=${t('users.title')} subtitle=${t('users.subtitle', { n: users.length })}>
      <button type="button" class="btn btn-primary" onClick=${() => setDialog({ kind: 'create' })} data-testid="user-create-open">
        <${Icon} name="plus" /> ${t('users.create')}</button>
    <//>
    <div class="toolbar">
      <input type="search" class="search" placeholder=${t('users.search')} value=${q}
        onInput=${(e) => setQ(e.target.value)} data-testid="users-search" />
    </div>
    ${shown.length === 0
      ? html`<${Empty}>${t('common.noResults')}<//>`
      : html`<div class="table-wrap">
          <table class="table responsive" data-testid="users-table">
            <thead><tr>
              <th>${t('users.user')}</th><th>${t('users.department')}</th><th>${t('users.role')}</th>
              <th>${t('users.status')}</th><th>${t('common.createdAt')}</th><th class="actions-col">${t('common.actions')}</th>
            </tr></thead>
            <tbody>
              ${shown.map(
                (u) => html`<tr key=${u.id} data-testid="user-row" data-username=${u.username}>
                  <td data-label=${t('users.user')}>
                    <div class="cell-user">
                      <${Avatar} name=${u.display_name || u.username} small />
                      <div>
                        <div class="strong">${u.display_name || u.username}</div>
                        <div class="muted small">@${u.username}${u.email ? ` · ${u.email}` : ''}</div>
                      </div>
                    </div>
                  </td>
                  <td data-label=${t('users.department')}>${u.department_id != null ? deptPath(depts, u.department_id) || `#${u.department_id}` : html`<span class="muted">—</span>`}</td>
                  <td data-label=${t('users.role')}>
                    <span class=${`badge badge-role-${u.role}`}>${t(`roles.${u.role}`)}</span>
                    ${u.erp && html` <span class="badge badge-erp">ERP</span>`}
                  </td>
                  <td data-label=${t('users.status')}>
                    ${u.disabled
                      ? html`<span class="badge badge-muted">${t('users.disabled')}</span>`
                      : html`<span class="badge badge-ok">${t('users.active')}</span>`}
                  </td>
                  <td data-label=${t('common.createdAt')} class="nowrap">${fmtTime(u.created_at)}</td>
                  <td class="actions-col">
                    <div class="row-actions">
                      <button type="button" class="btn btn-sm" onClick=${() => setDialog({ kind: 'edit', user: u })}
                        data-testid="user-edit">${t('common.edit')}</button>
                      ${u.id !== me.id &&
                      html`<button type="button" class="btn btn-sm" onClick=${() => setDialog({ kind: 'password', user: u })}
                        data-testid="user-reset-password">${t('users.resetPassword')}</button>`}
                    </div>
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`}
    ${dialog && dialog.kind === 'create' &&
    html`<${CreateUserDialog} depts=${depts} onClose=${close} onCreated=${(u) => saved(u)} />`}
    ${dialog && dialog.kind === 'edit' &&
    html`<${EditUserDialog} user=${dialog.user} depts=${depts} onClose=${close} onSaved=${saved} reloadUser=${reloadUser} />`}
    ${dialog && dialog.kind === 'password' && html`<${ResetPasswordDialog} user=${dialog.user} onClose=${close} />`}
    ${isCompanyAdmin(me) && html`<${TwoFactorPolicyCard} />`}
  </div>`;
}
