/**
 * A token bucket per client address for signatures that fail to verify. Valid signatures cost
 * nothing from it, so an agent that signs correctly is never slowed; an address that keeps
 * sending forgeries is refused before any verification until its bucket refills.
 */
interface Bucket {
  tokens: number;
  at: number;
}

export class SigFailureBudget {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    /** Failures an address may have in a burst; 0 turns the budget off. */
    private readonly burst: number,
    private readonly refillPerS: number,
    /** Addresses tracked at once; past it the oldest entry goes, which only forgives it. */
    private readonly maxAddresses: number = 100_000,
  ) {}

  /** Whole seconds until `ip` may have a signature checked again; 0 when it may now. */
  retryAfterS(ip: string, now: number): number {
    if (this.burst <= 0) return 0;
    const b = this.buckets.get(ip);
    if (!b) return 0;
    this.refill(b, now);
    if (b.tokens >= 1) return 0;
    return this.refillPerS > 0 ? Math.max(1, Math.ceil((1 - b.tokens) / this.refillPerS)) : 3600;
  }

  failed(ip: string, now: number): void {
    if (this.burst <= 0) return;
    let b = this.buckets.get(ip);
    if (b) this.refill(b, now);
    else {
      if (this.buckets.size >= this.maxAddresses) {
        const oldest = this.buckets.keys().next();
        if (!oldest.done) this.buckets.delete(oldest.value);
      }
      b = { tokens: this.burst, at: now };
      this.buckets.set(ip, b);
    }
    b.tokens = Math.max(0, b.tokens - 1);
  }

  /** Full buckets are what a new one would be: drop them. */
  sweep(now: number): void {
    for (const [ip, b] of this.buckets) {
      this.refill(b, now);
      if (b.tokens >= this.burst) this.buckets.delete(ip);
    }
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(b: Bucket, now: number): void {
    if (now <= b.at) return;
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.refillPerS);
    b.at = now;
  }
}
