import { describe, expect, it } from 'vitest';
import { deleteEnvelope, reactEnvelope } from '@protocol/envelopes.js';
import type { ChatMessage } from './chatState.js';
import { Incoming } from './incoming.js';
import { OWN_REACTOR } from './reactors.js';
import { SentLog } from './sentLog.js';
import { newStore, recordingCache, sealedFrame } from './testRoom.js';
import { KEY } from './testRoom.js';

function setup(me = 'alice') {
  const store = newStore(me);
  const cache = recordingCache();
  const noticed: ChatMessage[] = [];
  const settled: string[] = [];
  const armed: string[] = [];
  const frames: Array<() => void> = [];
  const sent = new SentLog();
  /** The flush timer fires. */
  const tick = () => frames.splice(0).forEach((fn) => fn());
  const incoming = new Incoming({
    key: KEY,
    store,
    clock: { now: () => 2_000_000, noteEcho: () => undefined },
    cache,
    expiry: {
      deleteLocal: (id, now) => {
        store.getState().deleteMessage(id, now);
        return true;
      },
      arm: (m) => void armed.push(m.id),
    },
    history: { maybeRequest: () => undefined, onRequest: () => undefined, onResponse: () => undefined },
    adoption: { consider: () => undefined },
    outbox: { settle: (id) => void settled.push(id) },
    sent,
    notice: (m) => void noticed.push(...m),
    schedule: (fn) => void frames.push(fn),
    refreshStatus: async () => undefined,
    armSignedLink: () => undefined,
  });
  const ready = () => incoming.frame({ type: 'ready', roomId: 'ROOM000001', size: 1, participants: [] });
  return { store, cache, incoming, noticed, settled, armed, ready, tick, sent };
}

const live = (inc: Incoming, f: ReturnType<typeof sealedFrame>) => inc.frame({ type: 'message', ...f });

