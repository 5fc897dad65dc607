// Two-factor sign-in: the login's code step (and the set-up a company policy requires
// there), the Me page's card (set up, recovery codes, turn off) and the admins' policy.
import { html, useEffect, useRef, useState } from '../vendor/htm-preact-standalone.mjs';
import { ApiError, apiRequest } from './api.js';
import { fmtTime, t } from './i18n.js';
import { ErrorText, Field, Loading, Modal, copyText, toast, useLoader } from './ui.js';

const tfa = {
  loginCode: (challenge, code) => apiRequest('POST', '/api/login/code', { challenge, code }, { noAuthRedirect: true }),
  status: () => apiRequest('GET', '/api/me/two-factor'),
  enrol: () => apiRequest('POST', '/api/me/two-factor/enrol'),
  confirm: (code) => apiRequest('POST', '/api/me/two-factor/confirm', { code }),
  disable: (password, code) => apiRequest('POST', '/api/me/two-factor/disable', { password, code }),
  policy: () => apiRequest('GET', '/api/admin/two-factor-policy'),
  setPolicy: (require) => apiRequest('PUT', '/api/admin/two-factor-policy', { require }),
};

/** A wrong code reads as such (not "wrong username or password"); an expired step says so. */
function codeError(err) {
  if (err instanceof ApiError && err.code === 'invalid_credentials') return new Error(t('twoFactor.wrongCode'));
  return err;
}

function expired(err) {
  return err instanceof ApiError && err.code === 'invalid' && err.field === 'challenge';
}

/** The box for a code: the phone offers the digits from an SMS-style suggestion bar. */
function CodeInput({ value, onInput, recovery, testid, inputRef }) {
  return html`<input ref=${inputRef} type="text" name="one-time-code" autocomplete="one-time-code" spellcheck="false" autocapitalize="none"
    inputmode=${recovery ? 'text' : 'numeric'} maxlength=${recovery ? 20 : 8} class="code-input"
    value=${value} onInput=${(e) => onInput(e.target.value)} data-testid=${testid} />`;
}

