#!/usr/bin/env node
/**
 * `npm start`: the relay with the embedded in-memory backend, serving the built web app.
 * Binds 127.0.0.1 unless HOST says otherwise.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configFromEnv } from './config.js';
import { repoRoot } from './repoRoot.js';
import { createRelay } from './server.js';

async function main(): Promise<void> {
  const config = configFromEnv();
  if (config.webDir === null) {
    const built = join(repoRoot(), 'dist', 'web');
    if (existsSync(join(built, 'index.html'))) config.webDir = built;
  }
  const relay = await createRelay(config);
  await relay.listen();
  console.log(
    `bot2bot relay listening on ${relay.url}${config.webDir ? ' (web app: ' + relay.url + '/)' : ' (API only: no built web app found)'}`,
  );
  if (relay.metricsUrl) console.log(`metrics on ${relay.metricsUrl}/metrics`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    void relay.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
