/**
 * Global setup of the cluster test run (vitest.cluster.config.ts): one redis-server for every
 * test file, which each relay pair uses through its own logical database.
 */
import { startRedis, type TestRedis } from './redis.js';

let redis: TestRedis | null = null;

export async function setup(): Promise<void> {
  redis = await startRedis();
  // Worker processes inherit this; test-support/relay.ts reads it in cluster mode.
  process.env.RELAY_TEST_REDIS_URL = redis.url;
}

export async function teardown(): Promise<void> {
  await redis?.close();
  redis = null;
}