/** The QR code (an SVG drawn by the server, shown as an image: no markup is injected) and the key as text. */
function EnrolSetup({ enrolment }) {
  const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qr_svg)}`;
  const key = enrolment.secret.replace(/(.{4})/g, '$1 ').trim();
  return html`<div class="tfa-setup">
    <p class="small">${t('twoFactor.scan')}</p>
    <img class="tfa-qr" src=${src} alt=${t('twoFactor.qrAlt')} width="200" height="200" data-testid="tfa-qr" />
    <div class="field">
      <span class="field-label">${t('twoFactor.secret')}</span>
      <code class="tfa-secret mono" data-testid="tfa-secret" data-secret=${enrolment.secret}>${key}</code>
    </div>
  </div>`;
}

/** The ten recovery codes, shown once. */
export function RecoveryCodes({ codes, onDone, doneLabel }) {
  const copy = async () => {
    if (await copyText(codes.join('\n'))) toast.ok(t('twoFactor.copied'));
  };
  return html`<div class="tfa-recovery" data-testid="tfa-recovery">
    <h3 class="card-subtitle">${t('twoFactor.recoveryTitle')}</h3>
    <p class="small">${t('twoFactor.recoveryText')}</p>
    <ol class="tfa-codes mono" data-testid="tfa-recovery-codes">${codes.map((c) => html`<li key=${c}>${c}</li>`)}</ol>
    <div class="form-actions">
      <button type="button" class="btn" onClick=${copy}>${t('twoFactor.copy')}</button>
      <button type="button" class="btn btn-primary" onClick=${onDone} data-testid="tfa-recovery-done">${doneLabel || t('twoFactor.done')}</button>
    </div>
  </div>`;
}

/**
 * The login's second step. `step` is the password step's answer: `code` (enter the
 * app's code or a recovery code) or `enrol` (set it up first, as the company requires).
 */
export function LoginSecondStep({ step, onLoggedIn, onBack }) {
  const enrol = step.step === 'enrol';
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null); // login answer carrying recovery codes
  const field = useRef(null);
  // the one thing to do on this step is type the code
  useEffect(() => {
    if (field.current) field.current.focus();
  }, [recovery]);
  if (done) return html`<${RecoveryCodes} codes=${done.recovery_codes} onDone=${() => onLoggedIn(done)} doneLabel=${t('twoFactor.continue')} />`;
  const submit = async (e) => {
    e.preventDefault();
    if (!code.trim()) {
      setError(new Error(t('twoFactor.codeMissing')));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const res = await tfa.loginCode(step.challenge, code);
      if (res.recovery_codes) setDone(res);
      else await onLoggedIn(res);
    } catch (err) {
      setBusy(false);
      if (expired(err)) {
        onBack(t('twoFactor.expired'));
        return;
      }
      setError(codeError(err));
      setCode('');
    }
  };
  return html`<form class="form" onSubmit=${submit} data-testid="tfa-login-form" novalidate>
    <h2 class="login-subtitle">${enrol ? t('twoFactor.enrolTitle') : t('twoFactor.loginTitle')}</h2>
    <p class="small">${enrol ? t('twoFactor.enrolText') : recovery ? t('twoFactor.recoveryLoginText') : t('twoFactor.loginText')}</p>
    ${enrol && html`<${EnrolSetup} enrolment=${step.enrolment} />`}
    <label class="field">
      <span class="field-label">${recovery ? t('twoFactor.recoveryCode') : t('twoFactor.code')}</span>
      <${CodeInput} value=${code} onInput=${setCode} recovery=${recovery} testid="tfa-login-code" inputRef=${field} />
    </label>
    <${ErrorText} error=${error} testid="tfa-login-error" />
    <button type="submit" class="btn btn-primary btn-block" disabled=${busy} data-testid="tfa-login-submit">
      ${busy ? t('twoFactor.verifying') : t('twoFactor.verify')}</button>
    <div class="form-actions form-actions-start">
      ${!enrol && html`<button type="button" class="btn btn-link" data-testid="tfa-use-recovery"
        onClick=${() => { setRecovery(!recovery); setCode(''); setError(null); }}>
        ${recovery ? t('twoFactor.useApp') : t('twoFactor.useRecovery')}</button>`}
      <button type="button" class="btn btn-link" onClick=${() => onBack(null)} data-testid="tfa-back">${t('twoFactor.back')}</button>
    </div>
  </form>`;
}

function EnrolDialog({ onClose, onDone }) {
  const started = useLoader(() => tfa.enrol(), []);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [codes, setCodes] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await tfa.confirm(code);
      setCodes(res.recovery_codes);
      onDone();
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  let body;
  if (codes) body = html`<${RecoveryCodes} codes=${codes} onDone=${onClose} />`;
  else if (!started.data) body = started.error ? html`<${ErrorText} error=${started.error} />` : html`<${Loading} />`;
  else
    body = html`<form class="form" onSubmit=${submit} novalidate>
      <${EnrolSetup} enrolment=${started.data} />
      <${Field} label=${t('twoFactor.code')} hint=${t('twoFactor.codeHint')}>
        <${CodeInput} value=${code} onInput=${setCode} testid="tfa-enrol-code" />
      <//>
      <${ErrorText} error=${error} testid="tfa-enrol-error" />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy || !code.trim()} data-testid="tfa-enrol-confirm">${t('twoFactor.confirm')}</button>
      </div>
    </form>`;
  return html`<${Modal} title=${t('twoFactor.setUpTitle')} onClose=${onClose} testid="tfa-enrol-dialog">${body}<//>`;
}

