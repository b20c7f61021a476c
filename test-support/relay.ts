/**
 * Start a real relay in this process on a free loopback port, for tests.
 */
import { defaultConfig, type RelayConfig, type RelayLimits } from '../relay/config.js';
import { createRelay, type Relay } from '../relay/server.js';

export type RelayOverrides = Partial<Omit<RelayConfig, 'limits'>> & { limits?: Partial<RelayLimits> };

export interface TestRelay {
  url: string;
  port: number;
  relay: Relay;
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

export async function startRelay(overrides: RelayOverrides = {}, clock?: TestClock): Promise<TestRelay> {
  const relay = await createRelay(defaultConfig({ port: 0, host: '127.0.0.1', ...overrides }), clock ? { clock: clock.now } : {});
  await relay.listen();
  return { url: relay.url, port: relay.port, relay, close: () => relay.close() };
}
