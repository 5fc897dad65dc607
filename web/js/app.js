// Root component: boot (language + session), login, and the app shell.
import { html, useCallback, useEffect, useRef, useState } from '../vendor/htm-preact-standalone.mjs';
import { api, setCsrfToken, setUnauthorizedHandler } from './api.js';
import { AppContext } from './context.js';
import { initialLang, onLangChange, rememberLang, setLang } from './i18n.js';
import { LoginPage } from './pages/login.js';
import { Shell } from './shell.js';
import { currentPath, navigate } from './router.js';
import { Toaster, toast } from './ui.js';

function loginTarget() {
  const p = currentPath();
  if (p === '/login' || p === '/') return '/login';
  return `/login?next=${encodeURIComponent(p + window.location.search)}`;
}

function nextFromQuery() {
  const next = new URLSearchParams(window.location.search).get('next');
  // only same-site paths
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
}

export function App() {
  const [phase, setPhase] = useState('boot'); // boot | login | app | failed
  const [me, setMe] = useState(null);
  const [notice, setNotice] = useState(null); // message shown on the login page
  const [projects, setProjects] = useState([]);
  const [, setLangTick] = useState(0);
  const pickedOnLogin = useRef(null); // language clicked on the login page, if any
  const loggedInHere = useRef(false); // the shell then moves focus to its first page's heading

  useEffect(() => onLangChange(() => setLangTick((n) => n + 1)), []);

  const reloadProjects = useCallback(async () => {
    try {
      const res = await api.projects();
      setProjects(res.items || []);
    } catch (e) {
      if (e.status !== 401) toast.error(e);
    }
  }, []);

  const enter = useCallback(async (user, csrf, target) => {
    setCsrfToken(csrf);
    setMe(user);
    setNotice(null);
    try {
      if (user.language) {
        await setLang(user.language);
        rememberLang(user.language); // the login page after logout speaks the same language
      }
    } catch (_) {
      /* keep current language */
    }
    if (target) navigate(target, { replace: true });
    setPhase('app');
    reloadProjects();
  }, []);

  const sessionEnded = useCallback((messageKey) => {
    setCsrfToken(null);
    setMe(null);
    setProjects([]);
    setNotice(messageKey ? { key: messageKey } : null);
    setPhase('login');
    navigate(loginTarget(), { replace: true });
  }, []);

  // Boot: language first (so even errors are translated), then the session.
  useEffect(() => {
    (async () => {
      try {
        await setLang(initialLang());
      } catch (e) {
        setPhase('failed');
        return;
      }
      try {
        const res = await api.me();
        await enter(res.user, res.csrf_token, currentPath() === '/login' ? nextFromQuery() : null);
      } catch (e) {
        if (e.status !== 401) setNotice({ error: e });
        setPhase('login');
        if (currentPath() !== '/login') navigate(loginTarget(), { replace: true });
      }
    })();
  }, []);

  useEffect(() => {
    setUnauthorizedHandler((err) => {
      const why = err && err.code === 'two_factor_required' ? 'twoFactor.requiredNotice' : 'login.sessionExpired';
      setPhase((p) => {
        if (p === 'app') setTimeout(() => sessionEnded(why), 0);
        return p;
      });
    });
  }, []);

  // A language picked on the login page is what the person wants now: it wins over the
  // profile's and is saved to it (otherwise the profile's language applies).
  const onLoggedIn = async (res) => {
    let user = res.user;
    loggedInHere.current = true;
    const picked = pickedOnLogin.current;
    pickedOnLogin.current = null;
    if (picked && picked !== user.language) {
      setCsrfToken(res.csrf_token);
      try {
        user = await api.updateMe({ language: picked });
      } catch (e) {
        user = { ...user, language: picked };
      }
    }
    await enter(user, res.csrf_token, nextFromQuery());
  };

  const logout = async () => {
    try {
      await api.logout();
    } catch (e) {
      /* the session is gone either way */
    }
    sessionEnded(null);
  };

  const setLanguage = async (lang) => {
    try {
      await setLang(lang);
    } catch (e) {
      toast.error(e);
      return;
    }
    rememberLang(lang);
    if (!me) pickedOnLogin.current = lang;
    if (me && me.language !== lang) {
      try {
        const user = await api.updateMe({ language: lang });
        setMe(user);
      } catch (e) {
        toast.error(e);
      }
    }
  };

  if (phase === 'boot') return html`<div class="boot" role="status"><span class="spinner"></span></div>`;
  if (phase === 'failed')
    return html`<div class="boot-failed">Baton: cannot load the interface. 无法加载界面，请刷新重试。</div>`;

  const ctx = { me, setMe, projects, reloadProjects, setLanguage, logout, sessionEnded };
  return html`<${AppContext.Provider} value=${ctx}>
    ${phase === 'login'
      ? html`<${LoginPage} notice=${notice} onLoggedIn=${onLoggedIn} setLanguage=${setLanguage} />`
      : html`<${Shell} focusOnMount=${loggedInHere.current} />`}
    <${Toaster} />
  <//>`;
}

