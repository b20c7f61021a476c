/**
 * What every route module receives: the config, the shared limiters and stores. Route files
 * export `xxxRoutes(deps): RouteDef[]` and never reach for globals.
 */
import { ERR, RETRY_AFTER_S } from '../protocol/index.js';
import type { RelayConfig } from './config.js';
import { HttpError } from './http/respond.js';
import type { IdentityRegistry } from './identity/registry.js';
import { Counter, RateLimiter, type BucketSpec } from './limits/rateLimit.js';
import type { Hub } from './rooms/hub.js';
import type { RoomBackend } from './rooms/types.js';

export interface RelayDeps {
  config: RelayConfig;
  backend: RoomBackend;
  hub: Hub;
  identities: IdentityRegistry;
  rate: RateLimiter;
  buckets: BucketSpecs;
  /** Parked long-polls per IP: room wait, claim and DM wait share this cap. */
  waitersPerIp: Counter;
  now(): number;
}

/** The two bucket sizes every limited action uses (reference-relay.md §6), read once from the config. */
export interface BucketSpecs {
  action: BucketSpec;
  global: BucketSpec;
}

/**
 * How long a bucket of either size takes to refill from empty. A bucket idle that long is full,
 * which is exactly what a new one would be, so it can be dropped without changing any answer.
 */
export function refillMs(specs: BucketSpecs): number {
  return Math.ceil(Math.max(specs.action.capacity / specs.action.refillPerS, specs.global.capacity / specs.global.refillPerS) * 1000);
}

export function bucketSpecs(config: RelayConfig): BucketSpecs {
  return {
    action: { capacity: config.limits.rateBucketCapacity, refillPerS: config.limits.rateBucketRefillPerS },
    global: { capacity: config.limits.globalBucketCapacity, refillPerS: config.limits.globalBucketRefillPerS },
  };
}

/**
 * Take a token from the action's bucket and the per-IP global one, or throw 429. `key` is
 * namespaced by the caller (`room:<id>`, `dm:<h>`, `auth:<h>`, `register`, …).
 */
export function rateLimitOrThrow(deps: RelayDeps, ip: string, key: string, retryAfterS: number = RETRY_AFTER_S.roomPost, withGlobal = true): void {
  if (!deps.rate.take(deps.now(), ip, key, deps.buckets.action, withGlobal ? deps.buckets.global : null)) throw new HttpError(429, ERR.rateLimited, retryAfterS);
}
