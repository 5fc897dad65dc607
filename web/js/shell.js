// The app shell: top bar, navigation (sidebar on desktop, drawer on phones),
// the user's project list, the user menu, and the routed page.
import { html, useEffect, useRef, useState } from '../vendor/htm-preact-standalone.mjs';
import { isAdmin, isCompanyAdmin, useApp } from './context.js';
import { t } from './i18n.js';
import { Link, currentPath, match, navigate, usePath } from './router.js';
import { Avatar, Icon, focusPageHeading, keepTabInside } from './ui.js';
import { LangSwitch } from './pages/login.js';
import { ChangePasswordDialog } from './pages/account.js';
import { useUnread, useUnreadPolling } from './unread.js';
import { lazyPage } from './lazy.js';

// Page modules load when first shown (lazy.js); only login.js and account.js (the
// password dialog) come with the shell.
const page = {
  account: () => import('./pages/account.js'),
  home: () => import('./pages/home.js'),
  users: () => import('./pages/users.js'),
  departments: () => import('./pages/departments.js'),
  projects: () => import('./pages/projects.js'),
  tokens: () => import('./pages/tokens.js'),
  audit: () => import('./pages/audit.js'),
  task: () => import('./pages/task.js'),
  inbox: () => import('./pages/inbox.js'),
  mywork: () => import('./pages/mywork.js'),
  templates: () => import('./pages/templates.js'),
  me: () => import('./pages/me.js'),
  stats: () => import('./pages/stats.js'),
  feedback: () => import('./pages/feedback.js'),
  announcements: () => import('./pages/announcements.js'),
  news: () => import('./pages/news.js'),
  scenarios: () => import('./pages/scenarios.js'),
  erp: () => import('./pages/erp-records.js'),
  delivery: () => import('./pages/delivery.js'),
  hooks: () => import('./pages/hooks.js'),
  connectors: () => import('./pages/connectors.js'),
  erpImport: () => import('./pages/erp-import.js'),
};
const AccountPage = lazyPage(page.account, 'AccountPage');
const HomePage = lazyPage(page.home, 'HomePage');
const ProjectPage = lazyPage(page.home, 'ProjectPage');
const UsersPage = lazyPage(page.users, 'UsersPage');
const DepartmentsPage = lazyPage(page.departments, 'DepartmentsPage');
const ProjectsAdminPage = lazyPage(page.projects, 'ProjectsAdminPage');
const TokensPage = lazyPage(page.tokens, 'TokensPage');
const AuditPage = lazyPage(page.audit, 'AuditPage');
const TaskPage = lazyPage(page.task, 'TaskPage');
const InboxPage = lazyPage(page.inbox, 'InboxPage');
const MyWorkPage = lazyPage(page.mywork, 'MyWorkPage');
const TemplatesPage = lazyPage(page.templates, 'TemplatesPage');
const MePage = lazyPage(page.me, 'MePage');
const StatsPage = lazyPage(page.stats, 'StatsPage');
const FeedbackListPage = lazyPage(page.feedback, 'FeedbackListPage');
const FeedbackPage = lazyPage(page.feedback, 'FeedbackPage');
const AnnouncementsPage = lazyPage(page.announcements, 'AnnouncementsPage');
const NewsPage = lazyPage(page.news, 'NewsPage');
const ScenariosPage = lazyPage(page.scenarios, 'ScenariosPage');
const ScenarioEditorPage = lazyPage(page.scenarios, 'ScenarioEditorPage');
const ScenarioRedirect = lazyPage(page.scenarios, 'ScenarioRedirect');
const ErpRecordsPage = lazyPage(page.erp, 'ErpRecordsPage');
const ErpRecordPage = lazyPage(page.erp, 'ErpRecordPage');
const DeliveryPage = lazyPage(page.delivery, 'DeliveryPage');
const HooksPage = lazyPage(page.hooks, 'HooksPage');
const HookPage = lazyPage(page.hooks, 'HookPage');
const ConnectorsPage = lazyPage(page.connectors, 'ConnectorsPage');
const ConnectorPage = lazyPage(page.connectors, 'ConnectorPage');
const ErpImportPage = lazyPage(page.erpImport, 'ErpImportPage');

