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

export async function startRelay(overrides: RelayOverrides = {}): Promise<TestRelay> {
  const relay = await createRelay(defaultConfig({ port: 0, host: '127.0.0.1', ...overrides }));
  await relay.listen();
  return { url: relay.url, port: relay.port, relay, close: () => relay.close() };
}
