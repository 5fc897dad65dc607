// Feedback (咨询反馈): members ask, admins answer in a thread and set the status.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { fmtTime, t } from '../i18n.js';
import { useUsers } from '../people.js';
import { papi } from '../personal-api.js';
import { Link, navigate } from '../router.js';
import { Empty, ErrorText, Field, Loading, PageHeader, toast, useLoader } from '../ui.js';

const KINDS = ['question', 'request', 'problem'];
const STATUSES = ['open', 'answered', 'closed'];

/** Display names from the directory ("Administrator", not the username "admin"). */
function useWho() {
  const { byId, name } = useUsers();
  return (id, fallback) => (id != null && byId(id) ? name(id) : fallback);
}

function NewFeedbackForm({ onDone }) {
  const [kind, setKind] = useState('question');
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const f = await papi.createFeedback({ kind, title: title.trim(), body });
      toast.ok(t('feedback.sent'));
      onDone(f);
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return html`<form class="form card" onSubmit=${submit} data-testid="feedback-form">
    <${Field} label=${t('feedback.kind')}>
      <select value=${kind} onChange=${(e) => setKind(e.target.value)} data-testid="feedback-kind">
        ${KINDS.map((k) => html`<option key=${k} value=${k}>${t(`feedback.kinds.${k}`)}</option>`)}
      </select>
    <//>
    <${Field} label=${t('feedback.titleLabel')}>
      <input type="text" value=${title} onInput=${(e) => setTitle(e.target.value)} maxlength="200" data-testid="feedback-title" />
    <//>
    <${Field} label=${t('feedback.body')} hint=${t('feedback.markdownHint')}>
      <textarea rows="5" value=${body} onInput=${(e) => setBody(e.target.value)} data-testid="feedback-body"></textarea>
    <//>
    <${ErrorText} error=${error} />
    <div class="form-actions"><button class="btn btn-primary" disabled=${busy} data-testid="feedback-submit">${t('feedback.send')}</button></div>
  </form>`;
}

