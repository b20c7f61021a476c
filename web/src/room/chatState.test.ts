import { describe, expect, it } from 'vitest';
import {
  applyDelete,
  applyReaction,
  emptyChat,
  insertMessages,
  mergeReactions,
  pruneTombstones,
  replyState,
  sortReactionKeys,
  TOMBSTONE_MAX,
  type ChatMessage,
} from './chatState.js';

const msg = (id: string, seq: number, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id,
  seq,
  sender: 'a',
  verified: false,
  ts: 1000,
  text: id,
  ...extra,
});

describe('chat state', () => {
  it('orders by seq and dedupes by id, whatever the arrival order', () => {
    let s = insertMessages(emptyChat(), [msg('c', 3), msg('a', 1)], 2000);
    s = insertMessages(s, [msg('b', 2), msg('a', 1, { text: 'dupe' })], 2000);
    expect(s.order).toEqual(['a', 'b', 'c']);
    expect(s.messages.a!.text).toBe('a');
  });

  it('converges on deletes regardless of order, and deletes are idempotent', () => {
    const a = applyDelete(insertMessages(emptyChat(), [msg('x', 1)], 0), 'x', 5);
    const b = insertMessages(applyDelete(emptyChat(), 'x', 5), [msg('x', 1)], 0);
    expect(a.order).toEqual([]);
    expect(b.order).toEqual([]);
    expect(Object.keys(a.tombstones)).toEqual(['x']);
    expect(applyDelete(a, 'x', 9)).toBe(a);
  });

  it('turns an expired message into a tombstone instead of a bubble', () => {
    const s = insertMessages(emptyChat(), [msg('t', 1, { ts: 0, ttlMs: 30_000 })], 30_000);
    expect(s.order).toEqual([]);
    expect('t' in s.tombstones).toBe(true);
  });

  it('applies reactions from the outer sender and never resurrects dead targets', () => {
    let s = insertMessages(emptyChat(), [msg('m', 1)], 0);
    s = applyReaction(s, 'bob', { target_id: 'm', emoji: '👍', op: 'add' }, 0);
    s = applyReaction(s, 'bob', { target_id: 'm', emoji: '👍', op: 'add' }, 0);
    expect(s.reactions.m).toEqual({ '👍': ['bob'] });
    s = applyReaction(s, 'bob', { target_id: 'm', emoji: '👍', op: 'remove' }, 0);
    expect(s.reactions.m).toBeUndefined();
    s = applyReaction(s, 'bob', { target_id: 'm', emoji: '🔥', op: 'add' }, 0);
    s = applyDelete(s, 'm', 1);
    expect(s.reactions.m).toBeUndefined();
    s = mergeReactions(s, 'm', { '🔥': ['carol'] }, 2);
    expect(s.reactions.m).toBeUndefined();
    expect(applyReaction(s, '', { target_id: 'z', emoji: 'x', op: 'add' }, 0)).toBe(s);
  });

  it('caps tombstones at 5000 and 30 days', () => {
    const t: Record<string, number> = {};
    const day = 24 * 3600 * 1000;
    for (let i = 0; i < TOMBSTONE_MAX + 10; i++) t[`id${i}`] = 20 * day + i;
    t.old = 0;
    const p = pruneTombstones(t, 40 * day);
    expect(Object.keys(p).length).toBe(TOMBSTONE_MAX);
    expect('old' in p).toBe(false);
    expect('id0' in p).toBe(false);
  });

  it('describes reply parents: alive, unknown, deleted, expired', () => {
    let s = insertMessages(emptyChat(), [msg('p', 1, { text: 'parent\ntext', ts: 0, ttlMs: 60_000 })], 0);
    expect(replyState(s, 'p', 10)).toEqual({ kind: 'alive', sender: 'a', preview: 'parent text' });
    expect(replyState(s, 'q', 10)).toEqual({ kind: 'unknown' });
    expect(replyState(s, 'p', 70_000)).toEqual({ kind: 'expired' });
    s = applyDelete(s, 'p', 1);
    expect(replyState(s, 'p', 10)).toEqual({ kind: 'deleted' });
  });

  it('orders reaction pills presets first, then alphabetically', () => {
    expect(sortReactionKeys(['zz', '🔥', 'aa', '👍'], ['👍', '❤️', '🔥'])).toEqual(['👍', '🔥', 'aa', 'zz']);
  });
});
