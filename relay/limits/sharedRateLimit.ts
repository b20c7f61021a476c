/**
 * Token buckets that hold per client across a cluster. Each node still decides at
 * once, from its own buckets, so a request never waits on Redis for its rate check; every token
 * it takes is then announced to the other nodes (batched, every few milliseconds), which drain
 * their copy of the bucket by the same amount. A client spreading requests over several nodes
 * therefore gets one budget, give or take what is in flight during one batch interval.
 *
 * Bucket keys (client IP plus room id or handle) are hashed before they leave the process, so
 * neither addresses nor room ids travel through Redis.
 */
import { createHash } from 'node:crypto';
import { RateLimiter, type Bucket, type BucketSpec, type BucketSpecs } from './rateLimit.js';

export interface RateLink {
  publish(payload: string): void;
  on(tag: string, fn: (rest: string) => void): void;
}

export const RATE_TAG = 'r';
const FLUSH_MS = 10;

interface Pending {
  count: number;
  spec: BucketSpec;
  at: number;
}

/** [hashed key, tokens taken, capacity, refill per s, at] */
type Wire = [string, number, number, number, number];

/** A bucket as the cluster names it: the hash of its IP and action, computed once per bucket. */
interface SharedBucket extends Bucket {
  wire: string;
}

export class SharedRateLimiter extends RateLimiter {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | null = null;
  /** Every bucket this node holds, local or announced by another node, by its wire name. */
  private readonly byWire = new Map<string, SharedBucket>();

  constructor(
    specs: BucketSpecs,
    private readonly link: RateLink,
    private readonly nodeId: string,
  ) {
    super(specs);
    link.on(RATE_TAG, (rest) => this.onRemote(rest));
  }

  protected override createBucket(ip: string, action: string, spec: BucketSpec, now: number): Bucket {
    const wire = hashKey(`${ip}|${action}`);
    // Another node may have drained this client's bucket before its first request reached us.
    const known = this.byWire.get(wire);
    if (known) return known;
    const b: SharedBucket = { tokens: spec.capacity, at: now, wire };
    this.byWire.set(wire, b);
    return b;
  }

  protected override rekey(
    bucket: Bucket,
    ip: string,
    action: string,
    spec: BucketSpec,
    now: number,
  ): Bucket {
    this.dropped(bucket);
    return this.createBucket(ip, action, spec, now);
  }

  protected override taken(bucket: Bucket, spec: BucketSpec, now: number): void {
    const key = (bucket as SharedBucket).wire;
    const p = this.pending.get(key);
    if (p) {
      p.count++;
      p.at = now;
    } else this.pending.set(key, { count: 1, spec, at: now });
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  protected override dropped(bucket: Bucket): void {
    this.byWire.delete((bucket as SharedBucket).wire);
  }

  override sweep(now: number, idleMs: number): void {
    super.sweep(now, idleMs);
    // Buckets only other nodes' clients used.
    for (const [k, b] of this.byWire) if (now - b.at > idleMs) this.byWire.delete(k);
  }

  private flush(): void {
    this.timer = null;
    if (this.pending.size === 0) return;
    const out: Wire[] = [];
    for (const [key, p] of this.pending) out.push([key, p.count, p.spec.capacity, p.spec.refillPerS, p.at]);
    this.pending = new Map();
    this.link.publish(`${this.nodeId}\n${JSON.stringify(out)}`);
  }

  /** Another node took tokens: drain ours by the same amount (never below empty). */
  private onRemote(rest: string): void {
    const nl = rest.indexOf('\n');
    if (nl < 0 || rest.slice(0, nl) === this.nodeId) return;
    let items: Wire[];
    try {
      items = JSON.parse(rest.slice(nl + 1)) as Wire[];
    } catch {
      return;
    }
    if (!Array.isArray(items)) return;
    for (const it of items) {
      if (!Array.isArray(it) || it.length !== 5) continue;
      const [key, count, capacity, refillPerS, at] = it;
      if (
        typeof key !== 'string' ||
        ![count, capacity, refillPerS, at].every((n) => typeof n === 'number' && Number.isFinite(n))
      )
        continue;
      let b = this.byWire.get(key);
      if (!b) {
        b = { tokens: capacity, at, wire: key };
        this.byWire.set(key, b);
      } else if (at > b.at) {
        b.tokens = Math.min(capacity, b.tokens + ((at - b.at) / 1000) * refillPerS);
        b.at = at;
      }
      b.tokens = Math.max(0, b.tokens - count);
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 22);
}
