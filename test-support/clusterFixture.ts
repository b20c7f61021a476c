/**
 * For cluster test files: real redis-servers per file (one, or `shards` of them), and a
 * `cluster()` that starts two relay nodes on a fresh database of them and closes them after
 * each test.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { freshRedisUrl, startRedis, startRedisShards, type TestRedis } from './redis.js';
import { startCluster, type RelayOverrides, type TestClock, type TestRelay } from './relay.js';

export function useCluster(
  defaults: RelayOverrides = {},
  shards = 1,
): {
  cluster: (overrides?: RelayOverrides, clock?: TestClock) => Promise<[TestRelay, TestRelay]>;
  redisUrl: () => string;
  /** The servers themselves, to stop and restart them. */
  servers: () => TestRedis[];
  /** Replace a stopped server with a new one on the same port. */
  restart: (i: number) => Promise<void>;
} {
  let redis: TestRedis[] = [];
  let nodes: TestRelay[] = [];
  beforeAll(async () => {
    redis = shards === 1 ? [await startRedis()] : await startRedisShards(shards);
  });
  afterAll(() => Promise.all(redis.map((r) => r.close())));
  afterEach(async () => {
    // allSettled: a test may already have closed a node to play its death.
    await Promise.allSettled(nodes.map((n) => n.close()));
    nodes = [];
  });
  return {
    redisUrl: () => redis.map((r) => r.url).join(','),
    servers: () => redis,
    async restart(i) {
      redis[i] = await startRedis(redis[i]!.port);
    },
    /** Two nodes on a fresh database, or on `overrides.redisUrl` to join nodes already there. */
    async cluster(overrides = {}, clock) {
      const redisUrl = overrides.redisUrl ?? (await freshRedisUrl(redis.map((r) => r.url).join(',')));
      const pair = await startCluster({ ...defaults, ...overrides, redisUrl }, clock);
      nodes.push(...pair);
      return pair;
    },
  };
}
