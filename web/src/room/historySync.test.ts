import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { classifyPlaintext, type HistoryResponse } from '@protocol/envelopes.js';
import { newIdentity } from '@protocol/identity.js';
import { HistorySync } from './historySync.js';
import { KEY, newStore, recordingCache } from './testRoom.js';

const NOW = 5_000_000;

function setup() {
  const store = newStore('alice');
  store.getState().setIdentity(newIdentity('alice'));
  const cache = recordingCache();
  const posts: string[] = [];
  const h = new HistorySync({
    store,
    key: KEY,
    cache,
    expiry: {
      deleteLocal: (id, now) => (store.getState().deleteMessage(id, now), true),
      arm: () => undefined,
    },
    serverNow: () => NOW,
    post: async (p) => (posts.push(p), { ok: true, id: `p${posts.length}`, seq: posts.length }),
    answerDelay: () => 0,
  });
  return { store, cache, posts, h };
}

const item = (id: string, seq: number) => ({
  id,
  seq,
  sender: 'bob',
  sender_verified: true,
  ts: NOW - 1000,
  text: `t-${id}`,
});
const resp = (
  reqId: string,
  items = [item('h1', 1), item('h2', 2)],
  deleted: string[] = [],
): HistoryResponse => ({ bot2bot_hist_resp_v1: true, req_id: reqId, chunk: 0, items, deleted });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('peer history in the room', () => {
  it('asks once, and only when signed in with someone else present and the relay lacking history', () => {
    const { posts, h } = setup();
    h.maybeRequest(0, true);
    h.maybeRequest(1, false);
    expect(posts).toEqual([]);
    h.maybeRequest(1, true);
    h.maybeRequest(1, true);
    expect(posts).toHaveLength(1);
    expect(classifyPlaintext(posts[0]!).kind).toBe('hist_req');
  });

  it('applies an answer to its own request as restored, unverified messages, and ignores others', () => {
    const { store, cache, posts, h } = setup();
    h.maybeRequest(1, true);
    const p = classifyPlaintext(posts[0]!);
    if (p.kind !== 'hist_req') throw new Error('no request');
    h.onResponse({ sender: '@bob', sender_verified: true, ts: NOW }, resp('someone-else'), NOW, new Set());
    expect(store.getState().order).toEqual([]);
    h.onResponse({ sender: '@bob', sender_verified: true, ts: NOW }, resp(p.envelope.req_id), NOW, new Set());
    expect(store.getState().order).toEqual(['h1', 'h2']);
    expect(store.getState().messages.h1).toMatchObject({ restored: true, verified: false });
    expect(cache.rec.put.every((f) => f.restored)).toBe(true);
  });

  it("applies an answer in one store update and never lets a peer's delete list remove another handle's verified message", () => {
    const { store, cache, posts, h } = setup();
    store
      .getState()
      .addMessages([{ id: 'v', seq: 1, sender: '@carol', verified: true, ts: NOW - 5, text: 'signed' }], NOW);
    h.maybeRequest(1, true);
    const p = classifyPlaintext(posts[0]!);
    if (p.kind !== 'hist_req') throw new Error('no request');
    let updates = 0;
    store.subscribe(() => void updates++);
    const many = Array.from({ length: 500 }, (_, i) => item(`f${i}`, i + 10));
    h.onResponse(
      { sender: '@bob', sender_verified: true, ts: NOW },
      resp(p.envelope.req_id, many, ['v', 'unknown']),
      NOW,
      new Set(),
    );
    expect(store.getState().messages.v).toBeDefined();
    expect('unknown' in store.getState().tombstones).toBe(true);
    expect(store.getState().order).toHaveLength(101);
    expect(cache.rec.put).toHaveLength(100);
    expect(updates).toBeLessThanOrEqual(3);
  });

  it('answers a live verified request after the delay with the newest messages', async () => {
    const { store, posts, h } = setup();
    store
      .getState()
      .addMessages([{ id: 'a', seq: 1, sender: 'alice', verified: false, ts: NOW - 10, text: 'hi' }], NOW);
    h.onRequest({ sender: '@bob', sender_verified: true, ts: NOW }, 'req-1', { live: true, now: NOW });
    await vi.runAllTimersAsync();
    const p = classifyPlaintext(posts[0]!);
    expect(p.kind === 'hist_resp' && p.envelope.items.map((i) => i.id)).toEqual(['a']);
  });
});
