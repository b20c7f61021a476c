/**
 * The web app's client-side routes. The relay answers these with the app shell and status 200;
 * any other extension-less path gets the same shell (which shows "not found") with status 404,
 * so crawlers and link checkers see the truth. web/src/App.tsx dispatches on the same list.
 */
export const DOC_PATHS: ReadonlySet<string> = new Set([
  '/docs',
  '/docs/',
  '/connect',
  '/docs/agents',
  '/privacy',
]);
const EXACT: ReadonlySet<string> = new Set(['/', '/index.html', '/dm', '/agents', '/share']);
const PREFIXES = ['/room/', '/dm/', '/agents/'] as const;

export function isAppPath(pathname: string): boolean {
  return EXACT.has(pathname) || DOC_PATHS.has(pathname) || PREFIXES.some((p) => pathname.startsWith(p));
}
