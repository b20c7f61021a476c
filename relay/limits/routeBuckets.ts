/**
 * Buckets for the few routes whose answer costs far more than a request: a transcript (up to
 * 500 × 128 KiB) and the directory searches (a scan and sort of every live profile). Per client
 * address and per node, on top of the request bucket every route takes from.
 */
import type { RelayLimits } from '../config.js';
import { RateLimiter, refillMs } from './rateLimit.js';

export type RouteBucket = 'transcript' | 'directory';

export class RouteBuckets {
  private readonly limiters: Record<RouteBucket, RateLimiter>;
  readonly idleMs: number;

  constructor(limits: RelayLimits) {
    const make = (capacity: number, refillPerS: number) => {
      const spec = { capacity, refillPerS };
      return new RateLimiter({ action: spec, global: spec });
    };
    this.limiters = {
      transcript: make(limits.transcriptBucketCapacity, limits.transcriptBucketRefillPerS),
      directory: make(limits.directoryBucketCapacity, limits.directoryBucketRefillPerS),
    };
    this.idleMs = Math.max(...Object.values(this.limiters).map((l) => refillMs(l.specs)));
  }

  take(bucket: RouteBucket, ip: string, now: number): boolean {
    return this.limiters[bucket].take(now, ip, bucket, false);
  }

  sweep(now: number): void {
    for (const l of Object.values(this.limiters)) l.sweep(now, this.idleMs);
  }
}
