// News (跨境眼): items from the feeds admins added; admins see each feed's last error.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { isCompanyAdmin, useApp } from '../context.js';
import { fmtDate, fmtTime, t } from '../i18n.js';
import { papi } from '../personal-api.js';
import { Empty, ErrorText, Loading, PageHeader, useLoader } from '../ui.js';

function Feeds({ onChange }) {
  const feeds = useLoader(() => papi.feeds(), []);
  const [url, setUrl] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const act = async (fn) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      await feeds.reload();
      onChange();
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  const items = (feeds.data && feeds.data.items) || [];
  return html`<div class="card" data-testid="feeds">
    <h2 class="card-title">${t('news.feeds')}</h2>
    <form class="inline-form" onSubmit=${(e) => { e.preventDefault(); act(async () => { await papi.addFeed(url.trim()); setUrl(''); }); }}>
      <input type="url" placeholder=${t('news.feedUrl')} value=${url} onInput=${(e) => setUrl(e.target.value)} aria-label=${t('news.feedUrl')} data-testid="feed-url" />
      <button class="btn btn-primary" disabled=${busy || !url.trim()} data-testid="feed-add">${t('news.add')}</button>
    </form>
    <${ErrorText} error=${error} />
    <ul class="plain-list">
      ${items.map((f) => html`<li key=${f.id} class="list-row" data-testid="feed">
        <strong>${f.title || f.url}</strong> <span class="muted small">${f.url}</span>
        ${f.last_error ? html`<span class="badge badge-danger" data-testid="feed-error">${f.last_error}</span>`
          : f.last_ok_at ? html`<span class="badge badge-ok">${t('news.ok')} ${fmtTime(f.last_ok_at)}</span>` : ''}
        <button class="btn btn-sm" disabled=${busy} onClick=${() => act(() => papi.fetchFeed(f.id))}>${t('news.fetch')}</button>
        <button class="btn btn-sm btn-danger" disabled=${busy} onClick=${() => act(() => papi.deleteFeed(f.id))}>${t('common.delete')}</button>
      </li>`)}
    </ul>
  </div>`;
}

export function NewsPage() {
  const { me } = useApp();
  const news = useLoader(() => papi.news(), []);
  const items = (news.data && news.data.items) || [];
  return html`<div class="page">
    <${PageHeader} title=${t('news.title')} />
    ${isCompanyAdmin(me) && html`<${Feeds} onChange=${news.reload} />`}
    <${ErrorText} error=${news.error} />
    ${news.loading && !news.data ? html`<${Loading} />` : items.length === 0 ? html`<${Empty}>${t('news.none')}<//>` : html`<ul class="card plain-list news-list" data-testid="news-list">
      ${items.map((n) => html`<li key=${n.id} class="news-item">
        ${n.link ? html`<a href=${n.link} target="_blank" rel="noopener noreferrer nofollow">${n.title}</a>` : html`<strong>${n.title}</strong>`}
        <div class="muted small">${n.feed_title || ''}${n.published_at ? ` · ${fmtDate(n.published_at)}` : ''}</div>
        ${n.summary && html`<p class="news-summary">${n.summary}</p>`}
      </li>`)}
    </ul>`}
  </div>`;
}
