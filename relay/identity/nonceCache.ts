/**
 * Replay caches for signature nonces (reference-relay.md §5.2), bounded by time and memory only,
 * never by a count per handle (that refused busy agents that did nothing wrong).
 *
 * Time: an entry lives `ttlMs` past its signed timestamp; by then the skew check refuses any
 * replay of it. Memory: at `maxEntries` the oldest entry goes first, and its key remembers that
 * entry's signed timestamp. A signature of that key whose timestamp is no newer is refused, so an
 * evicted nonce can never be replayed, while a client whose clock moves forward is unaffected.
 */
import { LIMITS } from '../../protocol/index.js';

export type NonceVerdict = 'ok' | 'seen' | 'full';

export class NonceCache {
  /** `<key>\n<nonce>` → signed timestamp, in insertion order. */
  private readonly entries = new Map<string, number>();
  /** Per key: the newest signed timestamp evicted before its time. */
  private readonly evictedUpTo = new Map<string, number>();
  private evictions = 0;

  constructor(
    readonly maxEntries: number = LIMITS.nonceCacheGlobalMax,
    private readonly ttlMs: number = LIMITS.nonceCacheTtlMs,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Entries evicted under the cap before their time, since start. */
  get evicted(): number {
    return this.evictions;
  }

  /** Record `nonce` for `key`; false if it was seen (a replay) or cannot be told from one. */
  use(key: string, nonce: string, signedTs: number, now: number): boolean {
    return this.record(key, nonce, signedTs, now) === 'ok';
  }

  /**
   * Like `use`, but says why a nonce was refused: `seen` is a replay, `full` a timestamp no newer
   * than one this key lost to the memory cap (DM sends answer the two differently).
   */
  record(key: string, nonce: string, signedTs: number, now: number): NonceVerdict {
    const id = `${key}\n${nonce}`;
    const ts = this.entries.get(id);
    if (ts !== undefined) {
      if (ts + this.ttlMs > now) return 'seen';
      this.entries.delete(id);
    }
    const floor = this.evictedUpTo.get(key);
    if (floor !== undefined && signedTs <= floor) return 'full';
    if (this.entries.size >= this.maxEntries) this.makeRoom(now);
    if (this.maxEntries <= 0) return 'full';
    this.entries.set(id, signedTs);
    return 'ok';
  }

  sweep(now: number): void {
    this.dropExpired(now);
    for (const [key, ts] of this.evictedUpTo) if (ts + this.ttlMs <= now) this.evictedUpTo.delete(key);
  }

  private makeRoom(now: number): void {
    this.dropExpired(now);
    while (this.entries.size >= this.maxEntries && this.entries.size > 0) {
      const oldest = this.entries.entries().next();
      if (oldest.done) return;
      const [id, ts] = oldest.value;
      this.entries.delete(id);
      this.evictions++;
      const key = id.slice(0, id.indexOf('\n'));
      const floor = this.evictedUpTo.get(key);
      if (floor === undefined || ts > floor) this.evictedUpTo.set(key, ts);
    }
  }

  /**
   * From the front while entries have expired. Signed timestamps differ from arrival order by at
   * most the skew, so this frees every expired entry within that much of its time.
   */
  private dropExpired(now: number): void {
    for (const [id, ts] of this.entries) {
      if (ts + this.ttlMs > now) break;
      this.entries.delete(id);
    }
  }
}
