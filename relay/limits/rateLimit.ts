/**
 * Token buckets (reference-relay.md §6). Keys are namespaced (`room:<id>`, `dm:<h>`, …) so a
 * room literally named `register` no longer shares the registration bucket (a reference quirk).
 */
import type { RelayConfig } from '../config.js';

export interface BucketSpec {
  capacity: number;
  refillPerS: number;
}

/** The two bucket sizes every limited action uses, read once from the config. */
export interface BucketSpecs {
  action: BucketSpec;
  global: BucketSpec;
}

export function bucketSpecs(config: RelayConfig): BucketSpecs {
  return {
    action: { capacity: config.limits.rateBucketCapacity, refillPerS: config.limits.rateBucketRefillPerS },
    global: {
      capacity: config.limits.globalBucketCapacity,
      refillPerS: config.limits.globalBucketRefillPerS,
    },
  };
}

export interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One client address's buckets: the per-IP global one, one per action key, and `shadow`, an
 * aggregate of the action buckets (see RateLimiter).
 */
interface ClientBuckets {
  global: Bucket | null;
  shadow: Bucket;
  /**
   * One action bucket kept outside `actions`, with its key: the one a client moving from room
   * to room re-keys instead of dropping and re-making (see RateLimiter). Never also in `actions`.
   */
  sole: Bucket | null;
  soleKey: string | null;
  actions: Map<string, Bucket>;
  /** When `actions` grows past this, the full ones are dropped (see RateLimiter). */
  purgeAbove: number;
}

/** A client keeps this many action buckets before any purge is tried. */
const MIN_PURGE_ABOVE = 8;

/** The per-IP bucket's action name, as a cluster hashes it (sharedRateLimit.ts). */
const GLOBAL_ACTION = 'global';
/** The shadow bucket's action name: not a valid namespaced key, so it never meets a real one. */
const SHADOW_ACTION = '*';

/**
 * How long a bucket of either size takes to refill from empty. A bucket idle that long is full,
 * which is exactly what a new one would be, so it can be dropped without changing any answer.
 */
export function refillMs(specs: BucketSpecs): number {
  return Math.ceil(
    Math.max(
      specs.action.capacity / specs.action.refillPerS,
      specs.global.capacity / specs.global.refillPerS,
    ) * 1000,
  );
}

/**
 * Buckets grouped by client address.
 *
 * Every action bucket of a client has the same size, and every token taken from one of them is
 * also taken from the client's shadow bucket. Refill and take preserve order, so the shadow never
 * holds more tokens than any of the client's action buckets. When the shadow is full, every action
 * bucket is therefore full too, exactly what a new one would be, and they are dropped on the spot,
 * all but one: the client's sole bucket, reset and re-keyed to the current action. A client that
 * posts to a room now and then (or to 200 rooms in turn, well within its budget) keeps one or two
 * buckets instead of one per room for the whole refill time: under 200 rooms over HTTP those
 * buckets were most of the relay's live heap. And since the sole bucket is re-keyed rather than
 * replaced, such a client allocates no bucket and no map table per post: a new one per post lived
 * just long enough for the young-generation collector to copy it. Answers are the same as with a
 * bucket per key kept forever.
 *
 * The shadow is full only while the client posts at a steady pace. When the relay is overloaded
 * a client's posts are served in bunches, its shadow stays short, and a client touring 200 rooms
 * grew a bucket per room again and kept them for seconds after the overload had passed (the
 * relay's CPU per post stayed 20% higher). So when a client's map doubles in size, the buckets
 * that are full by now (each room it posted to once is full again a few ms later) are dropped
 * too: amortized O(1) per new bucket, and again exactly what a new bucket would be.
 */
export class RateLimiter {
  private readonly clients = new Map<string, ClientBuckets>();

  constructor(readonly specs: BucketSpecs) {}

