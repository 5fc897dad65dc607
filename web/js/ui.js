// Shared UI pieces: toasts, modal, form fields, tag input, loaders.
import { html, useCallback, useEffect, useRef, useState } from '../vendor/htm-preact-standalone.mjs';
import { ApiError } from './api.js';
import { has, t } from './i18n.js';

// ---------------------------------------------------------------- errors

/**
 * What to show for an error: a translated headline for codes we know
 * (conflict, rate_limited, …) plus the server's own message as detail;
 * otherwise the server's message itself.
 */
export function errorInfo(err, { staleRev = false } = {}) {
  if (err instanceof ApiError) {
    if (err.code === 'network') return { title: t('errors.network'), detail: '' };
    const key = `errors.${err.code}`;
    // `conflict` also covers e.g. "department still has users"; only an edit
    // that sent a `rev` gets the "someone else changed this" wording.
    if (err.code && has(key) && (err.code !== 'conflict' || staleRev)) {
      const title = t(key);
      const norm = (x) => String(x).toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
      const same = !err.message || err.message === err.code || norm(err.message) === norm(title);
      return { title, detail: same ? '' : err.message };
    }
    return { title: err.message || t('errors.unknown'), detail: '' };
  }
  return { title: (err && err.message) || t('errors.unknown'), detail: '' };
}

/** Inline error; for a stale-`rev` conflict, `onReload` offers to fetch fresh data. */
export function ErrorText({ error, testid, onReload }) {
  if (!error) return null;
  const { title, detail } = errorInfo(error, { staleRev: !!onReload });
  const conflict = error instanceof ApiError && error.code === 'conflict';
  return html`<div class="alert alert-error" role="alert" data-testid=${testid || 'error'}>
    <div class="alert-title">${title}</div>
    ${detail && html`<div class="alert-detail">${detail}</div>`}
    ${conflict && onReload &&
    html`<button type="button" class="btn btn-sm alert-action" onClick=${onReload} data-testid="conflict-reload">
      ${t('common.reload')}</button>`}
  </div>`;
}

// ---------------------------------------------------------------- toasts

let toasts = [];
let toastSeq = 0;
const toastListeners = new Set();

function pushToast(kind, title, detail) {
  const id = ++toastSeq;
  // keep the stack short: the newest three
  toasts = [...toasts, { id, kind, title, detail }].slice(-3);
  toastListeners.forEach((fn) => fn(toasts));
  setTimeout(() => dismissToast(id), kind === 'error' ? 8000 : 3500);
}

export function dismissToast(id) {
  toasts = toasts.filter((x) => x.id !== id);
  toastListeners.forEach((fn) => fn(toasts));
}

export const toast = {
  ok: (msg) => pushToast('ok', msg, ''),
  error: (err) => {
    const { title, detail } = errorInfo(err);
    pushToast('error', title, detail);
  },
};

export function Toaster() {
  const [items, setItems] = useState(toasts);
  useEffect(() => {
    toastListeners.add(setItems);
    return () => toastListeners.delete(setItems);
  }, []);
  return html`<div class="toaster" aria-live="polite" data-testid="toaster">
    ${items.map(
      (x) => html`<div key=${x.id} class=${`toast toast-${x.kind}`} role=${x.kind === 'error' ? 'alert' : 'status'}
        data-testid=${`toast-${x.kind}`}>
        <div class="toast-body">
          <div class="toast-title">${x.title}</div>
          ${x.detail && html`<div class="toast-detail">${x.detail}</div>`}
        </div>
        <button type="button" class="icon-btn toast-close" aria-label=${t('common.close')}
          onClick=${() => dismissToast(x.id)}>${Icon({ name: 'close' })}</button>
      </div>`,
    )}
  </div>`;
}

// ---------------------------------------------------------------- icons

