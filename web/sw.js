// Baton's service worker, at /sw.js (root scope). The server fills in the two
// placeholders at start: the shell to precache (the page and the content-hashed URL of
// every file it may load) and a version derived from that list, so a new deployment
// installs a new cache and drops the old one. API answers are never cached: task data
// always comes from the server.
const CACHE = 'baton-shell-@@VERSION@@';
const SHELL = ['@@SHELL@@'];
const ICON = '/icons/icon-192.png';

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('baton-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  // Only this origin's shell; /api/ and everything else go to the network untouched.
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (req.mode === 'navigate') {
    // The page from the network when there is one (it names the current assets), the
    // cached shell when offline.
    event.respondWith(fetch(req).catch(() => caches.match('/', { cacheName: CACHE }).then((hit) => hit || Response.error())));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(req, { cacheName: CACHE }).then((hit) => hit || fetch(req)));
  }
});

// A notice from Baton: {title, body, url, tag} (src/delivery/push/send.rs).
self.addEventListener('push', (event) => {
  let msg = {};
  try {
    msg = event.data ? event.data.json() : {};
  } catch {
    msg = { body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(
    self.registration.showNotification(msg.title || 'Baton', {
      body: msg.body || '',
      tag: msg.tag,
      icon: ICON,
      badge: ICON,
      data: { url: msg.url || '/' },
    }),
  );
});

// Opens the notice's task: in a Baton window already open if there is one.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  let target = new URL((event.notification.data && event.notification.data.url) || '/', self.location.origin);
  if (target.origin !== self.location.origin) target = new URL('/', self.location.origin);
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(async (list) => {
      const same = list.find((c) => c.url === target.href);
      if (same) return same.focus();
      const ours = list.find((c) => new URL(c.url).origin === self.location.origin);
      if (ours) {
        try {
          const w = await ours.navigate(target.href);
          return (w || ours).focus();
        } catch {
          // not controlled by this worker: open a new window instead
        }
      }
      return self.clients.openWindow(target.href);
    }),
  );
});
