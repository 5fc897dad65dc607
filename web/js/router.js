// Minimal history-API router. The server falls back to index.html for
// unknown paths, so deep links such as /admin/users work on reload.
import { html, useEffect, useState } from '../vendor/htm-preact-standalone.mjs';

const listeners = new Set();

export function currentPath() {
  return window.location.pathname || '/';
}

export function navigate(path, { replace = false } = {}) {
  if (path === currentPath() + window.location.search) return;
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  listeners.forEach((fn) => fn(currentPath()));
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => listeners.forEach((fn) => fn(currentPath())));

export function usePath() {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    listeners.add(setPath);
    // a navigation may have happened between the first render and this effect
    setPath(currentPath());
    return () => listeners.delete(setPath);
  }, []);
  return path;
}

/** Match `/projects/:id` style patterns; returns params or null. */
export function match(pattern, path) {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

/** An <a> that navigates without a page load (modifier clicks still open tabs). */
export function Link({ href, class: cls, className, children, onNavigate, ...rest }) {
  const onClick = (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
    if (onNavigate) onNavigate();
  };
  return html`<a href=${href} class=${cls || className} onClick=${onClick} ...${rest}>${children}</a>`;
}
