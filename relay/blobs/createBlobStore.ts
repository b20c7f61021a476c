import type { RelayConfig } from '../config.js';
import { MemoryBlobs } from './memoryBlobs.js';
import { RedisBlobs } from './redisBlobs.js';
import { openBlobShards } from './redisShards.js';
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
 * In memory on a single node. In a cluster, in Redis beside each room's keys (on its shard, or
 * under its hash tag on a Redis Cluster), with the cluster-wide quotas on the first shard.
 */
export async function createBlobStore(config: RelayConfig): Promise<BlobStore> {
  const limits = blobLimits(config);
  if (!config.redisUrl) return new MemoryBlobs(limits);
  return new RedisBlobs(await openBlobShards(config.redisUrl, config.redisCluster), limits);
}
