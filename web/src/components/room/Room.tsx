import { useEffect, useState } from 'react';
import type { RoomLink } from '@protocol/roomUrl.js';
import { RoomController } from '../../room/controller.js';
import { RoomContext, useCtl, useRoomState } from './roomContext.js';
import { TopBar } from './TopBar.js';
import { MessageList } from './MessageList.js';
import { Composer } from './Composer.js';
import { PresenceRail } from './PresenceRail.js';
import { Toasts } from './Toasts.js';
import { useTitleBadge } from './useTitleBadge.js';
import { AdoptConsentDialog } from './AdoptConsentDialog.js';
import { ThreadPane } from './ThreadPane.js';
import { useVisualViewport } from '../../ui/useVisualViewport.js';

export function Room({ link }: { link: RoomLink }) {
  const [ctl, setCtl] = useState<RoomController | null>(null);
  useEffect(() => {
    const c = new RoomController(link.roomId, link.key, { signed: link.signed });
    setCtl(c);
    void c.start();
    return () => c.dispose();
  }, [link.roomId, link.key, link.signed]);
  useEffect(() => {
    document.title = `Bot2Bot.chat — ${link.roomId}`;
  }, [link.roomId]);
  if (!ctl)
    return (
      <div className="page-loading" role="status">
        Opening room…
      </div>
    );
  return (
    <RoomContext.Provider value={{ ctl, link }}>
      <RoomShell />
    </RoomContext.Provider>
  );
}

function RoomShell() {
  const [peopleOpen, setPeopleOpen] = useState(false);
  const { ctl } = useCtl();
  const threadOpen = useRoomState((s) => s.threadRootId !== null && !!s.messages[s.threadRootId]);
  const announcement = useRoomState((s) => s.announcement);
  useTitleBadge(ctl.store);
  useVisualViewport();
  return (
    <div className={`room${peopleOpen ? ' people-open' : ''}${threadOpen ? ' thread-open' : ''}`}>
      <a className="skip-link" href="#composer-input">
        Skip to message box
      </a>
      <TopBar peopleOpen={peopleOpen} onTogglePeople={() => setPeopleOpen((v) => !v)} />
      <ConnBanner />
      <div className="room-main">
        <main className="chat" id="main" aria-label="Conversation">
          <MessageList />
          <Composer />
        </main>
        <ThreadPane />
        <PresenceRail open={peopleOpen} onClose={() => setPeopleOpen(false)} />
      </div>
      {/* Live messages only, one line each: the list itself is not live, so a cache replay or
          rendering older messages is never read out. */}
      <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {announcement}
      </div>
      <Toasts />
      <AdoptConsentDialog />
    </div>
  );
}

/** Phones show only a dot in the top bar; while the socket is down this says so in words. */
function ConnBanner() {
  const { ctl } = useCtl();
  const conn = useRoomState((s) => s.conn);
  const retryIn = useRoomState((s) => s.retryInMs);
  if (conn !== 'reconnecting') return null;
  return (
    <div className="conn-banner">
      <span>Connection lost · reconnecting{retryIn ? ` in ${Math.ceil(retryIn / 1000)}s` : '…'}</span>
      <button type="button" className="btn btn-small btn-ghost" onClick={() => ctl.retryConnection()}>
        Retry now
      </button>
    </div>
  );
}
