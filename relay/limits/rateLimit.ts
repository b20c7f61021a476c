/**
 * Token buckets (reference-relay.md §6). Keys are namespaced (`room:<id>`, `dm:<h>`, …) so a
 * room literally named `register` no longer shares the registration bucket (a reference quirk).
 */
export interface BucketSpec {
  capacity: number;
  refillPerS: number;
}

export interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  /** Protected: a cluster's SharedRateLimiter (sharedRateLimit.ts) also drains them for other nodes. */
  protected readonly buckets = new Map<string, Bucket>();

  /** Take one token from each bucket, or none: a refused request costs nothing. */
  take(now: number, ...reqs: Array<[key: string, spec: BucketSpec]>): boolean {
    const found: Bucket[] = [];
    for (const [key, spec] of reqs) {
      let b = this.buckets.get(key);
      if (!b) {
        b = { tokens: spec.capacity, at: now };
        this.buckets.set(key, b);
      } else {
        // max(0, …): a wall clock stepping back must not drain buckets.
        b.tokens = Math.min(spec.capacity, b.tokens + (Math.max(0, now - b.at) / 1000) * spec.refillPerS);
        b.at = now;
      }
      if (b.tokens < 1) return false;
      found.push(b);
    }
    for (const b of found) b.tokens -= 1;
    return true;
  }

  /** Drop buckets idle long enough to be full again anyway. */
  sweep(now: number, idleMs: number): void {
    for (const [k, b] of this.buckets) if (now - b.at > idleMs) this.buckets.delete(k);
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** Counters with a ceiling, for concurrent streams and waiters per IP / room / handle. */
export class Counter {
  private readonly counts = new Map<string, number>();

  tryAcquire(key: string, max: number): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= max) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = (this.counts.get(key) ?? 1) - 1;
    if (n <= 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}
