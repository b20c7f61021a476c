import { describe, expect, it } from 'vitest';
import { insertMention, mentionCandidates, mentionQuery } from './composerMentions.js';
import type { ChatMessage } from '../../room/chatState.js';

const msg = (id: string, sender: string, ts: number): ChatMessage => ({
  id,
  seq: ts,
  sender,
  verified: false,
  ts,
  text: 'x',
});

describe('composer mentions', () => {
  it('finds the query only when the caret follows an @ at a word start', () => {
    expect(mentionQuery('hi @al', 6)).toBe('al');
    expect(mentionQuery('hi @', 4)).toBe('');
    expect(mentionQuery('mail@al', 7)).toBeNull();
    expect(mentionQuery('hi @al there', 12)).toBeNull();
  });

  it('ranks present people first, then recent senders, never oneself', () => {
    const messages = { a: msg('a', 'alma', 1), b: msg('b', '@alice', 2), c: msg('c', 'bob', 3) };
    const got = mentionCandidates(
      'al',
      [{ name: 'alfred' }, { name: 'me' }],
      ['a', 'b', 'c'],
      messages,
      'me',
      10,
    );
    expect(got).toEqual(['alfred', '@alice', 'alma']);
  });

  it('replaces the partial mention and puts the caret after it', () => {
    expect(insertMention('hi @al and', 6, '@alice')).toEqual({ text: 'hi @alice  and', caret: 10 });
  });
});
