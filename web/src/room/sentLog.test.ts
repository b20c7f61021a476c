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

describe('sent log shared between tabs', () => {
  it('a message posted from one tab is its own in another tab of the same browser', async () => {
    const { shareSentLog } = await import('./sharedSentLog.js');
    const a = new SentLog();
    const b = new SentLog();
    const stopA = shareSentLog('ROOMX', a);
    const stopB = shareSentLog('ROOMX', b);
    const other = new SentLog();
    const stopOther = shareSentLog('ROOMY', other);
    a.noteSending('n1');
    a.noteSent('n1', 'id1');
    await expect.poll(() => b.isOwn({ id: 'id1', nonce: 'n1' })).toBe(true);
    expect(b.isOwn({ id: 'forged', nonce: 'n1' })).toBe(false);
    // Another room's log learns nothing.
    expect(other.isOwn({ id: 'id1', nonce: 'n1' })).toBe(false);
    stopA();
    stopB();
    stopOther();
  });
});
