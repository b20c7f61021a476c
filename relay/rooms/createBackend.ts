import type { RelayConfig } from '../config.js';
import { MemoryBackend } from './memoryBackend.js';
import { RedisBackend } from './redisBackend.js';
import type { RoomBackend } from './types.js';

/** The embedded in-memory backend, unless REDIS_URL asks for the shared one (docs/SCALING.md). */
export async function createBackend(config: RelayConfig): Promise<RoomBackend> {
  if (config.redisUrl) return RedisBackend.connect(config.redisUrl, config.limits);
  return new MemoryBackend(config.limits);
}