function DisableDialog({ onClose, onDone }) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await tfa.disable(password, code);
      toast.ok(t('twoFactor.turnedOff'));
      onDone();
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<${Modal} title=${t('twoFactor.turnOffTitle')} onClose=${onClose} testid="tfa-disable-dialog">
    <form class="form" onSubmit=${submit} novalidate>
      <${Field} label=${t('twoFactor.password')}>
        <input type="password" autocomplete="current-password" value=${password} onInput=${(e) => setPassword(e.target.value)}
          data-testid="tfa-disable-password" />
      <//>
      <${Field} label=${t('twoFactor.codeOrRecovery')}>
        <${CodeInput} value=${code} onInput=${setCode} recovery testid="tfa-disable-code" />
      <//>
      <${ErrorText} error=${error} />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-danger" disabled=${busy || !password || !code.trim()} data-testid="tfa-disable-ok">${t('twoFactor.turnOff')}</button>
      </div>
    </form>
  <//>`;
}

/** The Me page's card: state, set up, turn off. */
export function TwoFactorCard() {
  const st = useLoader(() => tfa.status(), []);
  const [dialog, setDialog] = useState(null); // 'enrol' | 'disable'
  const s = st.data;
  return html`<div class="card" data-testid="tfa-card">
    <h2 class="card-title">${t('twoFactor.title')}</h2>
    ${!s
      ? st.error ? html`<${ErrorText} error=${st.error} />` : html`<${Loading} />`
      : html`<p>
          <span class=${`badge ${s.enabled ? 'badge-ok' : 'badge-muted'}`} data-testid="tfa-state">${s.enabled ? t('twoFactor.on') : t('twoFactor.off')}</span>
          ${s.enabled && html` <span class="muted small">${t('twoFactor.onSince', { time: fmtTime(s.enabled_at) })} · ${t('twoFactor.codesLeft', { n: s.recovery_codes_left })}</span>`}
        </p>
        <p class="muted small">${t('twoFactor.intro')}</p>
        ${s.required && html`<p class="small" data-testid="tfa-required">${t('twoFactor.required')}</p>`}
        <div class="form-actions form-actions-start">
          ${s.enabled
            ? !s.required && html`<button type="button" class="btn" onClick=${() => setDialog('disable')} data-testid="tfa-disable-open">${t('twoFactor.turnOff')}</button>`
            : html`<button type="button" class="btn btn-primary" onClick=${() => setDialog('enrol')} data-testid="tfa-enrol-open">${t('twoFactor.setUp')}</button>`}
        </div>`}
    ${dialog === 'enrol' && html`<${EnrolDialog} onClose=${() => setDialog(null)} onDone=${() => st.reload()} />`}
    ${dialog === 'disable' && html`<${DisableDialog} onClose=${() => setDialog(null)} onDone=${() => st.reload()} />`}
  </div>`;
}

const POLICIES = ['off', 'admins', 'everyone'];

/** Company admins: who must use two-factor sign-in. */
export function TwoFactorPolicyCard() {
  const p = useLoader(() => tfa.policy(), []);
  const [error, setError] = useState(null);
  if (!p.data) return p.error ? html`<${ErrorText} error=${p.error} />` : null;
  const pick = async (require) => {
    setError(null);
    try {
      p.setData(await tfa.setPolicy(require));
      toast.ok(t('common.saved'));
    } catch (err) {
      setError(err);
    }
  };
  return html`<div class="card" data-testid="tfa-policy">
    <h2 class="card-title">${t('twoFactor.policyTitle')}</h2>
    <p class="muted small">${t('twoFactor.policyText')}</p>
    <fieldset class="tfa-policy-options">
      <legend class="offscreen">${t('twoFactor.policyTitle')}</legend>
      ${POLICIES.map((v) => html`<label key=${v} class="check">
        <input type="radio" name="tfa-policy" value=${v} checked=${p.data.require === v}
          onChange=${() => pick(v)} data-testid=${`tfa-policy-${v}`} /> ${t(`twoFactor.policy_${v}`)}
      </label>`)}
    </fieldset>
    <${ErrorText} error=${error} testid="tfa-policy-error" />
  </div>`;
}