const ICONS = {
  menu: 'M3 6h18M3 12h18M3 18h18',
  close: 'M6 6l12 12M18 6L6 18',
  home: 'M3 11l9-8 9 8M5 10v10h5v-6h4v6h5V10',
  users: 'M16 19v-1a4 4 0 00-4-4H6a4 4 0 00-4 4v1M9 10a3 3 0 100-6 3 3 0 000 6zM22 19v-1a4 4 0 00-3-3.9M16 4.1a3 3 0 010 5.8',
  tree: 'M4 4h6v5H4zM14 15h6v5h-6zM14 4h6v5h-6zM7 9v8.5h7M10 6.5h4',
  folder: 'M3 6a1 1 0 011-1h5l2 2h9a1 1 0 011 1v10a1 1 0 01-1 1H4a1 1 0 01-1-1z',
  key: 'M15 7a4 4 0 11-3.9 4.9L3 20v-3h3v-3h3l2.1-2.1A4 4 0 0115 7z',
  list: 'M8 6h13M8 12h13M8 18h13M3 6h.01M3 12h.01M3 18h.01',
  chevron: 'M6 9l6 6 6-6',
  globe: 'M12 21a9 9 0 100-18 9 9 0 000 18zM3 12h18M12 3a14 14 0 010 18M12 3a14 14 0 000 18',
  logout: 'M15 17l5-5-5-5M20 12H9M12 21H5a1 1 0 01-1-1V4a1 1 0 011-1h7',
  lock: 'M6 11h12v10H6zM8 11V7a4 4 0 018 0v4',
  plus: 'M12 5v14M5 12h14',
  copy: 'M9 9h11v11H9zM5 15H4V4h11v1',
  refresh: 'M20 11a8 8 0 10-2.3 5.7M20 4v7h-7',
  up: 'M6 15l6-6 6 6',
  down: 'M6 9l6 6 6-6',
  trash: 'M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3',
  edit: 'M4 20h4L19 9l-4-4L4 16zM13 7l4 4',
  bell: 'M6 16V11a6 6 0 0112 0v5l2 2H4zM10 20a2 2 0 004 0',
  inbox: 'M3 13l3-8h12l3 8v6H3zM3 13h5l1 3h6l1-3h5',
  todo: 'M9 11l3 3 8-8M20 12v7a1 1 0 01-1 1H5a1 1 0 01-1-1V5a1 1 0 011-1h11',
  flow: 'M5 6a2 2 0 104 0 2 2 0 00-4 0zM15 18a2 2 0 104 0 2 2 0 00-4 0zM7 8v4a2 2 0 002 2h6a2 2 0 012 2',
  check: 'M5 12l5 5L20 7',
  play: 'M7 5l12 7-12 7z',
  forward: 'M13 5l7 7-7 7M4 12h16',
  back: 'M11 5l-7 7 7 7M20 12H4',
  undo: 'M9 14L4 9l5-5M4 9h11a5 5 0 010 10h-3',
  send: 'M4 12l16-8-6 16-3-7z',
  clip: 'M20 11l-8.5 8.5a5 5 0 01-7-7L13 4a3.5 3.5 0 015 5l-8.5 8.5a2 2 0 01-3-3L14 7',
  upload: 'M12 16V4M7 9l5-5 5 5M4 20h16',
  flag: 'M5 21V4M5 4h12l-2 4 2 4H5',
  mail: 'M3 6h18v12H3zM3 6l9 7 9-7',
  mailOpen: 'M3 10l9-6 9 6v10H3zM3 10l9 6 9-6',
  spark: 'M12 3v4M12 17v4M3 12h4M17 12h4M6 6l2.5 2.5M15.5 15.5L18 18M6 18l2.5-2.5M15.5 8.5L18 6',
  code: 'M8 8l-4 4 4 4M16 8l4 4-4 4M14 5l-4 14',
  database: 'M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3zM4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3',
};

export function Icon({ name, cls }) {
  return html`<svg class=${`icon ${cls || ''}`} viewBox="0 0 24 24" aria-hidden="true" focusable="false"
    fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
    <path d=${ICONS[name] || ''} />
  </svg>`;
}

// ---------------------------------------------------------------- focus

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), ' +
  'textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), [contenteditable="true"]';

/**
 * The elements of `root` that Tab stops at, in document order: visible, not inert, and
 * of a radio group only the checked button (or the first), as the browser does.
 */
