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

/** One client address's buckets: the per-IP global one, and one per action key. */
interface ClientBuckets {
  global: Bucket | null;
  actions: Map<string, Bucket>;
}

/** The per-IP bucket's action name, as a cluster hashes it (sharedRateLimit.ts). */
const GLOBAL_ACTION = 'global';

/**
 * Buckets grouped by client address. A post costs two map lookups and no allocation once the
 * client's buckets exist: the flat map of `${ip}|${key}` strings, with a rest array and tuples
 * per call, was 4% of the relay's time under HTTP ingest (docs/PERFORMANCE.md).
 */
export class RateLimiter {
  private readonly clients = new Map<string, ClientBuckets>();

  /**
   * Take one token from the action's bucket and, when `globalSpec` is given, from the client's
   * global bucket too, or from neither: a refused request costs nothing.
   */
  take(now: number, ip: string, action: string, spec: BucketSpec, globalSpec: BucketSpec | null): boolean {
    let client = this.clients.get(ip);
    if (!client) {
      client = { global: null, actions: new Map() };
      this.clients.set(ip, client);
    }
    let a = client.actions.get(action);
    if (!a) {
      a = this.createBucket(ip, action, spec, now);
      client.actions.set(action, a);
    }
    if (!refill(a, spec, now)) return false;
    if (globalSpec) {
      const g = (client.global ??= this.createBucket(ip, GLOBAL_ACTION, globalSpec, now));
      if (!refill(g, globalSpec, now)) return false;
      g.tokens -= 1;
      this.taken(g, globalSpec, now);
    }
    a.tokens -= 1;
    this.taken(a, spec, now);
    return true;
  }

  /** Drop buckets idle long enough to be full again anyway (`idleMs`: the longest refill). */
  sweep(now: number, idleMs: number): void {
    for (const [ip, client] of this.clients) {
      for (const [k, b] of client.actions) {
        if (now - b.at > idleMs) {
          client.actions.delete(k);
          this.dropped(b);
        }
      }
      if (client.global && now - client.global.at > idleMs) {
        this.dropped(client.global);
        client.global = null;
      }
      if (!client.global && client.actions.size === 0) this.clients.delete(ip);
    }
  }

  /** A bucket for a key this node has not seen yet (a cluster may know it from other nodes). */
  protected createBucket(_ip: string, _action: string, spec: BucketSpec, now: number): Bucket {
    return { tokens: spec.capacity, at: now };
  }

  /** A token was taken (a cluster tells the other nodes). */
  protected taken(_bucket: Bucket, _spec: BucketSpec, _now: number): void {}

  /** A bucket was swept. */
  protected dropped(_bucket: Bucket): void {}
}

/** Refill for the time passed and say whether a token is there. */
function refill(b: Bucket, spec: BucketSpec, now: number): boolean {
  // A wall clock stepping back must neither drain buckets nor stall their refill.
  if (now > b.at) b.tokens = Math.min(spec.capacity, b.tokens + ((now - b.at) / 1000) * spec.refillPerS);
  b.at = now;
  return b.tokens >= 1;
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
