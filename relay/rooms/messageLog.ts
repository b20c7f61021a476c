/**
 * One room's replay buffer in memory: messages in seq order, dropped from the front by age and
 * count, and from anywhere when their own TTL runs out.
 *
 * A full room drops one message per append. Removing it with `splice(0, 1)` moved all 2,000
 * entries on every post (8% of the relay's time under HTTP ingest, docs/PERFORMANCE.md), so the
 * live window starts at `head` and the array is compacted only once the dead prefix is as long
 * as the window: amortized O(1) per append. TTL expiry is scanned for only when the earliest
 * deadline in the buffer has passed, not on every call. Messages are held as they are, without
 * a wrapper object: every retained object is one more for each major GC to mark.
 */
import { LIMITS } from '../../protocol/index.js';
import type { StoredMessage } from './types.js';

/** What a message counts against the relay's buffer limit: its ciphertext plus a fixed overhead. */
export function messageBytes(m: StoredMessage): number {
  return m.ciphertext.length + LIMITS.messageOverheadBytes;
}

/** Compaction never bothers below this many dead slots. */
const MIN_COMPACT = 64;

export class MessageLog {
  /** `[0, head)` are dead slots, cleared so that they keep no message alive until compaction. */
  private entries: (StoredMessage | undefined)[] = [];
  private head = 0;
  /** Earliest `ts + ttl_ms` among buffered messages; Infinity when none carries a TTL. */
  private nextExpiry = Infinity;
  /** Bytes of the live window, counted with the per-message overhead. */
  bytes = 0;

  get length(): number {
    return this.entries.length - this.head;
  }

  get firstSeq(): number {
    return this.entries[this.head]?.seq ?? 0;
  }

  get lastSeq(): number {
    return this.entries[this.entries.length - 1]?.seq ?? 0;
  }

  push(message: StoredMessage): void {
    this.entries.push(message);
    this.bytes += messageBytes(message);
    if (message.ttl_ms !== undefined) this.nextExpiry = Math.min(this.nextExpiry, message.ts + message.ttl_ms);
  }

  /**
   * Drop what is older than the replay window, beyond the count cap, or past its own TTL.
   * Returns the bytes freed.
   */
  prune(now: number): number {
    const before = this.bytes;
    const entries = this.entries;
    const maxAge = now - LIMITS.replayMaxAgeMs;
    let h = this.head;
    while (h < entries.length && (entries[h]!.ts <= maxAge || entries.length - h > LIMITS.replayMaxMessages)) {
      this.bytes -= messageBytes(entries[h]!);
      entries[h++] = undefined;
    }
    this.head = h;
    if (now >= this.nextExpiry) this.dropExpired(now);
    else if (this.head >= MIN_COMPACT && this.head >= this.length) this.compact();
    return before - this.bytes;
  }

  /** Index (0-based within the live window) of the first message with seq > after. */
  firstAfter(after: number): number {
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }

  /** The message at a live-window index. */
  at(i: number): StoredMessage | undefined {
    return this.entries[this.head + i];
  }

  /** Up to `limit` messages with seq > after, oldest first. */
  after(after: number, limit: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    const end = this.entries.length;
    for (let i = this.head + this.firstAfter(after); i < end && out.length < limit; i++) out.push(this.entries[i]!);
    return out;
  }

  bySeq(seq: number): StoredMessage | undefined {
    const m = this.at(this.firstAfter(seq - 1));
    return m?.seq === seq ? m : undefined;
  }

  private dropExpired(now: number): void {
    const entries = this.entries;
    let next = Infinity;
    let w = 0;
    for (let r = this.head; r < entries.length; r++) {
      const e = entries[r]!;
      const ttl = e.ttl_ms;
      if (ttl !== undefined) {
        const deadline = e.ts + ttl;
        if (deadline <= now) {
          this.bytes -= messageBytes(e);
          continue;
        }
        if (deadline < next) next = deadline;
      }
      entries[w++] = e;
    }
    entries.length = w;
    this.head = 0;
    this.nextExpiry = next;
  }

  private compact(): void {
    this.entries = this.entries.slice(this.head);
    this.head = 0;
  }
}
