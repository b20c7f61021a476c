import { describe, expect, it } from 'vitest';
import { deleteEnvelope, reactEnvelope } from '../../../protocol/envelopes.js';
import type { ChatMessage } from './chatState.js';
import { Incoming } from './incoming.js';
import { newStore, recordingCache, sealedFrame } from './testRoom.js';
import { KEY } from './testRoom.js';

function setup(me = 'alice') {
  const store = newStore(me);
  const cache = recordingCache();
  const noticed: ChatMessage[] = [];
  const settled: string[] = [];
  const armed: string[] = [];
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
    notice: (m) => void noticed.push(m),
    refreshStatus: async () => undefined,
    armSignedLink: () => undefined,
  });
  const ready = () => incoming.frame({ type: 'ready', roomId: 'ROOM000001', size: 1, participants: [] });
  return { store, cache, incoming, noticed, settled, armed, ready };
}

const live = (inc: Incoming, f: ReturnType<typeof sealedFrame>) => inc.frame({ type: 'message', ...f });

describe('incoming frames', () => {
  it('decrypts chat once, caches it, moves the cursor, and notices only live messages', () => {
    const { store, cache, incoming, noticed, ready } = setup();
    const early = sealedFrame('replayed');
    live(incoming, early);
    ready();
    const f = sealedFrame('hello');
    live(incoming, f);
    live(incoming, f);
    expect(store.getState().order).toEqual([early.id, f.id]);
    expect(store.getState().messages[f.id]?.text).toBe('hello');
    expect(cache.rec.put.map((x) => x.id)).toEqual([early.id, f.id]);
    expect(cache.rec.cursor).toBe(f.seq);
    expect(noticed.map((m) => m.id)).toEqual([f.id]);
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
    live(incoming, sealedFrame(reactEnvelope(m.id, '👍', 'add'), { sender: 'carol' }));
    expect(store.getState().reactions[m.id]).toEqual({ '👍': ['carol'] });
    live(incoming, sealedFrame(deleteEnvelope(m.id)));
    expect(store.getState().messages[m.id]).toBeUndefined();
    expect(m.id in store.getState().tombstones).toBe(true);
    expect(store.getState().order).toEqual([]);
  });

  it('replays the cache in one store update and drops tombstoned frames from it', () => {
    const { store, cache, incoming } = setup();
    const a = sealedFrame('a');
    const b = sealedFrame('b');
    store.getState().setTombstones({ [b.id]: 1 });
    let updates = 0;
    store.subscribe(() => void updates++);
    incoming.replayCache([a, b]);
    expect(updates).toBe(1);
    expect(store.getState().order).toEqual([a.id]);
    expect(cache.rec.dropped).toEqual([b.id]);
  });

  it('takes presence, lock and error frames into the store', () => {
    const { store, incoming } = setup();
    incoming.frame({ type: 'ready', roomId: 'ROOM000001', size: 2, participants: [{ name: 'bob', last_seen_ms_ago: 0 }], signed_only: true });
    expect(store.getState().live).toBe(true);
    expect(store.getState().locked).toBe(true);
    incoming.frame({ type: 'rename', from: 'bob', to: 'robert' });
    expect(store.getState().participants.map((p) => p.name)).toEqual(['robert']);
    incoming.frame({ type: 'error', error: 'slow down', code: 429 });
    expect(store.getState().toasts.at(-1)?.text).toContain('rate limiting');
  });
});