describe('incoming frames', () => {
  it('decrypts chat once, caches it, moves the cursor, and notices only live messages', () => {
    const { store, cache, incoming, noticed, ready, tick } = setup();
    const early = sealedFrame('replayed');
    live(incoming, early);
    ready();
    const f = sealedFrame('hello');
    live(incoming, f);
    live(incoming, f);
    tick();
    expect(store.getState().order).toEqual([early.id, f.id]);
    expect(store.getState().messages[f.id]?.text).toBe('hello');
    expect(cache.rec.put.map((x) => x.id)).toEqual([early.id, f.id]);
    expect(cache.rec.cursor).toBe(f.seq);
    expect(noticed.map((m) => m.id)).toEqual([f.id]);
  });

  it('keys reactors like messages: unsigned handles marked, labels normalised, ours by nonce', () => {
    const { store, incoming, ready, sent } = setup('alice');
    ready();
    const m = sealedFrame('target');
    live(incoming, m);
    live(incoming, sealedFrame(reactEnvelope(m.id, '👍', 'add'), { sender: '@alice' }));
    live(incoming, sealedFrame(reactEnvelope(m.id, '👍', 'add'), { sender: '@bob', sender_verified: true }));
    live(incoming, sealedFrame(reactEnvelope(m.id, '👍', 'add'), { sender: 'ca\u200brol\u202e' }));
    // Someone posting under our display name is not us.
    live(incoming, sealedFrame(reactEnvelope(m.id, '👍', 'add'), { sender: 'alice' }));
    const mine = sealedFrame(reactEnvelope(m.id, '🔥', 'add'), { sender: 'renamed' });
    sent.noteSending(mine.nonce);
    live(incoming, mine);
    live(incoming, sealedFrame(reactEnvelope(m.id, 'x'.repeat(90_000), 'add'), { sender: 'dave' }));
    expect(store.getState().reactions[m.id]).toEqual({
      '👍': ['@alice (unsigned)', '@bob', 'carol', 'alice'],
      '🔥': [OWN_REACTOR],
    });
  });

  it('counts frames that do not open under the room key', () => {
    const { store, incoming } = setup();
    live(incoming, { ...sealedFrame('x'), ciphertext: 'AAAA' });
    expect(store.getState().undecryptable).toBe(1);
  });

  it('applies deletes and reactions, never rendering control envelopes', () => {
    const { store, incoming, ready } = setup();
    ready();
    const m = sealedFrame('target');
    live(incoming, m);
    // No frame has run yet: the reaction still lands after its target.
    live(incoming, sealedFrame(reactEnvelope(m.id, '👍', 'add'), { sender: 'carol' }));
    expect(store.getState().reactions[m.id]).toEqual({ '👍': ['carol'] });
    live(incoming, sealedFrame(deleteEnvelope(m.id)));
    expect(store.getState().messages[m.id]).toBeUndefined();
    expect(m.id in store.getState().tombstones).toBe(true);
    expect(store.getState().order).toEqual([]);
  });

  it('replays the cache in seq order, dropping tombstoned frames and keeping reaction order', async () => {
    const { store, cache, incoming } = setup();
    const a = sealedFrame('a');
    const b = sealedFrame('b');
    const c = sealedFrame('c');
    const add = sealedFrame(reactEnvelope(a.id, '👍', 'add'), { sender: 'carol' });
    const remove = sealedFrame(reactEnvelope(a.id, '👍', 'remove'), { sender: 'carol' });
    const mine = sealedFrame(reactEnvelope(c.id, '🔥', 'add'), { sender: 'whoever', own: true });
    store.getState().setTombstones({ [b.id]: 1 });
    await incoming.replayCache([a, b, add, c, remove, mine]);
    expect(store.getState().order).toEqual([a.id, c.id]);
    expect(cache.rec.dropped).toEqual([b.id]);
    expect(store.getState().reactions).toEqual({ [c.id]: { '🔥': [OWN_REACTOR] } });
  });

  it('applies a burst of live messages in one store update per frame', () => {
    const { store, cache, incoming, noticed, settled, ready, tick } = setup();
    ready();
    let updates = 0;
    store.subscribe(() => void updates++);
    const burst = Array.from({ length: 1000 }, (_, i) => sealedFrame(`burst ${i}`));
    for (const f of burst) live(incoming, f);
    expect(store.getState().order).toHaveLength(0);
    tick();
    expect(store.getState().order).toEqual(burst.map((f) => f.id));
    expect(cache.rec.put).toHaveLength(1000);
    expect(settled).toHaveLength(1000);
    expect(noticed).toHaveLength(1000);
    // Messages, then one notice (announcement) update; none per message.
    expect(updates).toBeLessThanOrEqual(3);
  });

  it('lets a verified message go only to a signed delete from its own handle, and says who deleted', () => {
    const { store, incoming, ready, tick } = setup();
    ready();
    const signed = sealedFrame('signed words', { sender: '@alice', sender_verified: true });
    const anon = sealedFrame('anonymous words');
    live(incoming, signed);
    live(incoming, anon);
    tick();
    live(incoming, sealedFrame(deleteEnvelope(signed.id), { sender: 'mallory' }));
    live(incoming, sealedFrame(deleteEnvelope(signed.id), { sender: '@mallory', sender_verified: true }));
    live(incoming, sealedFrame(deleteEnvelope(signed.id), { sender: '@alice', sender_verified: false }));
    expect(store.getState().messages[signed.id]).toBeDefined();
    live(incoming, sealedFrame(deleteEnvelope(anon.id), { sender: 'mallory' }));
    expect(store.getState().messages[anon.id]).toBeUndefined();
    expect(store.getState().toasts.at(-1)?.text).toBe('mallory (unverified) deleted a message from bob');
    live(incoming, sealedFrame(deleteEnvelope(signed.id), { sender: '@alice', sender_verified: true }));
    expect(store.getState().messages[signed.id]).toBeUndefined();
    expect(store.getState().toasts.at(-1)?.text).toBe('@alice deleted their message');
  });

  it('marks a message as ours only by the nonce this browser sent, never by its label', () => {
    const { store, incoming, ready, tick, sent, noticed } = setup('@victim');
    ready();
    const mine = sealedFrame('from this tab', { sender: '@victim', sender_verified: true });
    sent.noteSending(mine.nonce);
    const forged = sealedFrame('forged', { sender: '@victim' });
    const sameName = sealedFrame('same name', { sender: '@victim', sender_verified: true });
    for (const f of [mine, forged, sameName]) live(incoming, f);
    tick();
    const m = store.getState().messages;
    expect(m[mine.id]?.own).toBe(true);
    expect(m[forged.id]?.own).toBeUndefined();
    expect(m[forged.id]?.verified).toBe(false);
    expect(m[sameName.id]?.own).toBeUndefined();
    expect(noticed.map((x) => x.id)).toEqual([forged.id, sameName.id]);
  });

  it('normalises sender labels and presence names at the edge', () => {
    const { store, incoming, tick } = setup();
    incoming.frame({
      type: 'ready',
      roomId: 'ROOM000001',
      size: 2,
      participants: [{ name: '\u202Eeve\u200B', last_seen_ms_ago: 0 }],
    });
    live(incoming, sealedFrame('x', { sender: '  @vic\u200Btim\u0000 ' }));
    tick();
    expect(store.getState().participants[0]?.name).toBe('eve');
    expect(Object.values(store.getState().messages)[0]?.sender).toBe('@victim');
  });

  it('takes presence, lock and error frames into the store', () => {
    const { store, incoming } = setup();
    incoming.frame({
      type: 'ready',
      roomId: 'ROOM000001',
      size: 2,
      participants: [{ name: 'bob', last_seen_ms_ago: 0 }],
      signed_only: true,
    });
    expect(store.getState().live).toBe(true);
    expect(store.getState().locked).toBe(true);
    incoming.frame({ type: 'rename', from: 'bob', to: 'robert' });
    expect(store.getState().participants.map((p) => p.name)).toEqual(['robert']);
    incoming.frame({ type: 'error', error: 'slow down', code: 429 });
    expect(store.getState().toasts.at(-1)?.text).toContain('rate limiting');
  });
});
