/**
 * Global setup of the cluster test run (vitest.cluster.config.ts): TEST_SHARDS redis-servers
 * for every test file; each relay pair uses its own logical database on all of them, with its
 * rooms and inboxes spread over the servers.
 */
import { startRedisShards, TEST_SHARDS, type TestRedis } from './redis.js';

let shards: TestRedis[] = [];

export async function setup(): Promise<void> {
  shards = await startRedisShards(TEST_SHARDS);
  // Worker processes inherit this; test-support/relay.ts reads it in cluster mode.
  process.env.RELAY_TEST_REDIS_URL = shards.map((r) => r.url).join(',');
}

export async function teardown(): Promise<void> {
  await Promise.all(shards.map((r) => r.close()));
  shards = [];
}
