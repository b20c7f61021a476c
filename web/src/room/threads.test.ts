import { describe, expect, it } from 'vitest';
import { emptyChat, insertMessages, applyDelete, type ChatMessage } from './chatState.js';
import { replyCounts, replyLabel, threadMessages, threadRoot } from './threads.js';

const msg = (id: string, seq: number, replyTo?: string): ChatMessage => ({
  id,
  seq,
  sender: 'a',
  verified: false,
  ts: seq,
  text: id,
  ...(replyTo ? { replyTo } : {}),
});

describe('threads derived from reply_to', () => {
  const s = insertMessages(
    emptyChat(),
    [
      msg('root', 1),
      msg('r1', 2, 'root'),
      msg('other', 3),
      msg('r2', 4, 'root'),
      msg('deep', 5, 'r1'),
      msg('orphan', 6, 'gone'),
    ],
    0,
  );

  it('counts direct replies only', () => {
    const c = replyCounts(s);
    expect(c.get('root')).toBe(2);
    expect(c.get('r1')).toBe(1);
    expect(c.get('other')).toBeUndefined();
    expect(replyLabel(1)).toBe('View thread · 1 reply');
    expect(replyLabel(3)).toBe('View thread · 3 replies');
  });

  it('finds the root through known parents and stops at unknown ones and cycles', () => {
    expect(threadRoot(s.messages, 'deep')).toBe('root');
    expect(threadRoot(s.messages, 'orphan')).toBe('orphan');
    const cyc = insertMessages(emptyChat(), [msg('x', 1, 'y'), msg('y', 2, 'x')], 0);
    expect(['x', 'y']).toContain(threadRoot(cyc.messages, 'x'));
  });

  it('collects the whole chain in seq order and drops deleted messages', () => {
    expect(threadMessages(s, 'root').map((m) => m.id)).toEqual(['root', 'r1', 'r2', 'deep']);
    const after = applyDelete(s, 'r2', 0);
    expect(threadMessages(after, 'root').map((m) => m.id)).toEqual(['root', 'r1', 'deep']);
    // With r1 deleted, "deep" loses its path to the root.
    expect(threadMessages(applyDelete(s, 'r1', 0), 'root').map((m) => m.id)).toEqual(['root', 'r2']);
  });
});
