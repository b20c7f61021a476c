import { describe, expect, it } from 'vitest';
import { createRoomStore } from './roomStore.js';
import { identityFromSecrets } from '@protocol/identity.js';

const m = (id: string, seq: number) => ({ id, seq, sender: 'a', verified: false, ts: Date.now(), text: id });

describe('room store', () => {
  it('keeps messages ordered and clears an armed reply whose target is deleted', () => {
    const s = createRoomStore({ roomId: 'ROOM1234', me: 'visitor-oak-AB' });
    s.getState().addMessages([m('b', 2), m('a', 1)]);
    expect(s.getState().order).toEqual(['a', 'b']);
    s.getState().setReplyTo({ id: 'a', sender: 'a', preview: 'a' });
    s.getState().deleteMessage('a');
    expect(s.getState().replyTo).toBeNull();
    expect(s.getState().order).toEqual(['b']);
  });

  it('uses @handle as "me" whenever an identity is loaded', () => {
    const id = identityFromSecrets('alice', new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
    const s = createRoomStore({ roomId: 'ROOM1234', me: 'visitor-oak-AB', identity: id });
    expect(s.getState().me).toBe('@alice');
    s.getState().setIdentity(null);
    expect(s.getState().me).toBe('alice');
  });

  it('tracks pending sends, toasts and unread counts', () => {
    const s = createRoomStore({ roomId: 'ROOM1234', me: 'me' });
    s.getState().upsertPending({ localId: 'l', text: 'x', createdAt: 0, status: 'sending' });
    s.getState().upsertPending({ localId: 'l', text: 'x', createdAt: 0, status: 'failed', error: 'no' });
    expect(s.getState().pending).toHaveLength(1);
    expect(s.getState().pending[0]!.status).toBe('failed');
    s.getState().removePending('l');
    expect(s.getState().pending).toHaveLength(0);
    for (let i = 0; i < 5; i++) s.getState().toast(`t${i}`);
    expect(s.getState().toasts.map((t) => t.text)).toEqual(['t2', 't3', 't4']);
    s.getState().bumpUnread(true);
    s.getState().bumpUnread(false);
    expect([s.getState().unread, s.getState().mentions]).toEqual([2, 1]);
    s.getState().clearUnread();
    expect(s.getState().unread).toBe(0);
  });

  it('applies presence snapshots and renames', () => {
    const s = createRoomStore({ roomId: 'ROOM1234', me: 'me' });
    s.getState().setPresence([
      { name: 'me', last_seen_ms_ago: 0 },
      { name: 'old', last_seen_ms_ago: 5 },
    ]);
    s.getState().renamePresence('old', 'new');
    expect(s.getState().participants.map((p) => p.name)).toEqual(['me', 'new']);
  });
});
