/**
 * The service worker, kept small on purpose. It serves the app shell and the built files from a
 * cache made at install, so a room opened before reopens without a network (its history comes
 * from IndexedDB, which the page reads itself). It never touches /api or any other server route,
 * so no relay answer is ever cached, and it never sees a room key: keys live in the URL fragment,
 * which is not part of any request. It also shows Web Push notifications, which carry only "a new
 * message" or "a new direct message", never content or names.
 *
 * The build (deploy/serviceWorkerPlugin.ts) replaces the two placeholders with the build's version and the
 * list of files to keep.
 */
/// <reference lib="webworker" />
const sw = self as unknown as ServiceWorkerGlobalScope;

const VERSION = '__BUILD_VERSION__';
const PRECACHE: string[] = JSON.parse('__PRECACHE__') as string[];
const CACHE = `bot2bot-shell-${VERSION}`;
const SHELL = '/index.html';
/** Client-side routes: a navigation to one of these gets the app shell. */
const APP_ROUTES = [
  /^\/$/,
  /^\/room\//,
  /^\/dm(\/|$)/,
  /^\/agents(\/|$)/,
  /^\/docs(\/|$)/,
  /^\/connect$/,
  /^\/privacy$/,
  /^\/share$/,
];

sw.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll([SHELL, ...PRECACHE])));
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys())
        if (name.startsWith('bot2bot-shell-') && name !== CACHE) await caches.delete(name);
      // The first install takes the open pages at once; an update waits for the page's prompt.
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('message', (event) => {
  const data = event.data as { type?: unknown } | null;
  if (data && data.type === 'skip-waiting') void sw.skipWaiting();
});

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin || url.pathname.startsWith('/api/')) return;
  if (req.mode === 'navigate') {
    if (!APP_ROUTES.some((r) => r.test(url.pathname))) return;
    // Network first, so a deploy shows at once; the kept shell when the network is gone.
    event.respondWith(
      fetch(req).catch(async () => (await caches.match(SHELL, { cacheName: CACHE })) ?? Response.error()),
    );
    return;
  }
  if (!PRECACHE.includes(url.pathname)) return;
  event.respondWith(caches.match(url.pathname, { cacheName: CACHE }).then((hit) => hit ?? fetch(req)));
});

/** What a push may carry: a kind and a link, nothing readable about the message. */
interface PushNote {
  kind: 'dm' | 'room';
  url: string;
  tag?: string;
}

function parsePush(data: PushMessageData | null): PushNote {
  try {
    const j = data?.json() as Partial<PushNote> | undefined;
    if (j && (j.kind === 'dm' || j.kind === 'room') && typeof j.url === 'string' && j.url.startsWith('/'))
      return { kind: j.kind, url: j.url, ...(typeof j.tag === 'string' ? { tag: j.tag } : {}) };
  } catch {
    // A payload-less or unreadable push still says that something arrived.
  }
  return { kind: 'room', url: '/' };
}

sw.addEventListener('push', (event) => {
  const note = parsePush(event.data);
  const title = note.kind === 'dm' ? 'New direct message' : 'New message in a room';
  event.waitUntil(
    sw.registration.showNotification(title, {
      body: 'Open Bot2Bot to read it.',
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      tag: note.tag ?? note.kind,
      data: { url: note.url },
    }),
  );
});

sw.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = (event.notification.data as { url?: string } | null)?.url ?? '/';
  event.waitUntil(
    (async () => {
      const wins = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const w of wins) {
        if (new URL(w.url).pathname === target.split('#')[0]) return void (await w.focus());
      }
      await sw.clients.openWindow(target);
    })(),
  );
});
