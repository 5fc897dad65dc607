// Tiny i18n: flat-ish JSON dictionaries in /i18n/<lang>.json, `t('a.b', {x})`.
//
// Simplified Chinese is the default. Before login the choice comes from
// localStorage (or navigator.language); once logged in the user's saved
// `language` from /api/me wins and changes are saved with PATCH /api/me.

export const LANGUAGES = ['zh-CN', 'en'];
export const DEFAULT_LANG = 'zh-CN';
const STORAGE_KEY = 'baton.lang';

const dicts = {};
let current = DEFAULT_LANG;
const listeners = new Set();

export function normalizeLang(l) {
  if (!l) return null;
  const s = String(l).toLowerCase();
  if (s.startsWith('zh')) return 'zh-CN';
  if (s.startsWith('en')) return 'en';
  return null;
}

/** The language to use before anyone is logged in. */
export function initialLang() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch (_) {
    /* storage may be disabled */
  }
  return normalizeLang(stored) || normalizeLang(navigator.language) || DEFAULT_LANG;
}

export function rememberLang(lang) {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch (_) {
    /* ignore */
  }
}

async function load(lang) {
  if (dicts[lang]) return dicts[lang];
  // The import map in index.html names the dictionary's content-hashed URL (cached for
  // good); without one (old browser, mock server) the plain URL, revalidated each time.
  const plain = `/i18n/${lang}.json`;
  const url = import.meta.resolve ? import.meta.resolve(plain) : plain;
  const hashed = new URL(url, window.location.href).pathname !== plain;
  const res = await fetch(url, { cache: hashed ? 'default' : 'no-cache' });
  if (!res.ok) throw new Error(`cannot load /i18n/${lang}.json: HTTP ${res.status}`);
  dicts[lang] = await res.json();
  return dicts[lang];
}

/** Switch the UI language (loads the dictionary first). */
export async function setLang(lang) {
  lang = normalizeLang(lang) || DEFAULT_LANG;
  await load(lang);
  if (lang !== DEFAULT_LANG) {
    // fallback dictionary for any missing key
    load(DEFAULT_LANG).catch(() => {});
  }
  current = lang;
  document.documentElement.lang = lang;
  document.title = t('app.title');
  listeners.forEach((fn) => fn(lang));
}

export function getLang() {
  return current;
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function lookup(dict, key) {
  if (!dict) return undefined;
  let v = dict;
  for (const part of key.split('.')) {
    if (v == null || typeof v !== 'object') return undefined;
    v = v[part];
  }
  return typeof v === 'string' ? v : undefined;
}

/** Translate `key`, replacing `{name}` placeholders from `params`. With `params.n === 1`
 * a `key_one` form is used when the language has one ("1 person", not "1 people"). */
export function t(key, params) {
  let s;
  if (params && Number(params.n) === 1) s = lookup(dicts[current], `${key}_one`);
  if (s === undefined) s = lookup(dicts[current], key);
  if (s === undefined) s = lookup(dicts[DEFAULT_LANG], key);
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined ? m : String(params[k])));
  return s;
}

/** Whether a translation exists for `key` (used for error codes). */
export function has(key) {
  return lookup(dicts[current], key) !== undefined;
}

/** A business type as people read it: the ERP's record kinds (`purchase_order` …) are
 * translated; types a project admin typed in are shown as typed. */
export function businessTypeLabel(b) {
  const key = `erp.kinds.${b}`;
  return ['order', 'purchase_order', 'stock', 'shipment'].includes(b) && has(key) ? t(key) : b;
}

/** Format an RFC 3339 timestamp as a date only, like [`fmtTime`] without the time. */
export function fmtDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(current === 'en' ? 'en-GB' : 'zh-CN', { year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** Format an RFC 3339 timestamp for display in the current language: the one date
 * format of the UI (static.test.mjs refuses toLocaleString elsewhere). */
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(current === 'en' ? 'en-GB' : 'zh-CN', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(d);
}
