import { openRedis } from '../rooms/redis/connect.js';
import { parseShardUrls } from '../rooms/redis/shards.js';
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

/**
 * In memory on a single node. In a cluster, on a connection of its own to the first Redis server
 * REDIS_URL lists (blobs are not sharded: their scripts keep one global fuse and per-address
 * quotas); a Redis Cluster keeps them in memory per node, which the README states.
 */
export async function createBlobStore(config: RelayConfig): Promise<BlobStore> {
  const limits = blobLimits(config);
  if (!config.redisUrl || config.redisCluster) return new MemoryBlobs(limits);
  const [first] = parseShardUrls(config.redisUrl);
  if (!first) return new MemoryBlobs(limits);
  const cmd = await openRedis(first.url, first.target, 'blobs');
  return new RedisBlobs(cmd, limits);
}
