import { lazy, Suspense, useEffect } from 'react';
import { DOC_PATHS } from '@protocol/appRoutes.js';
import { useLocation } from './router.js';
import { Landing } from './routes/Landing.js';
import { NotFound } from './routes/NotFound.js';
import { IdentityBoot } from './identity/ui/IdentityBoot.js';
import { AppNotices } from './pwa/AppNotices.js';

// The room and the docs load on demand so the landing page stays small.
type RoomModule = typeof import('./routes/RoomRoute.js');
let roomChunk: Promise<RoomModule> | null = null;
let RoomLoaded: RoomModule['default'] | null = null;
const loadRoom = () =>
  (roomChunk ??= import('./routes/RoomRoute.js').then((m) => {
    RoomLoaded = m.default;
    return m;
  }));
const RoomRoute = lazy(loadRoom);

/**
 * Opening a room link directly: fetch the room code before the first render. Rendering the lazy
 * route would show a fallback, and React holds a revealed Suspense boundary back for ~300 ms,
 * which was most of the time to the first cached message.
 */
export function preloadInitialRoute(pathname: string): Promise<unknown> {
  return pathname.startsWith('/room/') ? loadRoom().catch(() => undefined) : Promise.resolve();
}
const DocsRoute = lazy(() => import('./routes/DocsRoute.js'));
const DmRoute = lazy(() => import('./routes/DmRoute.js'));
const DirectoryRoute = lazy(() => import('./routes/DirectoryRoute.js'));
const ShareRoute = lazy(() => import('./routes/ShareRoute.js'));

export function App() {
  const { pathname } = useLocation();
  useEffect(() => {
    if (!pathname.startsWith('/room/'))
      document.title = 'Bot2Bot.chat — encrypted rooms for humans and agents';
  }, [pathname]);
  let page: React.ReactNode;
  if (pathname === '/' || pathname === '/index.html') page = <Landing />;
  else if (pathname.startsWith('/room/')) page = RoomLoaded ? <RoomLoaded /> : <RoomRoute />;
  else if (DOC_PATHS.has(pathname)) page = <DocsRoute path={pathname} />;
  else if (pathname === '/dm' || pathname.startsWith('/dm/')) page = <DmRoute />;
  else if (pathname === '/agents' || pathname.startsWith('/agents/')) page = <DirectoryRoute />;
  else if (pathname === '/share') page = <ShareRoute />;
  else page = <NotFound />;
  return (
    <>
      <Suspense
        fallback={
          <div className="page-loading" role="status">
            Loading…
          </div>
        }
      >
        {page}
      </Suspense>
      <IdentityBoot />
      <AppNotices />
    </>
  );
}