  /**
   * Take one token from the action's bucket and, when `withGlobal`, from the client's global
   * bucket too, or from neither: a refused request costs nothing.
   */
  take(now: number, ip: string, action: string, withGlobal: boolean): boolean {
    const spec = this.specs.action;
    let client = this.clients.get(ip);
    if (!client) {
      client = {
        global: null,
        shadow: this.createBucket(ip, SHADOW_ACTION, spec, now),
        sole: null,
        soleKey: null,
        actions: new Map(),
        purgeAbove: MIN_PURGE_ABOVE,
      };
      this.clients.set(ip, client);
    }
    const shadow = client.shadow;
    refill(shadow, spec, now);
    let a = client.soleKey === action ? client.sole : client.actions.get(action);
    if (shadow.tokens >= spec.capacity) {
      // Every action bucket is full. All go but the sole one, which now serves this action,
      // reset to full: a client that keeps to one room, or moves on to another room with each
      // post, keeps one bucket object for good.
      if (client.actions.size > 0) this.dropMapped(client);
      const sole = client.sole;
      if (sole) {
        if (client.soleKey === action) {
          a = sole;
          a.tokens = spec.capacity;
        } else a = this.rekey(sole, ip, action, spec, now);
        client.sole = a;
        client.soleKey = action;
      } else a = undefined;
    }
    if (!a) {
      a = this.createBucket(ip, action, spec, now);
      if (!client.sole) {
        client.sole = a;
        client.soleKey = action;
      } else {
        if (client.actions.size >= client.purgeAbove) this.dropFull(client, spec, now);
        client.actions.set(action, a);
      }
    }
    if (!refill(a, spec, now)) return false;
    if (withGlobal) {
      const globalSpec = this.specs.global;
      const g = (client.global ??= this.createBucket(ip, GLOBAL_ACTION, globalSpec, now));
      if (!refill(g, globalSpec, now)) return false;
      g.tokens -= 1;
      this.taken(g, globalSpec, now);
    }
    a.tokens -= 1;
    this.taken(a, spec, now);
    // Never below empty: an action bucket cannot go lower either, so the order still holds.
    shadow.tokens = Math.max(0, shadow.tokens - 1);
    this.taken(shadow, spec, now);
    return true;
  }

  /** Drop clients idle long enough for all their buckets to be full again (`idleMs`: refillMs). */
  sweep(now: number, idleMs: number): void {
    for (const [ip, client] of this.clients) {
      if (now - client.shadow.at <= idleMs || (client.global && now - client.global.at <= idleMs)) continue;
      this.dropActions(client);
      if (client.global) this.dropped(client.global);
      this.dropped(client.shadow);
      this.clients.delete(ip);
    }
  }

  /** How many action buckets are held (for tests and the heap budget). */
  get actionBucketCount(): number {
    let n = 0;
    for (const c of this.clients.values()) n += c.actions.size + (c.sole ? 1 : 0);
    return n;
  }

  private dropActions(client: ClientBuckets): void {
    this.dropMapped(client);
    if (client.sole) this.dropped(client.sole);
    client.sole = null;
    client.soleKey = null;
  }

  /** Drop every action bucket but the sole one. */
  private dropMapped(client: ClientBuckets): void {
    for (const b of client.actions.values()) this.dropped(b);
    client.actions.clear();
    client.purgeAbove = MIN_PURGE_ABOVE;
  }

  /** Drop the client's action buckets that have refilled by `now`; the next purge waits until the rest double. */
  private dropFull(client: ClientBuckets, spec: BucketSpec, now: number): void {
    const full = (b: Bucket) =>
      b.tokens + (Math.max(0, now - b.at) / 1000) * spec.refillPerS >= spec.capacity;
    for (const [action, b] of client.actions) {
      if (!full(b)) continue;
      this.dropped(b);
      client.actions.delete(action);
    }
    if (client.sole && full(client.sole)) {
      this.dropped(client.sole);
      client.sole = null;
      client.soleKey = null;
    }
    client.purgeAbove = Math.max(MIN_PURGE_ABOVE, 2 * client.actions.size);
  }

  /** A bucket for a key this node has not seen yet (a cluster may know it from other nodes). */
  protected createBucket(_ip: string, _action: string, spec: BucketSpec, now: number): Bucket {
    return { tokens: spec.capacity, at: now };
  }

  /**
   * A full bucket that now serves another action of the same client (its key's old bucket is
   * full, so dropping it changes no answer). Here the object itself is reused; a cluster names
   * buckets by their key and makes a new one instead.
   */
  protected rekey(bucket: Bucket, _ip: string, _action: string, spec: BucketSpec, now: number): Bucket {
    bucket.tokens = spec.capacity;
    bucket.at = now;
    return bucket;
  }

  /** A token was taken (a cluster tells the other nodes). */
  protected taken(_bucket: Bucket, _spec: BucketSpec, _now: number): void {}

  /** A bucket was dropped. */
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
