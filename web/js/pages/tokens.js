// Admin: API tokens for the ERP and other integrations. The secret is shown once.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api } from '../api.js';
import { fmtTime, t } from '../i18n.js';
import { Confirm, Empty, ErrorText, Field, Icon, Loading, PageHeader, copyText, toast, useLoader } from '../ui.js';

const SCOPES = ['erp:write', 'read'];

function NewTokenBox({ created, onDone }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    const ok = await copyText(created.token);
    setCopied(ok);
    if (ok) toast.ok(t('tokens.copied'));
    else toast.error(new Error(t('tokens.copyFailed')));
  };
  return html`<section class="card card-highlight" data-testid="token-created">
    <h2 class="card-title">${t('tokens.createdTitle', { name: created.info.name })}</h2>
    <p class="alert alert-warn">${t('tokens.showOnce')}</p>
    <div class="secret-box">
      <input type="text" readonly value=${created.token} class="mono" data-testid="token-secret"
        onFocus=${(e) => e.target.select()} aria-label=${t('tokens.secret')} />
      <button type="button" class="btn" onClick=${copy} data-testid="token-copy">
        <${Icon} name="copy" /> ${copied ? t('tokens.copiedShort') : t('tokens.copy')}</button>
    </div>
    <p class="muted small">${t('tokens.usage')}</p>
    <code class="code-block">Authorization: Bearer ${created.token.slice(0, 12)}…</code>
    <div class="form-actions">
      <button type="button" class="btn btn-primary" onClick=${onDone} data-testid="token-done">${t('tokens.done')}</button>
    </div>
  </section>`;
}

function CreateToken({ onCreated }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState(['erp:write']);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const toggle = (s) => setScopes(scopes.includes(s) ? scopes.filter((x) => x !== s) : [...scopes, s]);
  const submit = async (e) => {
    e.preventDefault();
    if (!name.trim()) return setError(new Error(t('tokens.nameMissing')));
    if (!scopes.length) return setError(new Error(t('tokens.scopesMissing')));
    setBusy(true);
    setError(null);
    try {
      const res = await api.createToken(name.trim(), SCOPES.filter((s) => scopes.includes(s)));
      setName('');
      onCreated(res);
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<section class="card">
    <h2 class="card-title">${t('tokens.create')}</h2>
    <form class="form" onSubmit=${submit} data-testid="token-create-form">
      <${Field} label=${t('tokens.name')} hint=${t('tokens.nameHint')}>
        <input type="text" value=${name} onInput=${(e) => setName(e.target.value)} data-testid="token-create-name" />
      <//>
      <fieldset class="fieldset">
        <legend class="field-label">${t('tokens.scopes')}</legend>
        ${SCOPES.map(
          (s) => html`<label class="check" key=${s}>
            <input type="checkbox" checked=${scopes.includes(s)} onChange=${() => toggle(s)}
              data-testid=${`token-scope-${s.replace(':', '-')}`} />
            <span><code>${s}</code> — ${t(`tokens.scope.${s.replace(':', '_')}`)}</span>
          </label>`,
        )}
      </fieldset>
      <${ErrorText} error=${error} />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="token-create-submit">
          <${Icon} name="plus" /> ${t('tokens.createButton')}</button>
      </div>
    </form>
  </section>`;
}

export function TokensPage() {
  const data = useLoader(async () => {
    const tokens = (await api.tokens()).items || [];
    let users = [];
    try {
      users = (await api.users()).items || [];
    } catch (_) {
      users = [];
    }
    return { tokens, users };
  }, []);
  const [created, setCreated] = useState(null);
  const [revoking, setRevoking] = useState(null);
  if (data.loading && !data.data) return html`<${Loading} />`;
  if (data.error && !data.data) return html`<div class="page"><${ErrorText} error=${data.error} /></div>`;
  const { tokens, users } = data.data;
  // `created_by` is a user id in the API contract; the server may also send the username.
  const who = (tk) => {
    const by = tk.created_by;
    if (typeof by === 'string' && by) {
      const u = users.find((x) => x.username === by);
      return u ? u.display_name || u.username : by;
    }
    const id = by != null ? by : tk.owner_id;
    const u = users.find((x) => x.id === id);
    return u ? u.display_name || u.username : id != null ? `#${id}` : '—';
  };
  const sorted = [...tokens].sort((a, b) => (a.revoked === b.revoked ? b.id - a.id : a.revoked ? 1 : -1));
  return html`<div class="page" data-testid="tokens-page">
    <${PageHeader} title=${t('tokens.title')} subtitle=${t('tokens.subtitle')} />
    ${created
      ? html`<${NewTokenBox} created=${created} onDone=${() => setCreated(null)} />`
      : html`<${CreateToken} onCreated=${(res) => {
          setCreated(res);
          data.reload();
        }} />`}
    ${sorted.length === 0
      ? html`<${Empty}>${t('tokens.empty')}<//>`
      : html`<div class="table-wrap">
          <table class="table responsive" data-testid="tokens-table">
            <thead><tr>
              <th>${t('tokens.name')}</th><th>${t('tokens.scopes')}</th><th>${t('tokens.createdBy')}</th>
              <th>${t('common.createdAt')}</th><th>${t('tokens.lastUsed')}</th><th>${t('tokens.status')}</th>
              <th class="actions-col">${t('common.actions')}</th>
            </tr></thead>
            <tbody>
              ${sorted.map(
                (tk) => html`<tr key=${tk.id} data-testid="token-row" data-name=${tk.name} class=${tk.revoked ? 'row-muted' : ''}>
                  <td data-label=${t('tokens.name')} class="strong">${tk.name}</td>
                  <td data-label=${t('tokens.scopes')}>
                    <div class="tags">${(tk.scopes || []).map((s) => html`<code class="scope" key=${s}>${s}</code>`)}</div>
                  </td>
                  <td data-label=${t('tokens.createdBy')}>${who(tk)}</td>
                  <td data-label=${t('common.createdAt')} class="nowrap">${fmtTime(tk.created_at)}</td>
                  <td data-label=${t('tokens.lastUsed')} class="nowrap">${tk.last_used_at ? fmtTime(tk.last_used_at) : t('tokens.neverUsed')}</td>
                  <td data-label=${t('tokens.status')}>
                    ${tk.revoked
                      ? html`<span class="badge badge-muted">${t('tokens.revoked')}</span>`
                      : html`<span class="badge badge-ok">${t('tokens.active')}</span>`}
                  </td>
                  <td class="actions-col">
                    ${!tk.revoked &&
                    html`<button type="button" class="btn btn-sm btn-danger-ghost" data-testid="token-revoke"
                      onClick=${() => setRevoking(tk)}>${t('tokens.revoke')}</button>`}
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`}
    ${revoking &&
    html`<${Confirm} title=${t('tokens.revoke')} danger confirmLabel=${t('tokens.revoke')}
      message=${t('tokens.revokeConfirm', { name: revoking.name })} onClose=${() => setRevoking(null)}
      onConfirm=${async () => {
        await api.revokeToken(revoking.id);
        toast.ok(t('tokens.revokedToast', { name: revoking.name }));
        data.reload();
      }} />`}
  </div>`;
}
