import { describe, expect, it } from 'vitest';
import { emptyChat, insertMessages, applyDelete, type ChatMessage } from '../room/chatState.js';
import { applyEdit, lastOwnEditable } from './edits.js';

const msg = (over: Partial<ChatMessage> = {}): ChatMessage => ({
  id: 'm1-aaaaaaaa',
  seq: 10,
  sender: 'alice',
  verified: false,
  ts: 1000,
  text: 'hello',
  ...over,
});

describe('applyEdit', () => {
  it("applies the sender's edit, ignores others and older replays", () => {
    let s = insertMessages(emptyChat(), [msg()], 2000);
    s = applyEdit(
      s,
      { targetId: 'm1-aaaaaaaa', text: 'forged', sender: 'mallory', verified: false, seq: 11 },
      2000,
    );
    expect(s.messages['m1-aaaaaaaa']!.text).toBe('hello');
    s = applyEdit(
      s,
      { targetId: 'm1-aaaaaaaa', text: 'v3', sender: 'alice', verified: false, seq: 13 },
      2000,
    );
    s = applyEdit(
      s,
      { targetId: 'm1-aaaaaaaa', text: 'v2', sender: 'alice', verified: false, seq: 12 },
      2000,
    );
    expect(s.messages['m1-aaaaaaaa']).toMatchObject({ text: 'v3', edited: true, editSeq: 13 });
  });

  it('a verified message takes edits only from the same verified handle; dead targets take none', () => {
    let s = insertMessages(emptyChat(), [msg({ sender: '@alice', verified: true })], 2000);
    const before = s;
    s = applyEdit(
      s,
      { targetId: 'm1-aaaaaaaa', text: 'x', sender: '@alice', verified: false, seq: 11 },
      2000,
    );
    expect(s).toBe(before);
    s = applyDelete(s, 'm1-aaaaaaaa', 2000);
    expect(
      applyEdit(s, { targetId: 'm1-aaaaaaaa', text: 'y', sender: '@alice', verified: true, seq: 12 }, 2000),
    ).toBe(s);
    const expiring = insertMessages(emptyChat(), [msg({ ttlMs: 30_000 })], 2000);
    expect(
      applyEdit(
        expiring,
        { targetId: 'm1-aaaaaaaa', text: 'late', sender: 'alice', verified: false, seq: 12 },
        40_000,
      ),
    ).toBe(expiring);
  });

  it('finds the last own message for ArrowUp', () => {
    const s = insertMessages(
      emptyChat(),
      [msg({ own: true }), msg({ id: 'm2-bbbbbbbb', seq: 11, sender: 'bob' })],
      2000,
    );
    expect(lastOwnEditable(s)?.id).toBe('m1-aaaaaaaa');
  });
});
