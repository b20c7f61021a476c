/**
 * Global setup of the cluster test run (vitest.cluster.config.ts): TEST_SHARDS redis-servers
 * for every test file (or, with RELAY_TEST_REDIS_CLUSTER=1, a Redis Cluster of that many
 * primaries); each relay pair uses its own logical database (or key namespace) on all of them,
 * with its rooms and inboxes spread over the servers.
 */
import {
  startRedisCluster,
  startRedisShards,
  TEST_REDIS_CLUSTER,
  TEST_SHARDS,
  type TestRedis,
} from './redis.js';

let shards: TestRedis[] = [];

export async function setup(): Promise<void> {
  shards = TEST_REDIS_CLUSTER ? await startRedisCluster(TEST_SHARDS) : await startRedisShards(TEST_SHARDS);
  // Worker processes inherit this; test-support/relay.ts reads it in cluster mode.
  process.env.RELAY_TEST_REDIS_URL = shards.map((r) => r.url).join(',');
}

export async function teardown(): Promise<void> {
  await Promise.all(shards.map((r) => r.close()));
  shards = [];
}
