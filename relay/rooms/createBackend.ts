import type { RelayConfig } from '../config.js';
import { MemoryBackend } from './memoryBackend.js';
import type { RoomBackend } from './types.js';

/** The embedded in-memory backend, unless REDIS_URL asks for the shared one. */
export async function createBackend(config: RelayConfig): Promise<RoomBackend> {
  if (config.redisUrl) {
    throw new Error('REDIS_URL is set, but this build has no Redis backend yet (issue 7); unset it to run on one node');
  }
  return new MemoryBackend(config.limits);
}
