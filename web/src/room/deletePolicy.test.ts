import { describe, expect, it } from 'vitest';
import { deletedLine, mayDelete } from './deletePolicy.js';

const anon = { sender: 'visitor-oak', verified: false };
const alice = { sender: '@alice', verified: true };

describe('delete policy', () => {
  it('keeps shared-key deletes for anonymous, restored and unknown messages', () => {
    expect(mayDelete({ sender: 'bob', verified: false }, anon)).toBe(true);
    expect(mayDelete({ sender: 'bob', verified: false }, alice)).toBe(true);
    expect(mayDelete(undefined, anon)).toBe(true);
  });

  it('lets a verified message go only to a signed delete from the same handle', () => {
    const msg = { sender: '@alice', verified: true };
    expect(mayDelete(msg, alice)).toBe(true);
    expect(mayDelete(msg, anon)).toBe(false);
    expect(mayDelete(msg, { sender: '@alice', verified: false })).toBe(false);
    expect(mayDelete(msg, { sender: '@mallory', verified: true })).toBe(false);
  });

  it('says who deleted what', () => {
    expect(deletedLine({ sender: 'bob' }, anon)).toBe('visitor-oak (unverified) deleted a message from bob');
    expect(deletedLine({ sender: '@alice' }, alice)).toBe('@alice deleted their message');
    expect(deletedLine({ sender: 'me', own: true }, alice)).toBe('@alice deleted your message');
  });
});