const ROUTES = [
  { path: '/', page: HomePage },
  { path: '/projects/:id', page: ProjectPage },
  { path: '/tasks/:id', page: TaskPage },
  { path: '/inbox', page: InboxPage },
  { path: '/my', page: MyWorkPage },
  { path: '/admin/templates', page: TemplatesPage, guard: isAdmin },
  { path: '/account', page: AccountPage },
  { path: '/me', page: MePage },
  { path: '/stats', page: StatsPage },
  { path: '/feedback', page: FeedbackListPage },
  { path: '/feedback/:id', page: FeedbackPage },
  { path: '/announcements', page: AnnouncementsPage },
  { path: '/news', page: NewsPage },
  { path: '/admin/users', page: UsersPage, guard: isAdmin },
  { path: '/admin/departments', page: DepartmentsPage, guard: isAdmin },
  { path: '/admin/projects', page: ProjectsAdminPage, guard: isAdmin },
  { path: '/admin/tokens', page: TokensPage, guard: isCompanyAdmin },
  { path: '/admin/audit', page: AuditPage, guard: isCompanyAdmin },
  { path: '/admin/scenarios', page: ScenariosPage, guard: isCompanyAdmin },
  { path: '/admin/scenarios/new', page: ScenarioEditorPage, guard: isCompanyAdmin },
  { path: '/admin/scenarios/:id', page: ScenarioEditorPage, guard: isCompanyAdmin },
  { path: '/scenarios', page: ScenarioRedirect, guard: isCompanyAdmin },
  { path: '/scenarios/new', page: ScenarioRedirect, guard: isCompanyAdmin },
  { path: '/scenarios/:id', page: ScenarioRedirect, guard: isCompanyAdmin },
  { path: '/admin/erp', page: ErpRecordsPage, guard: isCompanyAdmin },
  { path: '/admin/erp/import', page: ErpImportPage, guard: isCompanyAdmin },
  { path: '/admin/delivery', page: DeliveryPage, guard: isCompanyAdmin },
  { path: '/admin/erp/:kind/:id', page: ErpRecordPage, guard: isCompanyAdmin },
  { path: '/admin/hooks', page: HooksPage, guard: isCompanyAdmin },
  { path: '/admin/hooks/:id', page: HookPage, guard: isCompanyAdmin },
  { path: '/admin/connectors', page: ConnectorsPage, guard: isCompanyAdmin },
  { path: '/admin/connectors/:id', page: ConnectorPage, guard: isCompanyAdmin },
];

function resolve(path, me) {
  for (const r of ROUTES) {
    const params = match(r.path, path);
    if (params) {
      if (r.guard && !r.guard(me)) return html`<${Forbidden} />`;
      return html`<${r.page} params=${params} />`;
    }
  }
  return html`<${NotFound} />`;
}

function NotFound() {
  return html`<div class="card empty-page">
    <h1>${t('errors.notFoundTitle')}</h1>
    <p>${t('errors.notFoundText')}</p>
    <${Link} href="/" class="btn">${t('nav.home')}<//>
  </div>`;
}

function Forbidden() {
  return html`<div class="card empty-page" data-testid="forbidden">
    <h1>${t('errors.forbiddenTitle')}</h1>
    <p>${t('errors.forbiddenText')}</p>
    <${Link} href="/" class="btn">${t('nav.home')}<//>
  </div>`;
}

function NavItem({ href, icon, label, testid, path, onNavigate, exact, badge }) {
  const active = exact ? path === href : path === href || path.startsWith(`${href}/`);
  return html`<${Link} href=${href} class=${`nav-item ${active ? 'active' : ''}`} data-testid=${testid}
    aria-current=${active ? 'page' : undefined} onNavigate=${onNavigate}>
    <${Icon} name=${icon} />
    <span class="nav-label">${label}</span>
    ${badge ? html`<span class="nav-badge" data-testid=${`${testid}-badge`} aria-label=${t('inbox.unreadCount', { n: badge })}>${badge > 99 ? '99+' : badge}</span>` : ''}
  <//>`;
}

