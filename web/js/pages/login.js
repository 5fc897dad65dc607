// The login page.
import { html, useEffect, useRef, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api } from '../api.js';
import { getLang, t } from '../i18n.js';
import { ErrorText } from '../ui.js';
import { LoginSecondStep } from '../two-factor.js';

export function LangSwitch({ setLanguage, cls, idPrefix = '' }) {
  const lang = getLang();
  return html`<div class=${`lang-switch ${cls || ''}`} role="group" aria-label=${t('menu.language')}>
    <button type="button" class=${`seg ${lang === 'zh-CN' ? 'seg-on' : ''}`} aria-pressed=${lang === 'zh-CN'}
      lang="zh-CN" data-testid=${`${idPrefix}lang-zh`} onClick=${() => setLanguage('zh-CN')}>简体中文</button>
    <button type="button" class=${`seg ${lang === 'en' ? 'seg-on' : ''}`} aria-pressed=${lang === 'en'}
      lang="en" data-testid=${`${idPrefix}lang-en`} onClick=${() => setLanguage('en')}>English</button>
  </div>`;
}

export function LoginPage({ notice, onLoggedIn, setLanguage }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [second, setSecond] = useState(null); // the password step's answer when a code must follow
  const userField = useRef(null);
  // the one thing to do here is sign in: start in the username field
  useEffect(() => {
    if (userField.current) userField.current.focus();
  }, []);

  const submit = async (e) => {
    e.preventDefault();
    if (!username.trim() || !password) {
      setError(new Error(t('login.missing')));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const res = await api.login(username.trim(), password);
      if (res.challenge) {
        setSecond(res);
        setBusy(false);
        return;
      }
      await onLoggedIn(res);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return html`<main class="login-page" data-testid="login-page">
    <div class="login-card">
      <div class="login-brand">
        <img src="/favicon.svg" alt="" class="login-logo" width="40" height="40" />
        <div>
          <div class="login-product">Baton</div>
          <div class="login-tagline">${t('app.tagline')}</div>
        </div>
      </div>
      <h1 class="login-title">${t('login.title')}</h1>
      ${notice && notice.key && html`<div class="alert alert-info" role="status" data-testid="login-notice">${t(notice.key)}</div>`}
      ${notice && notice.error && html`<${ErrorText} error=${notice.error} />`}
      ${second && html`<${LoginSecondStep} step=${second} onLoggedIn=${onLoggedIn}
        onBack=${(msg) => { setSecond(null); setPassword(''); setError(msg ? new Error(msg) : null); }} />`}
      ${!second && html`<form class="form" onSubmit=${submit} data-testid="login-form" novalidate>
        <label class="field">
          <span class="field-label">${t('login.username')}</span>
          <input type="text" name="username" autocomplete="username" autocapitalize="none" spellcheck="false"
            value=${username} onInput=${(e) => setUsername(e.target.value)} data-testid="login-username" required ref=${userField} />
        </label>
        <label class="field">
          <span class="field-label">${t('login.password')}</span>
          <input type="password" name="password" autocomplete="current-password" value=${password}
            onInput=${(e) => setPassword(e.target.value)} data-testid="login-password" required />
        </label>
        <${ErrorText} error=${error} testid="login-error" />
        <button type="submit" class="btn btn-primary btn-block" disabled=${busy} data-testid="login-submit">
          ${busy ? t('login.submitting') : t('login.submit')}
        </button>
      </form>`}
      <div class="login-foot">
        <${LangSwitch} setLanguage=${setLanguage} />
      </div>
    </div>
  </main>`;
}
