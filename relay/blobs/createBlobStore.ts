import { openRedis, parseRedisUrl } from '../rooms/redis/connect.js';
import type { RelayConfig } from '../config.js';
import { MemoryBlobs } from './memoryBlobs.js';
import { RedisBlobs } from './redisBlobs.js';
import type { BlobLimits, BlobStore } from './types.js';

export function blobLimits(config: RelayConfig): BlobLimits {
  const l = config.limits;
  return {
    maxBytes: l.blobMaxBytes,
    roomMaxBytes: l.blobRoomMaxBytes,
    ipMaxBytes: l.blobIpMaxBytes,
    globalMaxBytes: l.blobGlobalMaxBytes,
    ttlMs: l.blobTtlMs,
    perRoomMax: l.blobsPerRoomMax,
  };
}

/** In memory on a single node; in the cluster's Redis, on a connection of its own, with REDIS_URL. */
export async function createBlobStore(config: RelayConfig): Promise<BlobStore> {
  const limits = blobLimits(config);
  if (!config.redisUrl) return new MemoryBlobs(limits);
  const cmd = await openRedis(config.redisUrl, parseRedisUrl(config.redisUrl), 'blobs');
  return new RedisBlobs(cmd, limits);
}
