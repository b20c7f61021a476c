/**
 * What every route module receives: the config, the shared limiters and stores. Route files
 * export `xxxRoutes(deps): RouteDef[]` and never reach for globals.
 */
import { ERR, RETRY_AFTER_S } from '../protocol/index.js';
import type { RelayConfig } from './config.js';
import { HttpError } from './http/respond.js';
import type { IdentityRegistry } from './identity/registry.js';
import type { Counter, RateLimiter } from './limits/rateLimit.js';
import type { RelayMetrics } from './metrics/metrics.js';
import type { PushService } from './push/sender.js';
import type { Hub } from './rooms/hub.js';
import type { RoomBackend } from './rooms/types.js';

export interface RelayDeps {
  config: RelayConfig;
  backend: RoomBackend;
  hub: Hub;
  identities: IdentityRegistry;
  rate: RateLimiter;
  /** Parked long-polls per IP: room wait, claim and DM wait share this cap. */
  waitersPerIp: Counter;
  now(): number;
  /** Prometheus counters; null unless the operator turned metrics on. */
  metrics?: RelayMetrics | null;
  /** Web Push; null unless the operator set VAPID keys. */
  push?: PushService | null;
}

/**
 * Take a token from the action's bucket and the per-IP global one, or throw 429. `key` is
 * namespaced by the caller (`room:<id>`, `dm:<h>`, `auth:<h>`, `register`, …).
 */
export function rateLimitOrThrow(
  deps: RelayDeps,
  ip: string,
  key: string,
  retryAfterS: number = RETRY_AFTER_S.roomPost,
  withGlobal = true,
): void {
  if (!deps.rate.take(deps.now(), ip, key, withGlobal))
    throw new HttpError(429, ERR.rateLimited, retryAfterS);
}
