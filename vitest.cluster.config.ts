import { defineConfig } from 'vitest/config';

// The relay's conformance tests again, each against one node of a two-node cluster whose rooms
// and inboxes are sharded over three real redis-servers (RELAY_BACKEND=redis, see
// test-support/relay.ts and redisGlobalSetup.ts; RELAY_TEST_REDIS_SHARDS changes the count).
// `npm run test:cluster`.
export default defineConfig({
  test: {
    include: ['relay/test/*.test.ts'],
    exclude: ['relay/test/cluster*.test.ts'],
    env: { RELAY_BACKEND: 'redis' },
    globalSetup: ['test-support/redisGlobalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
