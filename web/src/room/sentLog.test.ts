import { describe, expect, it } from 'vitest';
import { SENT_LOG_MAX, SentLog } from './sentLog.js';

describe('sent log', () => {
  it('knows an echo by its nonce, before and after the relay answered', () => {
    const log = new SentLog();
    log.noteSending('n1');
    expect(log.isOwn({ id: 'a', nonce: 'n1' })).toBe(true);
    log.noteSent('n1', 'a');
    expect(log.isOwn({ id: 'a', nonce: 'n1' })).toBe(true);
  });

  it('never takes a label, an unknown nonce or a reposted copy of our ciphertext as ours', () => {
    const log = new SentLog();
    log.noteSending('n1');
    log.noteSent('n1', 'a');
    expect(log.isOwn({ id: 'b', nonce: 'n1' })).toBe(false);
    expect(log.isOwn({ id: 'c', nonce: 'other' })).toBe(false);
  });

  it('stays bounded', () => {
    const log = new SentLog();
    for (let i = 0; i <= SENT_LOG_MAX; i++) log.noteSending(`n${i}`);
    expect(log.isOwn({ id: 'x', nonce: 'n0' })).toBe(false);
    expect(log.isOwn({ id: 'x', nonce: `n${SENT_LOG_MAX}` })).toBe(true);
  });
});
