// The signed-in user's own settings: profile and password.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api } from '../api.js';
import { useApp } from '../context.js';
import { t } from '../i18n.js';
import { ErrorText, Field, Modal, PageHeader, toast } from '../ui.js';
import { LangSwitch } from './login.js';

export function ChangePasswordForm({ onCancel }) {
  const { sessionEnded } = useApp();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (!current || !next) return setError(new Error(t('account.passwordMissing')));
    if (next !== confirm) return setError(new Error(t('account.passwordMismatch')));
    setBusy(true);
    setError(null);
    try {
      await api.changePassword(current, next);
      // Every session (this one included) is revoked: back to the login page.
      sessionEnded('login.passwordChanged');
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<form class="form" onSubmit=${submit} data-testid="password-form">
    <${Field} label=${t('account.currentPassword')}>
      <input type="password" autocomplete="current-password" value=${current}
        onInput=${(e) => setCurrent(e.target.value)} data-testid="password-current" />
    <//>
    <${Field} label=${t('account.newPassword')}>
      <input type="password" autocomplete="new-password" value=${next}
        onInput=${(e) => setNext(e.target.value)} data-testid="password-new" />
    <//>
    <${Field} label=${t('account.confirmPassword')}>
      <input type="password" autocomplete="new-password" value=${confirm}
        onInput=${(e) => setConfirm(e.target.value)} data-testid="password-confirm" />
    <//>
    <p class="muted small">${t('account.passwordNote')}</p>
    <${ErrorText} error=${error} />
    <div class="form-actions">
      ${onCancel && html`<button type="button" class="btn" onClick=${onCancel}>${t('common.cancel')}</button>`}
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="password-submit">
        ${t('account.changePassword')}</button>
    </div>
  </form>`;
}

export function ChangePasswordDialog({ onClose }) {
  return html`<${Modal} title=${t('account.changePassword')} onClose=${onClose} testid="password-dialog">
    <${ChangePasswordForm} onCancel=${onClose} />
  <//>`;
}

export function AccountPage() {
  const { me, setMe, setLanguage } = useApp();
  const [displayName, setDisplayName] = useState(me.display_name || '');
  const [email, setEmail] = useState(me.email || '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const user = await api.updateMe({ display_name: displayName.trim(), email: email.trim() || null });
      setMe(user);
      toast.ok(t('common.saved'));
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<div class="page">
    <${PageHeader} title=${t('account.title')} subtitle=${`@${me.username} · ${t(`roles.${me.role}`)}`} />
    <div class="grid-2">
      <section class="card">
        <h2 class="card-title">${t('account.profile')}</h2>
        <form class="form" onSubmit=${save} data-testid="profile-form">
          <${Field} label=${t('users.displayName')}>
            <input type="text" value=${displayName} onInput=${(e) => setDisplayName(e.target.value)}
              data-testid="profile-display-name" />
          <//>
          <${Field} label=${t('users.email')}>
            <input type="email" value=${email} onInput=${(e) => setEmail(e.target.value)} data-testid="profile-email" />
          <//>
          <div class="field">
            <span class="field-label">${t('menu.language')}</span>
            <${LangSwitch} setLanguage=${setLanguage} idPrefix="profile-" />
          </div>
          <${ErrorText} error=${error} />
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="profile-save">${t('common.save')}</button>
          </div>
        </form>
      </section>
      <section class="card" id="password">
        <h2 class="card-title">${t('account.changePassword')}</h2>
        <${ChangePasswordForm} />
      </section>
    </div>
  </div>`;
}
