/**
 * For cluster test files: one real redis-server per file, and a `cluster()` that starts two
 * relay nodes on a fresh database of it and closes them after each test.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { freshRedisUrl, startRedis, type TestRedis } from './redis.js';
import { startCluster, type RelayOverrides, type TestClock, type TestRelay } from './relay.js';

export function useCluster(defaults: RelayOverrides = {}): {
  cluster: (overrides?: RelayOverrides, clock?: TestClock) => Promise<[TestRelay, TestRelay]>;
  redisUrl: () => string;
} {
  let redis: TestRedis | null = null;
  let nodes: TestRelay[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.close());
  afterEach(async () => {
    // allSettled: a test may already have closed a node to play its death.
    await Promise.allSettled(nodes.map((n) => n.close()));
    nodes = [];
  });
  return {
    redisUrl: () => redis!.url,
    /** Two nodes on a fresh database, or on `overrides.redisUrl` to join nodes already there. */
    async cluster(overrides = {}, clock) {
      const redisUrl = overrides.redisUrl ?? (await freshRedisUrl(redis!.url));
      const pair = await startCluster({ ...defaults, ...overrides, redisUrl }, clock);
      nodes.push(...pair);
      return pair;
    },
  };
}
