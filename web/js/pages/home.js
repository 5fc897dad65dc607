// Home (my work, counts, the user's projects) and the project page (info + task list).
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api } from '../api.js';
import { isAdmin, useApp } from '../context.js';
import { businessTypeLabel, fmtTime, t } from '../i18n.js';
import { Link } from '../router.js';
import { Avatar, Empty, ErrorText, Icon, Loading, PageHeader, useLoader } from '../ui.js';
import { MyWork, todoCount } from './mywork.js';
import { ProjectTasks } from './tasks.js';
import { useUnread } from '../unread.js';

/** Load users and departments if the caller may list them (null otherwise). */
async function optional(fn) {
  try {
    return (await fn()).items || [];
  } catch (_) {
    return null;
  }
}

function ProjectCard({ p, me, deptName }) {
  const member = (p.members || []).includes(me.id);
  return html`<${Link} href=${`/projects/${p.id}`} class="project-card card" data-testid="home-project">
    <div class="project-card-head">
      <span class=${`project-icon ${p.builtin === 'erp' ? 'project-icon-erp' : ''}`}><${Icon} name="folder" /></span>
      <div class="project-card-title">
        <div class="project-name">${p.name}</div>
        <div class="muted small">${deptName || t('projects.noDepartment')}</div>
      </div>
      ${p.builtin === 'erp' && html`<span class="badge badge-erp">${t('projects.builtinErp')}</span>`}
    </div>
    <div class="project-card-meta">
      <span>${t('projects.memberCount', { n: (p.members || []).length })}</span>
      ${member && html`<span class="badge badge-soft">${t('home.iAmMember')}</span>`}
    </div>
    ${(p.business_types || []).length > 0 &&
    html`<div class="tags">${p.business_types.map((b) => html`<span class="tag tag-static" key=${b}>${businessTypeLabel(b)}</span>`)}</div>`}
  <//>`;
}

export function HomePage() {
  const { me, projects } = useApp();
  const depts = useLoader(() => optional(api.departments), []);
  const deptName = (id) => {
    const d = (depts.data || []).find((x) => x.id === id);
    return d ? d.name : '';
  };
  const todo = useLoader(() => api.myTodo(), []);
  const unread = useUnread();
  const [tab, setTab] = useState('todo');
  const active = projects.filter((p) => !p.archived);
  const archived = projects.filter((p) => p.archived);
  const num = (n) => (n == null ? '—' : String(n));
  const overdue = todo.data ? (todo.data.overdue || []).length : null;
  return html`<div class="page" data-testid="home-page">
    <${PageHeader} title=${t('home.hello', { name: me.display_name || me.username })} subtitle=${t('home.subtitle')} />
    <div class="stats-row stats-row-4">
      <button type="button" class="stat card stat-btn" onClick=${() => setTab('todo')} data-testid="stat-todo">
        <div class="stat-num">${num(todoCount(todo.data))}</div><div class="stat-label">${t('home.statTodo')}</div></button>
      <button type="button" class=${`stat card stat-btn ${overdue ? 'stat-danger' : ''}`} onClick=${() => setTab('todo')} data-testid="stat-overdue">
        <div class="stat-num">${num(overdue)}</div><div class="stat-label">${t('home.statOverdue')}</div></button>
      <${Link} href="/inbox" class="stat card stat-btn" data-testid="stat-unread">
        <div class="stat-num">${num(unread)}</div><div class="stat-label">${t('home.statUnread')}</div><//>
      <div class="stat card" data-testid="stat-projects"><div class="stat-num">${active.length}</div><div class="stat-label">${t('home.statProjects')}</div></div>
    </div>
    <section class="card">
      <h2 class="card-title">${t('mywork.title')}</h2>
      <${MyWork} todo=${todo} tab=${tab} onTab=${(k) => {
        setTab(k);
        if (k === 'todo') todo.reload();
      }} />
    </section>
    <section>
      <h2 class="section-title">${t('nav.myProjects')}</h2>
      ${active.length === 0
        ? html`<${Empty}>
            <p>${t('home.noProjects')}</p>
            ${isAdmin(me) && html`<${Link} href="/admin/projects" class="btn btn-primary">${t('projects.create')}<//>`}
          <//>`
        : html`<div class="card-grid">
            ${active.map((p) => html`<${ProjectCard} key=${p.id} p=${p} me=${me} deptName=${deptName(p.department_id)} />`)}
          </div>`}
      ${archived.length > 0 && html`<p class="muted small">${t('home.archivedCount', { n: archived.length })}</p>`}
    </section>
  </div>`;
}

export function ProjectPage({ params }) {
  const id = params.id;
  const proj = useLoader(() => api.project(id), [id]);
  const extra = useLoader(async () => ({ users: await optional(api.users), depts: await optional(api.departments) }), []);
  const { me } = useApp();
  if (proj.loading && !proj.data) return html`<${Loading} />`;
  if (proj.error) return html`<div class="page"><${ErrorText} error=${proj.error} /></div>`;
  const p = proj.data;
  const users = (extra.data && extra.data.users) || null;
  const depts = (extra.data && extra.data.depts) || [];
  const dept = depts.find((d) => d.id === p.department_id);
  const userOf = (uid) => (users || []).find((u) => u.id === uid);
  return html`<div class="page" data-testid="project-page">
    <${PageHeader} title=${p.name} subtitle=${dept ? dept.name : t('projects.noDepartment')}>
      ${isAdmin(me) && html`<${Link} href=${`/admin/projects?open=${p.id}`} class="btn">${t('common.manage')}<//>`}
    <//>
    <div class="badges-row">
      ${p.builtin === 'erp' && html`<span class="badge badge-erp">${t('projects.builtinErp')}</span>`}
      ${p.archived && html`<span class="badge badge-muted">${t('projects.archived')}</span>`}
      <span class="muted small">${t('common.createdAt')}: ${fmtTime(p.created_at)}</span>
    </div>
    <${ProjectTasks} key=${p.id} project=${p} />
    <div class="grid-2">
      <section class="card">
        <h2 class="card-title">${t('projects.members')} (${(p.members || []).length})</h2>
        ${(p.members || []).length === 0
          ? html`<p class="muted">${t('projects.noMembers')}</p>`
          : html`<ul class="member-list">
              ${p.members.map((uid) => {
                const u = userOf(uid);
                const name = u ? u.display_name || u.username : `#${uid}`;
                return html`<li key=${uid}><${Avatar} name=${name} small /> <span>${name}</span>
                  ${u && html`<span class="muted small">@${u.username}</span>`}</li>`;
              })}
            </ul>`}
      </section>
      <section class="card">
        <h2 class="card-title">${t('projects.businessTypes')}</h2>
        ${(p.business_types || []).length === 0
          ? html`<p class="muted">${t('projects.noBusinessTypes')}</p>`
          : html`<div class="tags">${p.business_types.map((b) => html`<span class="tag tag-static" key=${b}>${businessTypeLabel(b)}</span>`)}</div>`}
      </section>
    </div>
  </div>`;
}
