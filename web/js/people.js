// The user directory (GET /api/users, readable by every signed-in user), cached for
// the page's lifetime: tasks, comments and the inbox show people by id.
import { useEffect, useState } from '../vendor/htm-preact-standalone.mjs';
import { api } from './api.js';

let cached = null; // array of users once loaded
let pending = null;
const subs = new Set();

export function loadUsers(force = false) {
  if (cached && !force) return Promise.resolve(cached);
  if (pending && !force) return pending;
  pending = api
    .users()
    .then((res) => {
      cached = res.items || [];
      subs.forEach((fn) => fn(cached));
      return cached;
    })
    .catch(() => cached || [])
    .finally(() => {
      pending = null;
    });
  return pending;
}

/** Forget the directory (e.g. after logout or creating users). */
export function dropUsers() {
  cached = null;
}

// an id we do not know (a user created since the page loaded): reload, at most every 10 s
let lastForced = 0;
function refreshSoon() {
  if (!cached || pending || Date.now() - lastForced < 10000) return;
  lastForced = Date.now();
  setTimeout(() => loadUsers(true), 0);
}

export const displayName = (u) => (u ? u.display_name || u.username : '');

/** { list, byId(id), name(id) } — `name` falls back to `#id` until the directory is loaded. */
export function useUsers() {
  const [list, setList] = useState(cached || []);
  useEffect(() => {
    subs.add(setList);
    loadUsers().then(setList);
    return () => subs.delete(setList);
  }, []);
  const byId = (id) => list.find((u) => u.id === id) || null;
  const name = (id) => {
    if (id == null) return '—';
    const u = byId(id);
    if (!u) refreshSoon();
    return u ? displayName(u) : `#${id}`;
  };
  return { list, byId, name };
}
