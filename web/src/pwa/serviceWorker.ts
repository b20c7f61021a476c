/**
 * Registers the service worker (web/sw/sw.ts) and tracks two things the page shows: a new version
 * waiting to take over (the update prompt), and whether the browser is offline.
 */
import { useSyncExternalStore } from 'react';

interface PwaState {
  /** A newer worker is installed and waits for the user to reload into it. */
  updateReady: boolean;
  offline: boolean;
}

let state: PwaState = {
  updateReady: false,
  offline: typeof navigator !== 'undefined' && navigator.onLine === false,
};
const listeners = new Set<() => void>();
const set = (patch: Partial<PwaState>) => {
  state = { ...state, ...patch };
  listeners.forEach((l) => l());
};

export function usePwa(): PwaState {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );
}

let registration: ServiceWorkerRegistration | null = null;

/** The registration once ready (push subscriptions hang off it); null without service workers. */
export async function swRegistration(): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator)) return null;
  return navigator.serviceWorker.ready;
}

export function startServiceWorker(): void {
  window.addEventListener('online', () => set({ offline: false }));
  window.addEventListener('offline', () => set({ offline: true }));
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // Only after the user chose to update: the first install also takes control, silently.
    if (!state.updateReady || reloading) return;
    reloading = true;
    location.reload();
  });
  void navigator.serviceWorker
    .register('/sw.js', { scope: '/' })
    .then((reg) => {
      registration = reg;
      const watch = (w: ServiceWorker | null) => {
        if (!w) return;
        const check = () => {
          if (w.state === 'installed' && navigator.serviceWorker.controller) set({ updateReady: true });
        };
        check();
        w.addEventListener('statechange', check);
      };
      watch(reg.waiting);
      reg.addEventListener('updatefound', () => watch(reg.installing));
      // A long-lived tab looks for a new deploy now and then.
      setInterval(() => void reg.update().catch(() => undefined), 30 * 60_000);
    })
    .catch(() => undefined);
}

/** The user accepted the update: the waiting worker takes over and the page reloads into it. */
export function applyUpdate(): void {
  const w = registration?.waiting;
  if (w) w.postMessage({ type: 'skip-waiting' });
  else location.reload();
}

/** Ask for a fresh sw.js now (tests and the update check after a long sleep). */
export function checkForUpdate(): Promise<void> {
  return registration
    ? registration
        .update()
        .then(() => undefined)
        .catch(() => undefined)
    : Promise.resolve();
}
