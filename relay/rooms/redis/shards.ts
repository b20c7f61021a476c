/**
 * Several independent Redis servers as one store: each room (and each DM inbox) lives wholly on
 * the shard its id hashes to, so every script stays atomic on one server and shards never talk
 * to each other. Rendezvous hashing (highest score wins) moves only the keys of an added or
 * removed shard's share; shards are named by host:port/db, so the order of REDIS_URL entries does
 * not matter.
 */
import type { Redis } from 'ioredis';
import { ERR } from '../../../protocol/index.js';
import { HttpError } from '../../http/respond.js';
import { parseRedisUrl, type RedisTarget } from './connect.js';

export interface ShardSpec {
  url: string;
  target: RedisTarget;
  /** What the hash sees: host, port and database, never the password. */
  name: string;
}

/** `REDIS_URL` may list several servers, comma-separated. Duplicates are refused. */
export function parseShardUrls(urls: string): ShardSpec[] {
  const list = urls
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (list.length === 0) throw new Error('REDIS_URL is empty');
  const specs = list.map((url) => {
    const target = parseRedisUrl(url);
    const u = new URL(url);
    return { url, target, name: `${u.hostname}:${u.port || '6379'}/${target.db}` };
  });
  const names = new Set(specs.map((s) => s.name));
  if (names.size !== specs.length) throw new Error('REDIS_URL lists the same Redis server twice');
  return specs;
}

/** 32-bit FNV-1a, then a final avalanche so similar ids spread: cheap and stable across versions. */
function hash32(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The index of the shard that owns `key` (a room id, or `dm:` plus a handle). */
export function pickShard(seeds: readonly number[], key: string): number {
  if (seeds.length === 1) return 0;
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < seeds.length; i++) {
    const score = hash32(key, seeds[i]!);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

/** Per-shard seeds for pickShard, derived from the shards' names. */
export function shardSeeds(specs: readonly ShardSpec[]): number[] {
  return specs.map((s) => hash32(s.name, 0x9e3779b9));
}

/** Raised when a room's or inbox's shard is unreachable: the request answers 503, others go on. */
export class ShardUnavailableError extends HttpError {
  constructor(readonly shard: string) {
    super(503, ERR.storageUnavailable, SHARD_RETRY_AFTER_S);
  }
}

/** Redis reconnects within a few seconds of coming back; clients retry after this. */
export const SHARD_RETRY_AFTER_S = 5;

/** A command failed for want of a connection (as opposed to a script refusing something). */
export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e.name === 'ReplyError') return /LOADING|MASTERDOWN|READONLY|BUSY/.test(e.message);
  return true;
}

export interface Shard {
  index: number;
  spec: ShardSpec;
  cmd: Redis;
  sub: Redis;
  /** Key prefix of this shard's rooms and inboxes (hash-tagged on a Redis Cluster). */
  prefix: string;
  /** Channel names on this shard start with this (pub/sub ignores the database number). */
  root: string;
}

/** Fail fast when the shard is not connected, instead of queueing behind its reconnects. */
export function assertUp(shard: Shard): void {
  if (shard.cmd.status !== 'ready') throw new ShardUnavailableError(shard.spec.name);
}