/** The topbar's inbox link with the unread count (always visible, also on phones). */
function InboxBell() {
  const n = useUnread();
  return html`<${Link} href="/inbox" class="icon-btn bell" data-testid="topbar-inbox"
    aria-label=${n ? `${t('nav.inbox')} · ${t('inbox.unreadCount', { n })}` : t('nav.inbox')}>
    <${Icon} name="bell" />
    ${n ? html`<span class="bell-badge" data-testid="unread-badge">${n > 99 ? '99+' : n}</span>` : ''}
  <//>`;
}

function Sidebar({ path, open, onNavigate }) {
  const { me, projects } = useApp();
  const unread = useUnread();
  const mine = projects.filter((p) => !p.archived);
  // three labelled <nav> landmarks: the main pages, my projects, administration
  return html`<div class=${`sidebar ${open ? 'open' : ''}`} id="sidebar" data-testid="sidebar">
    <nav class="nav" aria-label=${t('nav.label')}>
      <${NavItem} href="/" exact icon="home" label=${t('nav.home')} testid="nav-home" path=${path} onNavigate=${onNavigate} />
      <${NavItem} href="/my" icon="todo" label=${t('nav.myWork')} testid="nav-mywork" path=${path} onNavigate=${onNavigate} />
      <${NavItem} href="/inbox" icon="inbox" label=${t('nav.inbox')} testid="nav-inbox" path=${path} onNavigate=${onNavigate} badge=${unread} />
      <${NavItem} href="/me" icon="spark" label=${t('nav.me')} testid="nav-me" path=${path} onNavigate=${onNavigate} />
      <${NavItem} href="/stats" icon="list" label=${t('nav.stats')} testid="nav-stats" path=${path} onNavigate=${onNavigate} />
      <${NavItem} href="/announcements" icon="flag" label=${t('nav.announcements')} testid="nav-announcements" path=${path} onNavigate=${onNavigate} />
      <${NavItem} href="/news" icon="globe" label=${t('nav.news')} testid="nav-news" path=${path} onNavigate=${onNavigate} />
      <${NavItem} href="/feedback" icon="mail" label=${t('nav.feedback')} testid="nav-feedback" path=${path} onNavigate=${onNavigate} />
    </nav>
    <nav class="nav-section" aria-labelledby="nav-projects-heading">
      <div class="nav-heading" id="nav-projects-heading">${t('nav.myProjects')}</div>
      <div class="nav-projects" data-testid="nav-projects">
        ${mine.length === 0 && html`<div class="nav-empty">${t('home.noProjects')}</div>`}
        ${mine.map(
          (p) => html`<${Link} key=${p.id} href=${`/projects/${p.id}`} onNavigate=${onNavigate}
            class=${`nav-item nav-project ${path === `/projects/${p.id}` ? 'active' : ''}`}>
            <span class=${`dot ${p.builtin === 'erp' ? 'dot-erp' : ''}`}></span>
            <span class="nav-label">${p.name}</span>
          <//>`,
        )}
      </div>
    </nav>
    ${isAdmin(me) &&
    html`<nav class="nav-section" aria-labelledby="nav-admin-heading">
      <div class="nav-heading" id="nav-admin-heading">${t('nav.admin')}</div>
      <div class="nav">
        <${NavItem} href="/admin/users" icon="users" label=${t('nav.users')} testid="nav-users" path=${path} onNavigate=${onNavigate} />
        <${NavItem} href="/admin/departments" icon="tree" label=${t('nav.departments')} testid="nav-departments" path=${path} onNavigate=${onNavigate} />
        <${NavItem} href="/admin/projects" icon="folder" label=${t('nav.projects')} testid="nav-admin-projects" path=${path} onNavigate=${onNavigate} />
        <${NavItem} href="/admin/templates" icon="flow" label=${t('nav.templates')} testid="nav-templates" path=${path} onNavigate=${onNavigate} />
        ${isCompanyAdmin(me) &&
        html`<${NavItem} href="/admin/tokens" icon="key" label=${t('nav.tokens')} testid="nav-tokens" path=${path} onNavigate=${onNavigate} />
          <${NavItem} href="/admin/audit" icon="list" label=${t('nav.audit')} testid="nav-audit" path=${path} onNavigate=${onNavigate} />
          <${NavItem} href="/admin/scenarios" icon="code" label=${t('nav.scenarios')} testid="nav-scenarios" path=${path} onNavigate=${onNavigate} />
          <${NavItem} href="/admin/erp" icon="database" label=${t('nav.erp')} testid="nav-erp" path=${path} onNavigate=${onNavigate} />
          <${NavItem} href="/admin/delivery" icon="mail" label=${t('nav.delivery')} testid="nav-delivery" path=${path} onNavigate=${onNavigate} />`}
      </div>
    </nav>`}
  </div>`;
}

function UserMenu({ onPassword }) {
  const { me, setLanguage, logout } = useApp();
  const [open, setOpen] = useState(false);
  const ref = useRef(null);
  const btn = useRef(null);
  useEffect(() => {
    if (!open) return undefined;
    const onDown = (e) => {
      if (ref.current && !ref.current.contains(e.target)) setOpen(false);
    };
    const onKey = (e) => {
      if (e.key !== 'Escape') return;
      setOpen(false);
      // focus was in the panel, which is going away: back to the button
      if (ref.current && ref.current.contains(document.activeElement)) btn.current.focus();
    };
    // Tabbing out of the panel closes it (a disclosure, not a menu: Tab moves on)
    const onFocus = (e) => {
      if (ref.current && !ref.current.contains(e.target)) setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    document.addEventListener('focusin', onFocus);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('focusin', onFocus);
    };
  }, [open]);
  const who = me.display_name || me.username;
  // Escape from inside the menu is handled here too, not only by the document listener
  // the effect above adds after the panel is painted (a key pressed before that effect
  // ran on a loaded machine left the menu open)
  const closeOnEscape = (e) => {
    if (!open || e.key !== 'Escape') return;
    setOpen(false);
    btn.current.focus();
  };
  // A disclosure button: its name is the person's name (visually hidden on phones,
  // where only the avatar shows) plus what it opens.
  return html`<div class="user-menu" ref=${ref} onKeyDown=${closeOnEscape}>
    <button type="button" class="user-menu-btn" aria-expanded=${open} aria-controls="user-menu-panel" ref=${btn}
      data-testid="user-menu" onClick=${() => setOpen(!open)}>
      <${Avatar} name=${who} />
      <span class="user-menu-name">${who}<span class="sr-only"> · ${t('menu.accountMenu')}</span></span>
      <${Icon} name="chevron" cls="chev" />
    </button>
    ${open &&
    html`<div class="menu-panel" id="user-menu-panel" data-testid="user-menu-panel">
      <div class="menu-user">
        <div class="menu-user-name">${me.display_name || me.username}</div>
        <div class="menu-user-sub">@${me.username} · ${t(`roles.${me.role}`)}</div>
      </div>
      <div class="menu-group">
        <div class="menu-label"><${Icon} name="globe" /> ${t('menu.language')}</div>
        <${LangSwitch} setLanguage=${setLanguage} cls="menu-lang" />
      </div>
      <${Link} href="/account" class="menu-item" data-testid="menu-account"
        onNavigate=${() => setOpen(false)}><${Icon} name="users" /> ${t('menu.account')}<//>
      <button type="button" class="menu-item" data-testid="menu-password"
        onClick=${() => {
          setOpen(false);
          // the dialog gives focus back to its opener, and this button is about to go
          btn.current.focus();
          onPassword();
        }}><${Icon} name="lock" /> ${t('menu.changePassword')}</button>
      <button type="button" class="menu-item menu-danger" data-testid="menu-logout"
        onClick=${() => {
          setOpen(false);
          logout();
        }}><${Icon} name="logout" /> ${t('menu.logout')}</button>
    </div>`}
  </div>`;
}

/** The skip link's target: the page heading when there is one, else <main> itself. */
function skipToContent(e) {
  e.preventDefault();
  const main = document.getElementById('main');
  if (!main) return;
  const h = main.querySelector('h1');
  if (h && !h.hasAttribute('tabindex')) h.setAttribute('tabindex', '-1');
  (h || main).focus();
}

/**
 * The phone drawer while open: Escape closes it (focus back on the toggle), Tab cycles
 * through the toggle and the drawer only, the page behind is inert, and focus moves in.
 */
function useDrawerFocus(open, close, toggle) {
  useEffect(() => {
    if (!open) return undefined;
    const sidebar = document.getElementById('sidebar');
    const main = document.getElementById('main');
    if (!sidebar) return undefined;
    // the drawer only exists on narrow screens; wider, the sidebar is always there
    const phone = toggle.current && toggle.current.getClientRects().length > 0;
    if (!phone) return undefined;
    if (main) main.inert = true;
    const first = sidebar.querySelector('a[href], button');
    if (first) first.focus();
    const onKey = (e) => {
      if (document.body.classList.contains('modal-open')) return;
      if (e.key === 'Escape') {
        close();
        toggle.current.focus();
      } else if (e.key === 'Tab') {
        keepTabInside(e, sidebar, [toggle.current]);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      if (main) main.inert = false;
      // closed by a tap on the scrim or the toggle: keep focus out of the hidden drawer
      if (sidebar.contains(document.activeElement)) toggle.current.focus();
    };
  }, [open]);
}

export function Shell({ focusOnMount = false }) {
  const { me } = useApp();
  const path = usePath();
  const [drawer, setDrawer] = useState(false);
  const [pwOpen, setPwOpen] = useState(false);
  const toggle = useRef(null);
  const mounted = useRef(false);
  useUnreadPolling(30000);
  useEffect(() => {
    setDrawer(false);
    if (currentPath() === '/login') navigate('/', { replace: true });
    // after a navigation (and right after logging in) focus goes to the new page's
    // heading; a fresh load keeps it at the top, where the skip link is the first stop
    const first = !mounted.current;
    mounted.current = true;
    if (first && !focusOnMount) return undefined;
    const main = document.getElementById('main');
    return main ? focusPageHeading(main, document.activeElement) : undefined;
  }, [path]);
  useDrawerFocus(drawer, () => setDrawer(false), toggle);
  return html`<div class="app" data-testid="app-shell">
    <a href="#main" class="skip-link" data-testid="skip-link" onClick=${skipToContent}>${t('nav.skipToContent')}</a>
    <header class="topbar">
      <button type="button" class="icon-btn menu-toggle" aria-label=${drawer ? t('nav.closeMenu') : t('nav.openMenu')}
        aria-expanded=${drawer} aria-controls="sidebar" ref=${toggle}
        data-testid="menu-toggle" onClick=${() => setDrawer(!drawer)}>
        <${Icon} name=${drawer ? 'close' : 'menu'} />
      </button>
      <${Link} href="/" class="brand" data-testid="brand">
        <img src="/favicon.svg" alt="" width="26" height="26" />
        <span>Baton</span>
      <//>
      <div class="topbar-spacer"></div>
      <${InboxBell} />
      <${UserMenu} onPassword=${() => setPwOpen(true)} />
    </header>
    <div class="layout">
      <${Sidebar} path=${path} open=${drawer} onNavigate=${() => setDrawer(false)} />
      ${drawer && html`<div class="scrim" onClick=${() => setDrawer(false)}></div>`}
      <main class="content" id="main" tabindex="-1">${resolve(path, me)}</main>
    </div>
    ${pwOpen && html`<${ChangePasswordDialog} onClose=${() => setPwOpen(false)} />`}
  </div>`;
}
