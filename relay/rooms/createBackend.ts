import type { RelayConfig } from '../config.js';
import type { DmInboxes } from '../dm/inboxes.js';
import { MemoryInboxes } from '../dm/memoryInboxes.js';
import type { SharedDirectoryRegistry } from '../identity/sharedDirectory.js';
import type { MirroredRegistry } from '../identity/sharedIdentities.js';
import { bucketSpecs, RateLimiter } from '../limits/rateLimit.js';
import type { PushConfig } from '../push/config.js';
import { MemoryPushStore, PushRegistry } from '../push/registry.js';
import { RedisPushStore } from '../push/redisStore.js';
import type { PushStore } from '../push/store.js';
import { MemoryBackend } from './memoryBackend.js';
import { RedisBackend } from './redisBackend.js';
import type { RoomBackend } from './types.js';

/** The state several nodes must share: rooms, DM inboxes and the clients' rate-limit buckets. */
export interface SharedStores {
  backend: RoomBackend;
  inboxes: DmInboxes;
  rate: RateLimiter;
  /** Share registrations, profiles and nonce caches with the other nodes; call once the registry has loaded DATA_DIR. */
  shareIdentities(registry: MirroredRegistry & SharedDirectoryRegistry): Promise<void>;
  /** Web Push subscriptions, shared like the rooms they follow. */
  pushStore(config: PushConfig): PushStore;
}

const pushLimits = (c: PushConfig) => ({
  max: c.subscriptionsMax,
  perOwner: c.subscriptionsPerIp,
  ttlMs: c.subscriptionTtlMs,
  // Every node holds the VAPID private key, and Redis never does.
  ownerKey: c.vapidPrivateKey,
});

/** The embedded in-memory stores, unless REDIS_URL asks for the shared ones (docs/SCALING.md). */
export async function createStores(config: RelayConfig): Promise<SharedStores> {
  if (config.redisUrl) {
    const backend = await RedisBackend.connect(config.redisUrl, config.limits, {
      cluster: config.redisCluster,
    });
    return {
      backend,
      inboxes: backend.inboxes(),
      rate: backend.rateLimiter(bucketSpecs(config)),
      shareIdentities: (r) => backend.shareIdentities(r),
      pushStore: (c) => new RedisPushStore(backend.pushLink(), pushLimits(c)),
    };
  }
  return {
    backend: new MemoryBackend(config.limits),
    inboxes: new MemoryInboxes(),
    rate: new RateLimiter(bucketSpecs(config)),
    shareIdentities: async () => {},
    pushStore: (c) => {
      const l = pushLimits(c);
      return new MemoryPushStore(new PushRegistry(l.max, l.perOwner, l.ttlMs));
    },
  };
}
