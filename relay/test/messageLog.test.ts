import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../protocol/index.js';
import { MessageLog } from '../rooms/messageLog.js';
import type { StoredMessage } from '../rooms/types.js';

const T0 = 1_800_000_000_000;

/** A message whose ciphertext is `4 * quads` characters long. */
function msg(seq: number, ts = T0, ttl_ms?: number, quads = 1): StoredMessage {
  const m: StoredMessage = { seq, id: `id-${seq}`, sender: 'a', sender_verified: false, ciphertext: 'AAAA'.repeat(quads), nonce: 'BBBB', ts };
  if (ttl_ms !== undefined) m.ttl_ms = ttl_ms;
  return m;
}

/** What a message of `quads` counts against the buffer limit. */
const bytesOf = (quads: number) => 4 * quads + LIMITS.messageOverheadBytes;

const seqs = (log: MessageLog) => log.after(0, Infinity).map((m) => m.seq);

describe('MessageLog', () => {
  it('keeps the newest replayMaxMessages through many drops from the front, with exact byte accounting', () => {
    const log = new MessageLog();
    const total = LIMITS.replayMaxMessages * 3 + 7;
    let freed = 0;
    for (let s = 1; s <= total; s++) {
      log.push(msg(s));
      freed += log.prune(T0);
    }
    expect(log.length).toBe(LIMITS.replayMaxMessages);
    expect(log.firstSeq).toBe(total - LIMITS.replayMaxMessages + 1);
    expect(log.lastSeq).toBe(total);
    expect(log.bytes).toBe(LIMITS.replayMaxMessages * bytesOf(1));
    expect(freed).toBe((total - LIMITS.replayMaxMessages) * bytesOf(1));
    // Reads see the live window only, whatever compaction did underneath.
    expect(log.after(0, 3).map((m) => m.seq)).toEqual([log.firstSeq, log.firstSeq + 1, log.firstSeq + 2]);
    expect(log.after(total - 2, 10).map((m) => m.seq)).toEqual([total - 1, total]);
    expect(log.firstAfter(total)).toBe(log.length);
    expect(log.bySeq(total - 5)?.seq).toBe(total - 5);
    expect(log.bySeq(1)).toBeUndefined();
  });

  it('drops messages older than the replay window', () => {
    const log = new MessageLog();
    log.push(msg(1, T0));
    log.push(msg(2, T0 + 1000));
    expect(log.prune(T0 + LIMITS.replayMaxAgeMs)).toBe(bytesOf(1));
    expect(seqs(log)).toEqual([2]);
  });

  it('expires TTL messages from the middle only once their deadline passes', () => {
    const log = new MessageLog();
    log.push(msg(1, T0, undefined, 1));
    log.push(msg(2, T0, 5_000, 2));
    log.push(msg(3, T0, undefined, 3));
    log.push(msg(4, T0, 60_000, 4));
    expect(log.prune(T0 + 4_999)).toBe(0);
    expect(seqs(log)).toEqual([1, 2, 3, 4]);
    expect(log.prune(T0 + 5_000)).toBe(bytesOf(2));
    expect(seqs(log)).toEqual([1, 3, 4]);
    // The next deadline is the remaining TTL message's, not the one already gone.
    expect(log.prune(T0 + 59_999)).toBe(0);
    expect(log.prune(T0 + 60_000)).toBe(bytesOf(4));
    expect(seqs(log)).toEqual([1, 3]);
    expect(log.bytes).toBe(bytesOf(1) + bytesOf(3));
    expect(log.bySeq(3)?.seq).toBe(3);
    expect(log.bySeq(2)).toBeUndefined();
  });
});
