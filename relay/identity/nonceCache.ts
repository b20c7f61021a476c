/**
 * Replay caches for signature nonces (reference-relay.md §5.2): per handle, entries live 120 s;
 * a full per-handle cache fails closed, and a global fuse bounds the total.
 */
import { LIMITS } from '../../protocol/index.js';

export class NonceCache {
  private readonly byKey = new Map<string, Map<string, number>>();
  private total = 0;

  constructor(
    private readonly ttlMs: number = LIMITS.nonceCacheTtlMs,
    private readonly perKeyMax: number = LIMITS.nonceCachePerHandleMax,
    private readonly globalMax: number = LIMITS.nonceCacheGlobalMax,
  ) {}

  /** Record `nonce` for `key`; false if it was seen (a replay) or the cache is full. */
  use(key: string, nonce: string, now: number): boolean {
    return this.record(key, nonce, now) === 'ok';
  }

  /** Like `use`, but says why a nonce was refused: DM sends answer a replay and a full cache differently. */
  record(key: string, nonce: string, now: number): 'ok' | 'seen' | 'full' {
    let seen = this.byKey.get(key);
    if (seen) this.expire(seen, now);
    if (seen?.has(nonce)) return 'seen';
    if (this.total >= this.globalMax) this.sweep(now);
    if (this.total >= this.globalMax) return 'full';
    if (!seen) {
      seen = new Map();
      this.byKey.set(key, seen);
    }
    if (seen.size >= this.perKeyMax) return 'full';
    seen.set(nonce, now + this.ttlMs);
    this.total++;
    return 'ok';
  }

  sweep(now: number): void {
    for (const [k, seen] of this.byKey) {
      this.expire(seen, now);
      if (seen.size === 0) this.byKey.delete(k);
    }
  }

  private expire(seen: Map<string, number>, now: number): void {
    // Insertion order is expiry order, so stop at the first live entry.
    for (const [n, until] of seen) {
      if (until > now) break;
      seen.delete(n);
      this.total--;
    }
  }
}
