import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../protocol/index.js';
import { messageFrame } from '../rooms/messageFrame.js';
import { AddressLedger } from '../limits/addressLedger.js';
import { MessageLog } from '../rooms/messageLog.js';
import type { StoredMessage } from '../rooms/types.js';

const T0 = 1_800_000_000_000;

/** A message whose ciphertext is `4 * quads` characters long. */
function msg(seq: number, ts = T0, ttl_ms?: number, quads = 1): StoredMessage {
  const m: StoredMessage = {
    seq,
    id: `id-${seq}`,
    sender: 'a',
    sender_verified: false,
    ciphertext: 'AAAA'.repeat(quads),
    nonce: 'BBBB',
    ts,
  };
  if (ttl_ms !== undefined) m.ttl_ms = ttl_ms;
  return m;
}

/** What a message of `quads` counts against the buffer limit. */
const bytesOf = (quads: number) => 4 * quads + LIMITS.messageOverheadBytes;

/** Keep a message as the backend does: with its delivery frame's bytes. */
function keep(log: MessageLog, m: StoredMessage): void {
  log.push(m, Buffer.from(messageFrame(m)));
}

const seqs = (log: MessageLog) => log.after(0, Infinity).map((m) => m.seq);

describe('MessageLog', () => {
  it('keeps the newest replayMaxMessages through many drops from the front, with exact byte accounting', () => {
    const log = new MessageLog();
    const total = LIMITS.replayMaxMessages * 3 + 7;
    let freed = 0;
    for (let s = 1; s <= total; s++) {
      keep(log, msg(s));
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
    keep(log, msg(1, T0));
    keep(log, msg(2, T0 + 1000));
    expect(log.prune(T0 + LIMITS.replayMaxAgeMs)).toBe(bytesOf(1));
    expect(seqs(log)).toEqual([2]);
  });

  it('expires TTL messages from the middle only once their deadline passes', () => {
    const log = new MessageLog();
    keep(log, msg(1, T0, undefined, 1));
    keep(log, msg(2, T0, 5_000, 2));
    keep(log, msg(3, T0, undefined, 3));
    keep(log, msg(4, T0, 60_000, 4));
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

  it('gives back every message field for field, and its frame byte for byte, after compactions', () => {
    const log = new MessageLog();
    const kept: StoredMessage[] = [];
    for (let s = 1; s <= LIMITS.replayMaxMessages + 300; s++) {
      const m = msg(s, T0 + s, s % 3 === 0 ? 86_400_000 : undefined, 1 + (s % 50));
      if (s % 7 === 0) m.reply_to = `id-${s - 1}`;
      if (s % 11 === 0) m.sender = 'quote " é \u2028 \ud800 lone surrogate';
      keep(log, m);
      kept.push(m);
      log.prune(T0 + s);
    }
    const live = kept.slice(-LIMITS.replayMaxMessages);
    expect(log.after(0, Infinity)).toEqual(live);
    for (let i = 0; i < log.length; i += 97) expect(log.frameAt(i)!.toString()).toBe(messageFrame(live[i]!));
    expect(log.bySeq(live[5]!.seq)).toEqual(live[5]);
  });

  it('copies frames into chunks of its own room, one of its own for a frame larger than a chunk', () => {
    const a = new MessageLog();
    const b = new MessageLog();
    const big = msg(3, T0, undefined, 40_000);
    for (const m of [msg(1), msg(2)]) {
      keep(a, m);
      keep(b, m);
    }
    keep(a, big);
    const chunkOf = (log: MessageLog, i: number) => log.frameAt(i)!.buffer;
    expect(chunkOf(a, 0)).toBe(chunkOf(a, 1));
    expect(chunkOf(a, 0)).not.toBe(chunkOf(b, 0));
    // Never a slice of Node's shared Buffer pool, where one kept message would pin others' bytes.
    expect(chunkOf(a, 0)).not.toBe(Buffer.from('x').buffer);
    expect(a.frameAt(2)!.length).toBe(Buffer.byteLength(messageFrame(big)));
    expect(a.at(2)).toEqual(big);
  });

  it('lets go of the chunks of dropped messages, from the front and when TTLs empty the room', () => {
    const log = new MessageLog();
    const frameBytes = (m: StoredMessage) => Buffer.byteLength(messageFrame(m));
    let live = 0;
    for (let s = 1; s <= LIMITS.replayMaxMessages * 5; s++) {
      keep(log, msg(s, T0, undefined, 25));
      log.prune(T0);
    }
    for (let i = 0; i < log.length; i++) live += frameBytes(log.at(i)!);
    // What is held stays within the live frames plus one partly dead chunk at each end.
    expect(log.chunkBytes).toBeGreaterThanOrEqual(live);
    expect(log.chunkBytes).toBeLessThanOrEqual(live + 2 * 64 * 1024);
    const ttlLog = new MessageLog();
    for (let s = 1; s <= 500; s++) keep(ttlLog, msg(s, T0, 1_000, 25));
    expect(ttlLog.chunkBytes).toBeGreaterThan(0);
    ttlLog.prune(T0 + 1_000);
    expect(ttlLog.length).toBe(0);
    expect(ttlLog.chunkBytes).toBe(0);
    // And it starts again from a small chunk.
    keep(ttlLog, msg(501, T0 + 2_000));
    expect(ttlLog.at(0)?.seq).toBe(501);
  });

  it('agrees with a plain list through random appends, count and age drops and TTL expiry, across ring growth, wrap and shrink', () => {
    const log = new MessageLog();
    let model: StoredMessage[] = [];
    let seed = 42;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    let now = T0;
    let seq = 0;
    for (let step = 0; step < 12_000; step++) {
      // Bursts of appends, then quiet stretches in which TTLs run out and the ring shrinks.
      const phase = Math.floor(step / 3000) % 2;
      if (phase === 0 || rand(10) === 0) {
        const m = msg(++seq, now, rand(4) === 0 ? 1 + rand(5_000) : undefined, 1 + rand(3));
        keep(log, m);
        model.push(m);
      }
      now += rand(3) === 0 ? rand(400) : 0;
      if (rand(50) === 0) now += LIMITS.replayMaxAgeMs / 4;
      log.prune(now);
      model = model
        .filter(
          (m) => m.ts > now - LIMITS.replayMaxAgeMs && (m.ttl_ms === undefined || m.ts + m.ttl_ms > now),
        )
        .slice(-LIMITS.replayMaxMessages);
      if (step % 250 === 0 || step > 11_990) {
        expect(log.after(0, Infinity)).toEqual(model);
        expect(log.bytes).toBe(model.reduce((a, m) => a + bytesOf(m.ciphertext.length / 4), 0));
        const pick = model[rand(Math.max(1, model.length))];
        if (pick) expect(log.bySeq(pick.seq)).toEqual(pick);
      }
    }
  });

  it('keeps order when its ring grows while wrapped around', () => {
    const log = new MessageLog();
    for (let s = 1; s <= 10; s++) keep(log, msg(s, s <= 5 ? T0 : T0 + LIMITS.replayMaxAgeMs));
    // The first five age out, so the oldest live row is no longer the ring's first.
    log.prune(T0 + LIMITS.replayMaxAgeMs);
    for (let s = 11; s <= 40; s++) keep(log, msg(s, T0 + LIMITS.replayMaxAgeMs));
    expect(seqs(log)).toEqual(Array.from({ length: 35 }, (_, i) => i + 6));
    expect(log.at(34)?.seq).toBe(40);
  });

  it('TTL holes: a message without a TTL between short-TTL ones pins no dead chunks, and the fuse counts what is held', () => {
    const log = new MessageLog();
    const frameBytes = (m: StoredMessage) => Buffer.byteLength(messageFrame(m));
    let now = T0;
    let seq = 0;
    let maxHeldOverAccounted = -Infinity;
    for (let round = 0; round < 40; round++) {
      // Alternating: one kept for the whole replay window, one that expires within a minute.
      for (let i = 0; i < 25; i++) {
        keep(log, msg(++seq, now, undefined, 1 + ((seq * 37) % 300)));
        keep(log, msg(++seq, now, 30_000, 1 + ((seq * 53) % 3000)));
      }
      now += 30_000;
      log.prune(now);
      maxHeldOverAccounted = Math.max(maxHeldOverAccounted, log.heldBytes - log.accounted);
      let live = 0;
      for (let i = 0; i < log.length; i++) live += frameBytes(log.at(i)!);
      // Dead bytes never outgrow the live ones (plus one chunk's free tail), whatever the holes.
      expect(log.chunkBytes).toBeLessThanOrEqual(2 * live + 64 * 1024);
      expect(log.accounted).toBeLessThanOrEqual(
        Math.max(log.bytes, 2 * live + 64 * 1024 + log.heldBytes - log.chunkBytes),
      );
    }
    expect(maxHeldOverAccounted).toBeLessThanOrEqual(0);
    expect(log.length).toBe(1000);
    expect(seqs(log)).toEqual(Array.from({ length: 1000 }, (_, i) => 2 * i + 1));
    // Every frame survived the compactions byte for byte.
    for (let i = 0; i < log.length; i += 41)
      expect(log.frameAt(i)!.toString()).toBe(messageFrame(log.at(i)!));
  });

  it('counts held bytes when they exceed the charge, and gives them back when it empties', () => {
    const log = new MessageLog();
    keep(log, msg(1));
    // One small message in a fresh room: its chunk and ring are more than the reference's charge.
    expect(log.accounted).toBe(Math.max(log.bytes, log.heldBytes));
    expect(log.heldBytes).toBeGreaterThan(0);
    for (let s = 2; s <= 1500; s++) keep(log, msg(s, T0, 1_000, 10));
    expect(log.accounted).toBeGreaterThanOrEqual(log.heldBytes);
    log.prune(T0 + 1_000);
    expect(log.length).toBe(1);
    // Ring shrunk back and the chunks compacted to the one survivor.
    expect(log.heldBytes).toBeLessThanOrEqual(16 * 8 * 8 + 1024);
    log.prune(T0 + LIMITS.replayMaxAgeMs + 1);
    expect(log.length).toBe(0);
    expect(log.chunkBytes).toBe(0);
  });

  it("yields its oldest messages down to a byte target, releasing each sender's charge", () => {
    const owners = new AddressLedger();
    const log = new MessageLog(owners);
    for (let s = 1; s <= 400; s++) {
      const m = msg(s, T0, undefined, 100);
      const who = s % 2 === 0 ? 'a' : 'b';
      log.push(m, Buffer.from(messageFrame(m)), owners.charge(who, bytesOf(100)));
    }
    expect(owners.sum).toBe(log.bytes);
    const target = log.accounted / 4;
    const dropped = log.dropOldestTo(target);
    expect(dropped).toBeGreaterThan(0);
    expect(log.accounted).toBeLessThanOrEqual(target);
    expect(log.firstSeq).toBe(dropped + 1);
    expect(log.lastSeq).toBe(400);
    expect(owners.sum).toBe(log.bytes);
    expect(owners.amountOf('a') + owners.amountOf('b')).toBe(log.bytes);
    log.dropOldestTo(0);
    expect(log.length).toBe(0);
    expect(owners.size).toBe(0);
    expect(owners.sum).toBe(0);
  });
});
