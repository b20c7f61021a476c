/**
 * Where a room's blobs live in Redis: on the same server (or, on a Redis Cluster, under the same
 * hash tag) as the room's own keys, chosen by the room backend's shard function, so a room's
 * blobs fail, recover and go with it. The cluster-wide accounting (global fuse, per-address
 * quota) lives on the first shard, as the backend's identities do.
 */
import type { Redis } from 'ioredis';
import { openCluster, openRedis } from '../rooms/redis/connect.js';
import {
  isConnectionError,
  parseShardUrls,
  pickShard,
  shardSeeds,
  ShardUnavailableError,
  type ShardSpec,
} from '../rooms/redis/shards.js';
import { CLUSTER_SLOT_GROUPS } from '../rooms/redisBackend.js';

/** The room backend's default key prefix; blob keys sit beside the room keys under it. */
const ROOT = 'b2b:';

export interface BlobShard {
  cmd: Redis;
  /** Key prefix of this shard's blob keys (hash-tagged on a Redis Cluster). */
  prefix: string;
  name: string;
}

export interface BlobShards {
  /** The shard that holds the room's keys. */
  of(roomId: string): BlobShard;
  /** Every shard (each slot group on a Redis Cluster), for sweeps. */
  all: BlobShard[];
  /** Cluster-wide accounting. */
  home: BlobShard;
  close(): void;
}

function layout(specs: ShardSpec[], cmds: Redis[], prefixes: string[]): Omit<BlobShards, 'close'> {
  const all = specs.map((spec, i) => ({ cmd: cmds[i]!, prefix: prefixes[i]!, name: spec.name }));
  const seeds = shardSeeds(specs);
  return { all, home: all[0]!, of: (roomId) => all[pickShard(seeds, roomId)]! };
}

/** Connections of their own, so large chunks never queue in front of the rooms' scripts. */
export async function openBlobShards(redisUrl: string, cluster: boolean): Promise<BlobShards> {
  const specs = parseShardUrls(redisUrl);
  if (cluster) {
    // The slot groups of RedisBackend.connectCluster: the same names give the same choice.
    const first = specs[0]!;
    const cmd = await openCluster(specs, 'blobs', false);
    const groups = Array.from({ length: CLUSTER_SLOT_GROUPS }, (_, i) => ({
      ...first,
      name: `{${first.target.db}.${i}}`,
    }));
    return {
      ...layout(
        groups,
        groups.map(() => cmd),
        groups.map((g) => `${ROOT}${g.name}:bl:`),
      ),
      close: () => cmd.disconnect(),
    };
  }
  const cmds: Redis[] = [];
  try {
    for (const spec of specs) cmds.push(await openRedis(spec.url, spec.target, 'blobs'));
  } catch (e) {
    for (const c of cmds) c.disconnect();
    throw e;
  }
  return {
    ...layout(
      specs,
      cmds,
      specs.map(() => `${ROOT}bl:`),
    ),
    close: () => {
      for (const c of cmds) c.disconnect();
    },
  };
}

/** Run `f` against a shard; an unreachable shard answers 503 for this request only. */
export async function onShard<T>(sh: BlobShard, f: () => Promise<T>): Promise<T> {
  if (sh.cmd.status !== 'ready') throw new ShardUnavailableError(sh.name);
  try {
    return await f();
  } catch (e) {
    if (isConnectionError(e)) throw new ShardUnavailableError(sh.name);
    throw e;
  }
}