export function tabStops(root) {
  const seenGroups = new Set();
  return [...root.querySelectorAll(FOCUSABLE)].filter((el) => {
    if (el.tabIndex < 0 || el.closest('[inert]') || el.getClientRects().length === 0) return false;
    if (getComputedStyle(el).visibility === 'hidden') return false;
    if (el.type === 'radio' && el.name) {
      const group = root.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`);
      const pick = [...group].find((r) => r.checked) || group[0];
      if (pick !== el || seenGroups.has(el.name)) return false;
      seenGroups.add(el.name);
    }
    return true;
  });
}

/**
 * Keep Tab and Shift+Tab inside `root` (a dialog, the phone drawer): past the last stop
 * it wraps to the first and back, and focus found outside is brought in. `extra` are
 * stops outside `root` that belong to it (the drawer's toggle button).
 */
export function keepTabInside(e, root, extra = []) {
  if (e.key !== 'Tab' || !root) return;
  const stops = [...extra.filter(Boolean), ...tabStops(root)];
  e.preventDefault();
  if (!stops.length) return;
  const at = stops.indexOf(document.activeElement);
  const next = at < 0 ? (e.shiftKey ? stops.length - 1 : 0) : (at + (e.shiftKey ? -1 : 1) + stops.length) % stops.length;
  stops[next].focus();
}

/**
 * Make everything outside `el` inert (each sibling of `el` and of its ancestors up to
 * <body>), so neither Tab nor a screen reader's virtual cursor reaches the page behind
 * a dialog; `aria-modal` alone does not stop either. Elements matching `keep` stay live
 * (the toaster: a message shown while a dialog closes must still be announced).
 * Returns the undo, which touches only what this call changed (nested dialogs).
 */
export function inertOutside(el, keep = '.toaster') {
  const changed = [];
  for (let node = el; node && node.parentElement && node !== document.body; node = node.parentElement) {
    for (const sib of node.parentElement.children) {
      if (sib === node || sib.inert || sib.matches(keep) || sib.tagName === 'SCRIPT') continue;
      sib.inert = true;
      changed.push(sib);
    }
  }
  return () => changed.forEach((x) => (x.inert = false));
}

/**
 * After a route change, put focus on the new page's <h1> (focusable by tabindex=-1), so
 * a screen reader announces the page and Tab continues from its top instead of from
 * <body> or the link in the menu. Pages that load first show their heading later, so
 * <main> is watched for a while; once the person acts (a key, a tap) or has moved focus
 * elsewhere themselves, it is left alone. `from` is what had focus when the navigation
 * began (the link). Without any heading, <main> itself gets focus. Returns a function
 * that stops watching.
 */
export function focusPageHeading(main, from, within = 5000) {
  let mine = null;
  let stopped = false;
  const ours = (a) => !a || a === document.body || a === from || a === main || (mine && a === mine);
  const tryFocus = () => {
    if (stopped) return;
    const a = document.activeElement;
    if (!ours(a)) return stop();
    const h = main.querySelector('h1');
    if (!h || (h === mine && a === h) || h.closest('[inert]')) return;
    if (!h.hasAttribute('tabindex')) h.setAttribute('tabindex', '-1');
    h.focus({ preventScroll: true });
    mine = h;
  };
  const obs = new MutationObserver(tryFocus);
  obs.observe(main, { childList: true, subtree: true });
  document.addEventListener('keydown', stop, true);
  document.addEventListener('pointerdown', stop, true);
  const timer = setTimeout(() => {
    if (!stopped && !mine && ours(document.activeElement)) main.focus({ preventScroll: true });
    stop();
  }, within);
  function stop() {
    stopped = true;
    obs.disconnect();
    clearTimeout(timer);
    document.removeEventListener('keydown', stop, true);
    document.removeEventListener('pointerdown', stop, true);
  }
  tryFocus();
  return stop;
}

// ---------------------------------------------------------------- modal

// Open modals, innermost last: Escape and Tab act on the top one only.
const modalStack = [];

/**
 * A modal dialog: focus moves in (the first field, else the first button), Tab stays
 * inside, the page behind is inert, Escape closes, and focus goes back to the opener.
 */
export function Modal({ title, onClose, children, testid, wide }) {
  const ref = useRef(null);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useEffect(() => {
    const entry = { close: () => closeRef.current() };
    modalStack.push(entry);
    const root = ref.current;
    const onKey = (e) => {
      if (modalStack[modalStack.length - 1] !== entry) return;
      if (e.key === 'Escape') {
        e.stopPropagation();
        entry.close();
      } else if (e.key === 'Tab') {
        keepTabInside(e, root);
      }
    };
    document.addEventListener('keydown', onKey);
    const opener = document.activeElement;
    const restoreLive = root ? inertOutside(root.parentElement) : () => {};
    const el =
      root &&
      (root.querySelector('.modal-body input:not([type=hidden]):not([readonly]), .modal-body select, .modal-body textarea') ||
        root.querySelector('.modal-body button') ||
        root.querySelector('button'));
    if (el) el.focus();
    document.body.classList.add('modal-open');
    return () => {
      document.removeEventListener('keydown', onKey);
      modalStack.splice(modalStack.indexOf(entry), 1);
      if (!modalStack.length) document.body.classList.remove('modal-open');
      restoreLive();
      // give focus back to whatever opened the dialog (callers handle an opener that is gone)
      if (opener && opener.isConnected && opener !== document.body && typeof opener.focus === 'function') opener.focus();
    };
  }, []);
  const onBackdrop = (e) => {
    if (e.target === e.currentTarget) onClose();
  };
  return html`<div class="modal-backdrop" onMouseDown=${onBackdrop}>
    <div class=${`modal ${wide ? 'modal-wide' : ''}`} role="dialog" aria-modal="true" aria-label=${title}
      data-testid=${testid} ref=${ref}>
      <div class="modal-head">
        <h2>${title}</h2>
        <button type="button" class="icon-btn" aria-label=${t('common.close')} onClick=${onClose}
          data-testid="modal-close">${Icon({ name: 'close' })}</button>
      </div>
      <div class="modal-body">${children}</div>
    </div>
  </div>`;
}

/** A confirmation dialog; `onConfirm` may be async and its error is shown inline. */
export function Confirm({ title, message, confirmLabel, danger, onConfirm, onClose }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return html`<${Modal} title=${title} onClose=${onClose} testid="confirm-dialog">
    <p class="confirm-message">${message}</p>
    <${ErrorText} error=${error} />
    <div class="form-actions">
      <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
      <button type="button" class=${`btn ${danger ? 'btn-danger' : 'btn-primary'}`} disabled=${busy}
        onClick=${go} data-testid="confirm-ok">${confirmLabel || t('common.confirm')}</button>
    </div>
  <//>`;
}

// ---------------------------------------------------------------- forms

export function Field({ label, hint, children, cls }) {
  return html`<label class=${`field ${cls || ''}`}>
    <span class="field-label">${label}</span>
    ${children}
    ${hint && html`<span class="field-hint">${hint}</span>`}
  </label>`;
}

/** Edit a list of short strings as removable chips plus an input (Enter or comma adds). */
export function TagInput({ value, onChange, placeholder, testid }) {
  const [draft, setDraft] = useState('');
  const add = (raw) => {
    const parts = String(raw)
      .split(/[,，\n]/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (!parts.length) return;
    const next = [...value];
    for (const p of parts) if (!next.includes(p)) next.push(p);
    onChange(next);
    setDraft('');
  };
  const onKeyDown = (e) => {
    if (e.key === 'Enter' || e.key === ',') {
      e.preventDefault();
      add(draft);
    } else if (e.key === 'Backspace' && !draft && value.length) {
      onChange(value.slice(0, -1));
    }
  };
  return html`<div class="tag-input" data-testid=${testid}>
    ${value.map(
      (tag) => html`<span class="tag" key=${tag}>${tag}
        <button type="button" class="tag-remove" aria-label=${t('common.removeItem', { name: tag })}
          onClick=${() => onChange(value.filter((x) => x !== tag))}>×</button></span>`,
    )}
    <input type="text" value=${draft} placeholder=${placeholder} onInput=${(e) => setDraft(e.target.value)}
      onKeyDown=${onKeyDown} onBlur=${() => add(draft)} data-testid=${testid && `${testid}-input`} />
  </div>`;
}

// ---------------------------------------------------------------- data

/** Load data with `fn`; returns { data, error, loading, reload, setData }. */
export function useLoader(fn, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const reload = useCallback(async () => {
    const my = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await fn();
      if (my === seq.current) setState({ data, error: null, loading: false });
      return data;
    } catch (error) {
      if (my === seq.current) setState((s) => ({ ...s, error, loading: false }));
      return null;
    }
  }, deps);
  useEffect(() => {
    reload();
  }, [reload]);
  const setData = (data) => setState((s) => ({ ...s, data }));
  return { ...state, reload, setData };
}

export function Loading() {
  return html`<div class="loading" role="status"><span class="spinner"></span>${t('common.loading')}</div>`;
}

export function Empty({ children }) {
  return html`<div class="empty">${children}</div>`;
}

export function PageHeader({ title, subtitle, children }) {
  useEffect(() => {
    document.title = `${title} · Baton`;
  }, [title]);
  return html`<div class="page-header">
    <div>
      <h1 tabindex="-1">${title}</h1>
      ${subtitle && html`<p class="page-subtitle">${subtitle}</p>`}
    </div>
    ${children && html`<div class="page-actions">${children}</div>`}
  </div>`;
}

export function initials(name) {
  // Parenthesised notes ("Lily (Customer service)") and punctuation are not part of a name.
  const s = String(name || '')
    .replace(/[(（[【][^)）\]】]*[)）\]】]?/g, ' ')
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .trim();
  if (!s) return '?';
  // CJK names: the last one or two characters of the first CJK word read naturally
  // ("王采购 Wang" -> 采购); Latin: first letters.
  const cjk = s.match(/[\u3400-\u9fff]+/);
  if (cjk) return cjk[0].length > 2 ? cjk[0].slice(-2) : cjk[0];
  const parts = s.split(/\s+/).filter(Boolean);
  return (parts[0][0] + (parts[1] ? parts[1][0] : '')).toUpperCase();
}

export function Avatar({ name, small }) {
  return html`<span class=${`avatar ${small ? 'avatar-sm' : ''}`} aria-hidden="true">${initials(name)}</span>`;
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (_) {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'offscreen';
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch (_) {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}
