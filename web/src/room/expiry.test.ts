import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Expiry } from './expiry.js';
import { newStore, recordingCache } from './testRoom.js';
import type { ChatMessage } from './chatState.js';

const msg = (id: string, ts: number, ttlMs?: number): ChatMessage => ({
  id,
  seq: ts,
  sender: 'b',
  verified: false,
  ts,
  text: id,
  ...(ttlMs ? { ttlMs } : {}),
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('expiry', () => {
  it('deletes once, records the tombstone, and clears the reply armed at it', () => {
    const store = newStore();
    const cache = recordingCache();
    const e = new Expiry(store, cache, () => Date.now());
    store.getState().addMessages([msg('a', 1)], 1);
    store.getState().setReplyTo({ id: 'a', sender: 'b', preview: 'a' });
    expect(e.deleteLocal('a', 5)).toBe(true);
    expect(e.deleteLocal('a', 6)).toBe(false);
    expect(store.getState().messages.a).toBeUndefined();
    expect(store.getState().replyTo).toBeNull();
    expect(cache.rec.tombstoned).toEqual(['a']);
  });

  it('fires a disappearing message on the relay clock, re-arming across the hour cap', () => {
    const store = newStore();
    const cache = recordingCache();
    let offset = 0;
    const e = new Expiry(store, cache, () => Date.now() + offset);
    const t = Date.now();
    const m = msg('x', t, 2 * 60 * 60 * 1000);
    store.getState().addMessages([m], t);
    e.arm(m);
    vi.advanceTimersByTime(60 * 60 * 1000);
    expect(store.getState().messages.x).toBeDefined();
    offset = 60 * 60 * 1000; // this device turns out to be an hour behind the relay
    vi.advanceTimersByTime(60 * 60 * 1000);
    expect(store.getState().messages.x).toBeUndefined();
    expect(e.armed).toBe(0);
  });

  it('tombstones what the cache sweep finds and stops on dispose', async () => {
    const store = newStore();
    const cache = { ...recordingCache(), sweepExpired: async () => ['old'] };
    const e = new Expiry(store, cache, () => 1);
    await e.sweep();
    expect('old' in store.getState().tombstones).toBe(true);
    e.arm(msg('y', Date.now(), 10_000));
    e.dispose();
    expect(e.armed).toBe(0);
  });
});