export function FeedbackListPage() {
  const who = useWho();
  const list = useLoader(() => papi.feedbackList(), []);
  const [creating, setCreating] = useState(false);
  const items = (list.data && list.data.items) || [];
  return html`<div class="page">
    <${PageHeader} title=${t('feedback.title')} subtitle=${list.data && list.data.admin ? t('feedback.adminSubtitle') : t('feedback.subtitle')}>
      <button class="btn btn-primary" onClick=${() => setCreating(!creating)} data-testid="feedback-new">${t('feedback.new')}</button>
    <//>
    ${creating && html`<${NewFeedbackForm} onDone=${(f) => navigate(`/feedback/${f.id}`)} />`}
    <${ErrorText} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} />` : items.length === 0 ? html`<${Empty}>${t('feedback.none')}<//>` : html`<ul class="card plain-list" data-testid="feedback-list">
      ${items.map((f) => html`<li key=${f.id} class="list-row">
        <${Link} href=${`/feedback/${f.id}`}>${f.title}<//>
        <span class="badge">${t(`feedback.kinds.${f.kind}`)}</span>
        <span class=${`badge status-${f.status}`}>${t(`feedback.statuses.${f.status}`)}</span>
        <span class="muted small">${who(f.author_id, f.author_name)} · ${fmtTime(f.updated_at)}</span>
      </li>`)}
    </ul>`}
  </div>`;
}

export function FeedbackPage({ params }) {
  const who = useWho();
  const item = useLoader(() => papi.feedback(params.id), [params.id]);
  const list = useLoader(() => papi.feedbackList(), []);
  const [reply, setReply] = useState('');
  const [error, setError] = useState(null);
  if (item.loading && !item.data) return html`<${Loading} />`;
  if (!item.data) return html`<${ErrorText} error=${item.error} />`;
  const f = item.data;
  const admin = list.data && list.data.admin;
  const send = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      item.setData(await papi.replyFeedback(f.id, reply));
      setReply('');
    } catch (err) {
      setError(err);
    }
  };
  const setStatus = async (s) => {
    setError(null);
    try {
      item.setData(await papi.feedbackStatus(f.id, s));
    } catch (err) {
      setError(err);
    }
  };
  return html`<div class="page">
    <${PageHeader} title=${f.title} subtitle=${`${t(`feedback.kinds.${f.kind}`)} · ${who(f.author_id, f.author_name)}`}>
      ${admin
        ? html`<select aria-label=${t('feedback.status')} value=${f.status} data-testid="feedback-status" onChange=${(e) => setStatus(e.target.value)}>
            ${STATUSES.map((s) => html`<option key=${s} value=${s}>${t(`feedback.statuses.${s}`)}</option>`)}
          </select>`
        : f.status !== 'closed' && html`<button class="btn" onClick=${() => setStatus('closed')}>${t('feedback.close')}</button>`}
    <//>
    <div class="card">
      <span class=${`badge status-${f.status}`} data-testid="feedback-status-badge">${t(`feedback.statuses.${f.status}`)}</span>
      <div class="markdown" data-testid="feedback-body-html" dangerouslySetInnerHTML=${{ __html: f.body_html }}></div>
    </div>
    ${f.replies.map((r, i) => html`<div key=${i} class=${`card reply ${r.from_admin ? 'reply-admin' : ''}`} data-testid="feedback-reply">
      <div class="muted small" data-testid="feedback-reply-by">${who(r.author_id, r.author_name)}${r.from_admin
        ? html` <span class="badge badge-soft">${t('feedback.admin')}</span>` : ''} · ${fmtTime(r.at)}</div>
      <div class="markdown" dangerouslySetInnerHTML=${{ __html: r.body_html }}></div>
    </div>`)}
    <${FeedbackFiles} item=${item} />
    <form class="form card" onSubmit=${send}>
      <${Field} label=${t('feedback.reply')}>
        <textarea rows="3" value=${reply} onInput=${(e) => setReply(e.target.value)} data-testid="feedback-reply-body"></textarea>
      <//>
      <${ErrorText} error=${error} />
      <div class="form-actions"><button class="btn btn-primary" disabled=${!reply.trim()} data-testid="feedback-reply-send">${t('feedback.send')}</button></div>
    </form>
  </div>`;
}

/** Files attached to a feedback item: a list of downloads and an upload button. */
function FeedbackFiles({ item }) {
  const f = item.data;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const upload = async (e) => {
    const file = e.target.files && e.target.files[0];
    e.target.value = '';
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      await papi.uploadFeedbackAttachment(f.id, file);
      toast.ok(t('tasks.uploaded', { name: file.name }));
      item.setData(await papi.feedback(f.id));
    } catch (err) {
      setError(err.status === 413 ? new Error(t('tasks.fileTooLarge', { name: file.name })) : err);
    }
    setBusy(false);
  };
  const list = f.attachments || [];
  return html`<section class="card" data-testid="feedback-attachments">
    <h2 class="card-title">${t('tasks.attachments')}</h2>
    ${list.length === 0 && html`<p class="muted small">${t('tasks.noAttachments')}</p>`}
    <ul class="attach-list">
      ${list.map((x) => html`<li key=${x.id} data-testid="feedback-attachment">
        <a href=${papi.feedbackAttachmentUrl(f.id, x.id)} download=${x.name} class="attach-name">${x.name}</a>
      </li>`)}
    </ul>
    <${ErrorText} error=${error} />
    <div class="attach-upload">
      <input type="file" class="file-input" onChange=${upload} id=${`fb-file-${f.id}`} data-testid="feedback-attachment-input" />
      <label for=${`fb-file-${f.id}`} class=${`btn btn-sm ${busy ? 'is-busy' : ''}`}>${busy ? t('tasks.uploading') : t('tasks.upload')}</label>
      <span class="muted small">${t('tasks.uploadHint')}</span>
    </div>
  </section>`;
}
