/**
 * Start a real relay in this process on a free loopback port, for tests.
 *
 * With RELAY_BACKEND=redis every startRelay() starts a two-node cluster on a fresh Redis
 * database instead, and returns the first node (the second is `peer`): the same test files then
 * check that one node of a cluster behaves exactly like a single relay (`npm run test:cluster`).
 */
import { defaultConfig, type RelayConfig, type RelayLimits } from '../relay/config.js';
import { createRelay, type Relay } from '../relay/server.js';
import { freshRedisUrl, TEST_REDIS_CLUSTER } from './redis.js';

export type RelayOverrides = Partial<Omit<RelayConfig, 'limits'>> & { limits?: Partial<RelayLimits> };

export interface TestRelay {
  url: string;
  port: number;
  relay: Relay;
  /** In cluster mode, the other node sharing the same Redis. */
  peer?: TestRelay;
  close(): Promise<void>;
}

/**
 * A clock tests can move forward: `clock.advance(61_000)` makes a claim lease expire at once.
 */
export class TestClock {
  private offset = 0;
  readonly now = (): number => Date.now() + this.offset;
  advance(ms: number): void {
    this.offset += ms;
  }
}

export const clusterMode = process.env.RELAY_BACKEND === 'redis';

async function startNode(overrides: RelayOverrides, clock?: TestClock): Promise<TestRelay> {
  const relay = await createRelay(
    defaultConfig({ port: 0, host: '127.0.0.1', ...overrides }),
    clock ? { clock: clock.now } : {},
  );
  await relay.listen();
  return { url: relay.url, port: relay.port, relay, close: () => relay.close() };
}

/** Two nodes on one fresh Redis database (one is started here unless redisUrl is given). */
export async function startCluster(
  overrides: RelayOverrides = {},
  clock?: TestClock,
): Promise<[TestRelay, TestRelay]> {
  const redisUrl = overrides.redisUrl ?? (await freshRedisUrl());
  const redisCluster = overrides.redisCluster ?? (overrides.redisUrl === undefined && TEST_REDIS_CLUSTER);
  const a = await startNode({ ...overrides, redisUrl, redisCluster }, clock);
  // Only the first node persists: two writers of one DATA_DIR would each write their own view.
  const b = await startNode({ ...overrides, redisUrl, redisCluster, dataDir: null }, clock);
  return [a, b];
}

export async function startRelay(overrides: RelayOverrides = {}, clock?: TestClock): Promise<TestRelay> {
  if (!clusterMode || overrides.redisUrl === null) return startNode(overrides, clock);
  const [a, b] = await startCluster(overrides, clock);
  return { ...a, peer: b, close: async () => void (await Promise.all([a.close(), b.close()])) };
}
