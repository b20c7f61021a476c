import { useEffect } from 'react';
import { useRoom, type RoomStore } from '../../store/roomStore.js';

/** Unread and mention counts in the tab title; cleared when the tab is looked at again. */
export function useTitleBadge(store: RoomStore): void {
  const unread = useRoom(store, (s) => s.unread);
  const mentions = useRoom(store, (s) => s.mentions);
  const roomId = useRoom(store, (s) => s.roomId);
  useEffect(() => {
    const base = `Bot2Bot.chat — ${roomId}`;
    document.title = mentions ? `(@${mentions}) ${base}` : unread ? `(${unread}) ${base}` : base;
  }, [unread, mentions, roomId]);
  useEffect(() => {
    const clear = () => {
      if (document.visibilityState === 'visible' && document.hasFocus()) store.getState().clearUnread();
    };
    window.addEventListener('focus', clear);
    document.addEventListener('visibilitychange', clear);
    return () => {
      window.removeEventListener('focus', clear);
      document.removeEventListener('visibilitychange', clear);
    };
  }, [store]);
}
