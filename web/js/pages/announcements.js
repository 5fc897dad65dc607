// Announcements (系统公告): everyone reads; company admins publish. Opening one marks it read.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { isCompanyAdmin, useApp } from '../context.js';
import { fmtTime, t } from '../i18n.js';
import { useUsers } from '../people.js';
import { papi } from '../personal-api.js';
import { Empty, ErrorText, Field, Loading, PageHeader, toast, useLoader } from '../ui.js';

function Publish({ onDone }) {
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [pinned, setPinned] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      await papi.createAnnouncement({ title: title.trim(), body, pinned });
      toast.ok(t('announcements.published'));
      setTitle('');
      setBody('');
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="form card" onSubmit=${submit} data-testid="announce-form">
    <${Field} label=${t('announcements.titleLabel')}><input type="text" value=${title} onInput=${(e) => setTitle(e.target.value)} data-testid="announce-title" /><//>
    <${Field} label=${t('announcements.body')} hint=${t('feedback.markdownHint')}>
      <textarea rows="5" value=${body} onInput=${(e) => setBody(e.target.value)} data-testid="announce-body"></textarea>
    <//>
    <label class="check"><input type="checkbox" checked=${pinned} onChange=${() => setPinned(!pinned)} data-testid="announce-pinned" /> ${t('announcements.pinned')}</label>
    <${ErrorText} error=${error} />
    <div class="form-actions"><button class="btn btn-primary" data-testid="announce-submit">${t('announcements.publish')}</button></div>
  </form>`;
}

export function AnnouncementsPage() {
  const { me } = useApp();
  const { byId, name } = useUsers();
  const list = useLoader(() => papi.announcements(), []);
  const [open, setOpen] = useState(null);
  const items = (list.data && list.data.items) || [];
  const toggle = async (a) => {
    setOpen(open === a.id ? null : a.id);
    if (!a.read) {
      try {
        await papi.readAnnouncement(a.id);
        list.setData({ items: items.map((x) => (x.id === a.id ? { ...x, read: true } : x)) });
      } catch (_) {
        /* read state is best effort */
      }
    }
  };
  const remove = async (a) => {
    await papi.deleteAnnouncement(a.id);
    list.reload();
  };
  return html`<div class="page">
    <${PageHeader} title=${t('announcements.title')} />
    ${isCompanyAdmin(me) && html`<${Publish} onDone=${list.reload} />`}
    <${ErrorText} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} />` : items.length === 0 ? html`<${Empty}>${t('announcements.none')}<//>` : items.map(
      (a) => html`<article key=${a.id} class=${`card announcement ${a.read ? '' : 'unread'}`} data-testid="announcement">
        <button type="button" class="linklike announcement-title" aria-expanded=${open === a.id} onClick=${() => toggle(a)}>
          ${a.pinned ? '📌 ' : ''}${a.title}
          ${!a.read && html` <span class="badge badge-ok" data-testid="announcement-unread">${t('announcements.unread')}</span>`}
        </button>
        <div class="muted small">${a.author_id != null && byId(a.author_id) ? name(a.author_id) : a.author_name} · ${fmtTime(a.created_at)}</div>
        ${open === a.id && html`<div class="markdown" data-testid="announcement-body" dangerouslySetInnerHTML=${{ __html: a.body_html }}></div>`}
        ${open === a.id && isCompanyAdmin(me) && html`<button class="btn btn-danger btn-sm" onClick=${() => remove(a)}>${t('common.delete')}</button>`}
      </article>`,
    )}
  </div>`;
}
