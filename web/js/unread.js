// The inbox's unread count, shared by the shell's badges and the inbox page.
// The shell polls it every 30 s; pages call refreshUnread() after actions.
import { useEffect, useState } from '../vendor/htm-preact-standalone.mjs';
import { api } from './api.js';

let count = null;
const subs = new Set();

function set(n) {
  count = n;
  subs.forEach((fn) => fn(n));
}

export async function refreshUnread() {
  try {
    const res = await api.unreadCount();
    set(Number(res.unread) || 0);
  } catch (_) {
    /* keep the last known count */
  }
}

/** Set the count from a response that carries it (GET /api/inbox). */
export function setUnread(n) {
  if (typeof n === 'number') set(n);
}

export function resetUnread() {
  set(null);
}

export function useUnread() {
  const [n, setN] = useState(count);
  useEffect(() => {
    subs.add(setN);
    setN(count);
    return () => subs.delete(setN);
  }, []);
  return n;
}

/** Poll while mounted (the app shell). */
export function useUnreadPolling(intervalMs = 30000) {
  useEffect(() => {
    refreshUnread();
    const timer = setInterval(refreshUnread, intervalMs);
    const onVisible = () => {
      if (document.visibilityState === 'visible') refreshUnread();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
      resetUnread();
    };
  }, []);
}
