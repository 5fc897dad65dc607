// My work (我的工作): my todo (overdue / new / in progress), to claim (抢单), done,
// created, watching.
// Also the main content of the home page.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api } from '../api.js';
import { useApp } from '../context.js';
import { t } from '../i18n.js';
import { navigate } from '../router.js';
import { TaskCards } from '../tasks.js';
import { ErrorText, Loading, PageHeader, useLoader } from '../ui.js';

export const TABS = ['todo', 'to_claim', 'done', 'created', 'watching'];

export function todoCount(todo) {
  if (!todo) return null;
  const c = todo.counts;
  if (c) return c.overdue + c.new + c.started;
  return (todo.overdue || []).length + (todo.new || []).length + (todo.started || []).length;
}

function TodoLists({ todo, projects }) {
  if (todo.loading && !todo.data) return html`<${Loading} />`;
  if (todo.error && !todo.data) return html`<${ErrorText} error=${todo.error} />`;
  const d = todo.data;
  if (todoCount(d) === 0) return html`<div class="empty" data-testid="todo-empty">${t('mywork.todoEmpty')}</div>`;
  const group = (key, cls) => {
    const shown = (d[key] || []).length;
    const total = d.counts ? d.counts[key] : shown;
    return html`<section class=${`todo-group ${cls || ''}`} data-testid=${`todo-${key}`}>
    <h2 class="subsection-title">${t(`mywork.groups.${key}`)} <span class="count">${total}</span></h2>
    <${TaskCards} items=${d[key]} projects=${projects} empty=${t('mywork.groupEmpty')} />
    ${total > shown && html`<p class="small muted" data-testid=${`todo-${key}-more`}>${t('mywork.groupMore', { n: shown, total })}</p>`}
  </section>`;
  };
  return html`<div class="todo-groups">
    ${group('overdue', 'todo-overdue')}
    ${group('new')}
    ${group('started')}
  </div>`;
}

function OtherList({ which, projects }) {
  const list = useLoader(() => api.myList(which).then((r) => r.items || []), [which]);
  if (list.loading && !list.data) return html`<${Loading} />`;
  if (list.error) return html`<${ErrorText} error=${list.error} />`;
  return html`<${TaskCards} items=${list.data} projects=${projects} testid=${`list-${which}`} empty=${t(`mywork.empty.${which}`)} />`;
}

/** Tabs + lists. `todo` is a useLoader of GET /api/my/todo owned by the caller (its counts show elsewhere too). */
export function MyWork({ todo, tab, onTab }) {
  const { projects } = useApp();
  const n = todoCount(todo.data);
  return html`<div class="mywork" data-testid="mywork">
    <div class="tabs" role="tablist">
      ${TABS.map(
        (k) => html`<button key=${k} type="button" role="tab" class=${`tab ${tab === k ? 'on' : ''}`} aria-selected=${tab === k}
          onClick=${() => onTab(k)} data-testid=${`tab-${k}`}>
          ${t(`mywork.tabs.${k}`)}${k === 'todo' && n ? html` <span class="count">${n}</span>` : ''}</button>`,
      )}
    </div>
    <div class="tab-panel" role="tabpanel">
      ${tab === 'todo' ? html`<${TodoLists} todo=${todo} projects=${projects} />` : html`<${OtherList} key=${tab} which=${tab} projects=${projects} />`}
    </div>
  </div>`;
}

export function MyWorkPage() {
  const todo = useLoader(() => api.myTodo(), []);
  const q = new URLSearchParams(window.location.search).get('tab');
  const [tab, setTab] = useState(TABS.includes(q) ? q : 'todo');
  const onTab = (k) => {
    setTab(k);
    navigate(k === 'todo' ? '/my' : `/my?tab=${k}`, { replace: true });
    if (k === 'todo') todo.reload();
  };
  return html`<div class="page" data-testid="mywork-page">
    <${PageHeader} title=${t('mywork.title')} subtitle=${t('mywork.subtitle')} />
    <${MyWork} todo=${todo} tab=${tab} onTab=${onTab} />
  </div>`;
}
