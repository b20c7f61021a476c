import { describe, expect, it } from 'vitest';
import {
  buildResponseChunks,
  HistoryExchange,
  itemToMessage,
  ANSWERS_PER_WINDOW,
  ANSWER_WINDOW_MS,
  CHUNK_MAX_ITEMS,
  DELETED_MAX,
  RESPONSE_MAX_BYTES,
  RESPONSE_MAX_ITEMS,
} from './peerHistory.js';
import type { ChatMessage } from './chatState.js';

const req = (id: string) => ({ bot2bot_hist_req_v1: true as const, req_id: id, after: 0 });
const frame = (over: Partial<{ sender: string; sender_verified: boolean; ts: number }> = {}) => ({
  sender: '@bob',
  sender_verified: true,
  ts: 100_000,
  ...over,
});

describe('history exchange rules', () => {
  it('ignores replayed, stale, unverified and own requests', () => {
    const h = new HistoryExchange();
    expect(h.decide(frame(), req('r1'), { live: false, now: 100_000 })).toMatchObject({ answer: false });
    expect(h.decide(frame({ ts: 0 }), req('r1'), { live: true, now: 100_000 })).toMatchObject({
      answer: false,
      reason: 'stale request',
    });
    expect(
      h.decide(frame({ sender_verified: false }), req('r1'), { live: true, now: 100_000 }),
    ).toMatchObject({ answer: false });
    h.trackOwnRequest('mine', 100_000);
    expect(h.decide(frame(), req('mine'), { live: true, now: 100_000 })).toMatchObject({
      answer: false,
      reason: 'own request',
    });
    expect(h.decide(frame(), req('r1'), { live: true, now: 100_500 })).toEqual({ answer: true });
  });

  it('answers each request once and rate-limits each requester', () => {
    const h = new HistoryExchange();
    expect(h.commit('r1', '@bob', 100_000)).toBe(true);
    expect(h.commit('r1', '@bob', 100_001)).toBe(false);
    expect(h.decide(frame(), req('r2'), { live: true, now: 110_000 })).toMatchObject({
      answer: false,
      reason: 'requester cooldown',
    });
    h.noteResponse('r3');
    expect(h.commit('r3', '@carol', 200_000)).toBe(false);
  });

  it('accepts responses only from verified senders to our own open request', () => {
    const h = new HistoryExchange();
    h.trackOwnRequest('r', 0);
    const resp = { bot2bot_hist_resp_v1: true as const, req_id: 'r', chunk: 0, items: [] };
    expect(h.accepts(frame({ sender_verified: false }), resp, 10)).toBe(false);
    expect(h.accepts(frame(), resp, 10)).toBe(true);
    expect(h.accepts(frame(), resp, 9000)).toBe(false);
    expect(h.accepts(frame(), { ...resp, req_id: 'other' }, 10)).toBe(false);
  });
});

describe('history exchange budgets', () => {
  const item = (i: number, text = 'x') => ({
    seq: i,
    id: `h${i}`,
    sender: 'a',
    sender_verified: false,
    ts: 1,
    text,
  });
  const resp = (reqId: string, items: ReturnType<typeof item>[], deleted: string[] = []) => ({
    bot2bot_hist_resp_v1: true as const,
    req_id: reqId,
    chunk: 0,
    items,
    deleted,
  });

  it('takes at most one honest answer per request, from the first responder only', () => {
    const h = new HistoryExchange();
    h.trackOwnRequest('r', 0);
    const flood = Array.from({ length: 4002 }, (_, i) => item(i));
    const first = h.take(
      frame(),
      resp(
        'r',
        flood,
        Array.from({ length: 5000 }, (_, i) => `d${i}`),
      ),
      10,
    );
    expect(first?.items).toHaveLength(RESPONSE_MAX_ITEMS);
    expect(first?.deleted).toHaveLength(DELETED_MAX);
    expect(h.take(frame(), resp('r', [item(9000)], ['more']), 10)).toEqual({ items: [], deleted: [] });
    expect(h.take(frame({ sender: '@carol' }), resp('r', [item(9001)]), 10)).toBeNull();
    expect(h.take(frame(), resp('not-mine', [item(1)]), 10)).toBeNull();
  });

  it('caps the bytes one answer may bring', () => {
    const h = new HistoryExchange();
    h.trackOwnRequest('r', 0);
    const big = Array.from({ length: 50 }, (_, i) => item(i, 'y'.repeat(20_000)));
    const got = h.take(frame(), resp('r', big), 10)!;
    expect(got.items.length).toBeGreaterThan(0);
    expect(got.items.reduce((n, i) => n + i.text.length, 0)).toBeLessThanOrEqual(RESPONSE_MAX_BYTES);
  });

  it('answers only a few requests per window, however many handles ask', () => {
    const h = new HistoryExchange();
    let answered = 0;
    for (let i = 0; i < 30; i++) {
      const now = 100_000 + i * 2000;
      const d = h.decide(frame({ sender: `@throwaway${i}`, ts: now }), req(`q${i}`), { live: true, now });
      if (d.answer && h.commit(`q${i}`, `@throwaway${i}`, now)) answered++;
    }
    expect(answered).toBe(ANSWERS_PER_WINDOW);
    const later = 100_000 + ANSWER_WINDOW_MS + 1;
    expect(h.decide(frame({ sender: '@fresh', ts: later }), req('late'), { live: true, now: later })).toEqual(
      { answer: true },
    );
  });
});

describe('response chunks', () => {
  const msgs: ChatMessage[] = Array.from({ length: 130 }, (_, i) => ({
    id: `m${i}`,
    seq: i + 1,
    sender: 'a',
    verified: true,
    ts: 0,
    text: `t${i}`,
  }));

  it('sends the newest 100 live items in ascending order, tombstones on chunk 0', () => {
    const chunks = buildResponseChunks('r', msgs, { m129: { '👍': ['x'] } }, { m128: 5, gone: 6 }, 1);
    const items = chunks.flatMap((c) => c.items);
    expect(items.length).toBe(RESPONSE_MAX_ITEMS);
    expect(items.some((i) => i.id === 'm128')).toBe(false);
    expect(items.at(-1)).toMatchObject({ id: 'm129', reactions: { '👍': ['x'] } });
    expect(items.map((i) => i.seq)).toEqual([...items.map((i) => i.seq)].sort((a, b) => a - b));
    expect(chunks.every((c) => c.items.length <= CHUNK_MAX_ITEMS)).toBe(true);
    expect(chunks[0]!.deleted).toEqual(['m128', 'gone']);
    expect(chunks.slice(1).every((c) => c.deleted === undefined)).toBe(true);
    expect(chunks.map((c) => c.chunk)).toEqual(chunks.map((_, i) => i));
  });

  it('sends chunk 0 with only tombstones when nothing else is held, and skips expired items', () => {
    const c = buildResponseChunks(
      'r',
      [{ id: 'e', seq: 1, sender: 'a', verified: false, ts: 0, text: 'x', ttlMs: 30_000 }],
      {},
      { d: 1 },
      40_000,
    );
    expect(c).toEqual([{ req_id: 'r', chunk: 0, items: [], deleted: ['d'] }]);
  });

  it('marks restored items and never trusts their verified flag', () => {
    expect(
      itemToMessage({ seq: 1, id: 'i', sender: '@x', sender_verified: true, ts: 1, text: 'hi' }),
    ).toMatchObject({ verified: false, restored: true });
  });
});
