/** A tiny history router: the app has a handful of routes and no nested layouts. */
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());
window.addEventListener('popstate', emit);
window.addEventListener('hashchange', emit);

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.scrollTo(0, 0);
  emit();
}

const snapshot = () => location.pathname + location.hash;

export function useLocation(): { pathname: string; hash: string } {
  useSyncExternalStore((l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  }, snapshot);
  return { pathname: location.pathname, hash: location.hash };
}

/** Intercept same-origin link clicks so internal navigation does not reload the page. */
export function onLinkClick(e: React.MouseEvent<HTMLAnchorElement>): void {
  const a = e.currentTarget;
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || a.target)
    return;
  const url = new URL(a.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/sdk/'))
    return;
  e.preventDefault();
  navigate(url.pathname + url.hash);
}
