// The inbox: messages about tasks, newest first; filters, read/unread, the
// follow-up flag (待处理), mark all read; a click opens the task.
import { html, useEffect, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api } from '../api.js';
import { fmtTime, has, t } from '../i18n.js';
import { useUsers } from '../people.js';
import { navigate } from '../router.js';
import { refreshUnread, setUnread, useUnread } from '../unread.js';
import { ErrorText, Icon, Loading, PageHeader, toast } from '../ui.js';

export const INBOX_KINDS = ['assigned', 'transferred', 'returned', 'withdrawn', 'urged', 'mentioned', 'commented', 'due_soon', 'overdue', 'finished', 'escalation'];

/** The message in the reader's language, worded from its kind; the server's English text otherwise. */
function wording(m, name) {
  const key = `inbox.msg.${m.kind}`;
  if (!has(key)) return m.text || '';
  return t(key, { actor: m.actor_id != null ? name(m.actor_id) : t('tasks.system') });
}
const LIMIT = 50;

/** A return needs a reason; the other operations take an optional note, and say so. */
export function reasonLabel(kind) {
  return kind === 'returned' || kind === 'return' ? t('tasks.reason') : t('tasks.note');
}

export function InboxPage() {
  const { name } = useUsers();
  const unread = useUnread();
  const [filter, setFilter] = useState('all'); // all | unread | follow_up
  const [kind, setKind] = useState('');
  const [items, setItems] = useState(null);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const params = (before) => ({
    unread: filter === 'unread' ? 'true' : '',
    follow_up: filter === 'follow_up' ? 'true' : '',
    kind,
    limit: LIMIT,
    before,
  });
  const load = async (append = false) => {
    setBusy(true);
    try {
      const before = append && items && items.length ? items[items.length - 1].id : undefined;
      const res = await api.inbox(params(before));
      const got = res.items || [];
      setItems(append ? [...(items || []), ...got] : got);
      setHasMore(got.length >= LIMIT);
      if (typeof res.unread === 'number') setUnread(res.unread);
      setError(null);
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  useEffect(() => {
    setItems(null); // no stale list under a new filter
    load(false);
  }, [filter, kind]);

  const replace = (msg) => setItems((list) => (list || []).map((x) => (x.id === msg.id ? msg : x)));
  const setRead = async (msg, read) => {
    try {
      const res = await api.markRead(msg.id, read);
      replace(res && res.id ? res : { ...msg, read });
      refreshUnread();
    } catch (e) {
      toast.error(e);
    }
  };
  const toggleFollow = async (msg) => {
    try {
      const res = await api.setFollowUp(msg.id, !msg.follow_up);
      const next = res && res.id ? res : { ...msg, follow_up: !msg.follow_up };
      if (filter === 'follow_up' && !next.follow_up) setItems((list) => list.filter((x) => x.id !== msg.id));
      else replace(next);
    } catch (e) {
      toast.error(e);
    }
  };
  const open = async (msg) => {
    if (!msg.read) {
      try {
        await api.markRead(msg.id, true);
      } catch (_) {
        /* open anyway */
      }
      refreshUnread();
    }
    if (msg.task_id != null) navigate(`/tasks/${msg.task_id}`);
    else if (msg.kind === 'feedback' || msg.kind === 'feedback_new') navigate('/feedback');
    else replace({ ...msg, read: true });
  };
  const readAll = async () => {
    try {
      await api.readAll();
      toast.ok(t('inbox.allRead'));
      await load(false);
      refreshUnread();
    } catch (e) {
      toast.error(e);
    }
  };

  return html`<div class="page" data-testid="inbox-page">
    <${PageHeader} title=${t('inbox.title')} subtitle=${unread ? t('inbox.unreadCount', { n: unread }) : t('inbox.allCaughtUp')}>
      <button type="button" class="btn" onClick=${readAll} disabled=${!unread} data-testid="inbox-read-all">
        <${Icon} name="check" /> ${t('inbox.markAllRead')}</button>
    <//>
    <div class="toolbar">
      <div class="seg-group" role="group" aria-label=${t('inbox.filter')}>
        ${['all', 'unread', 'follow_up'].map(
          (f) => html`<button key=${f} type="button" class=${`seg-btn ${filter === f ? 'on' : ''}`} aria-pressed=${filter === f}
            onClick=${() => setFilter(f)} data-testid=${`inbox-filter-${f}`}>${t(`inbox.filters.${f}`)}</button>`,
        )}
      </div>
      <select class="inbox-kind" value=${kind} onChange=${(e) => setKind(e.target.value)} data-testid="inbox-kind" aria-label=${t('inbox.kindLabel')}>
        <option value="">${t('inbox.allKinds')}</option>
        ${INBOX_KINDS.map((k) => html`<option key=${k} value=${k}>${t(`inbox.kind.${k}`)}</option>`)}
      </select>
    </div>
    ${error && html`<${ErrorText} error=${error} />`}
    ${!items && !error && html`<${Loading} />`}
    ${items && items.length === 0 && html`<div class="empty" data-testid="inbox-empty">${t('inbox.empty')}</div>`}
    ${items && items.length > 0 &&
    html`<ul class="inbox-list card card-flush" data-testid="inbox-list">
      ${items.map(
        (m) => html`<li key=${m.id} class=${`inbox-item ${m.read ? '' : 'unread'}`} data-testid="inbox-item" data-kind=${m.kind}
          data-read=${m.read ? 'true' : 'false'} data-task-id=${m.task_id == null ? '' : String(m.task_id)}>
          <span class="unread-dot" aria-hidden="true"></span>
          <button type="button" class="inbox-main" onClick=${() => open(m)} data-testid="inbox-open">
            <span class="inbox-line">
              <span class=${`badge kind kind-${m.kind}`}>${has(`inbox.kind.${m.kind}`) ? t(`inbox.kind.${m.kind}`) : m.kind}</span>
              ${m.task_title && html`<span class="inbox-task strong">${m.task_title}</span>`}
            </span>
            <span class="inbox-text" data-testid="inbox-text">${wording(m, name)}</span>
            ${m.reason && html`<span class="inbox-reason small" data-testid="inbox-reason">${m.kind === 'mentioned' || m.kind === 'commented' ? `“${m.reason}”` : `${reasonLabel(m.kind)}: ${m.reason}`}</span>`}
            <span class="muted small">${fmtTime(m.created_at)}</span>
          </button>
          <span class="inbox-actions">
            <button type="button" class=${`icon-btn ${m.follow_up ? 'is-on' : ''}`} aria-pressed=${m.follow_up}
              aria-label=${m.follow_up ? t('inbox.unfollow') : t('inbox.followUp')} title=${m.follow_up ? t('inbox.unfollow') : t('inbox.followUp')}
              onClick=${() => toggleFollow(m)} data-testid="inbox-follow-up"><${Icon} name="flag" /></button>
            <button type="button" class="icon-btn" aria-label=${m.read ? t('inbox.markUnread') : t('inbox.markRead')}
              title=${m.read ? t('inbox.markUnread') : t('inbox.markRead')}
              onClick=${() => setRead(m, !m.read)} data-testid="inbox-toggle-read"><${Icon} name=${m.read ? 'mail' : 'mailOpen'} /></button>
          </span>
        </li>`,
      )}
    </ul>`}
    ${hasMore && html`<div class="pager"><button type="button" class="btn" disabled=${busy} onClick=${() => load(true)} data-testid="inbox-more">
      ${t('inbox.more')}</button></div>`}
  </div>`;
}
