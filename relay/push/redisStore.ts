/**
 * Push subscriptions shared by a cluster. The registry of subscriptions (keys, owner, rooms, DM
 * handle) lives on the first shard, which enforces the global and per-address caps and the TTL
 * in one script. Each room's (and each DM inbox's) list of subscriber ids and their last-push
 * times live beside the room on its shard, under its prefix (hash-tagged on a Redis Cluster),
 * so the node that accepts a post asks one shard who is due, and coalescing holds across nodes.
 *
 * Layout, with P a shard's prefix and <id> a hash of the endpoint:
 *   first shard:  P push:subs  zset id -> last registered;  P push:s:<id>  hash owner, sub, rooms, dm;
 *                 P push:o:<owner>  zset id -> last registered (the address's share; the owner
 *                 is a keyed hash of the client address, never the address)
 *   room's shard: P push:r:<room>  set of ids;  P push:r:<room>:at  hash id -> last push
 *   inbox's shard: P push:d:<handle>, P push:d:<handle>:at  the same for DMs
 */
import { createHash, createHmac } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { isConnectionError, ShardUnavailableError } from '../rooms/redis/shards.js';
import type { PushStore, PushSubscriptionKeys, PushTopic } from './store.js';

export interface PushShard {
  cmd: Redis | Cluster;
  prefix: string;
  name: string;
}

/** What the room backend lends: the first shard, and the shard a room id or `dm:<handle>` lives on. */
export interface PushLink {
  home: PushShard;
  shardFor(key: string): PushShard;
}

export interface PushStoreLimits {
  max: number;
  perOwner: number;
  ttlMs: number;
  /** A secret every node shares and Redis never sees: addresses are stored only keyed by it. */
  ownerKey: string;
}

const SET_LUA = `
local P, id, owner = ARGV[1], ARGV[2], ARGV[3]
local now, ttl, max, perOwner = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local subs = KEYS[1]
local function ekey(x) return P .. 'push:s:' .. x end
local function okey(o) return P .. 'push:o:' .. o end
local gone = {}
local function forget(x)
  redis.call('ZREM', subs, x)
  local e = redis.call('HMGET', ekey(x), 'owner', 'rooms', 'dm')
  redis.call('DEL', ekey(x))
  if e[1] then redis.call('ZREM', okey(e[1]), x) end
  gone[#gone + 1] = x
  gone[#gone + 1] = e[2] or '[]'
  gone[#gone + 1] = e[3] or ''
end
-- Those not registered again within the TTL go first (a bounded batch per call).
for _, x in ipairs(redis.call('ZRANGEBYSCORE', subs, '-inf', now - ttl, 'LIMIT', 0, 64)) do forget(x) end
if ARGV[8] == 'del' then
  if redis.call('ZSCORE', subs, id) then forget(id) end
  return gone
end
local prev = redis.call('HMGET', ekey(id), 'owner', 'rooms', 'dm')
local holder = prev[1]
if not holder then
  redis.call('ZREMRANGEBYSCORE', okey(owner), '-inf', now - ttl)
  if redis.call('ZCARD', okey(owner)) >= perOwner then return {'full'} end
  holder = owner
  redis.call('HSET', ekey(id), 'owner', owner, 'rooms', '[]', 'dm', '')
end
redis.call('HSET', ekey(id), 'sub', ARGV[10])
if ARGV[8] == 'rooms' then redis.call('HSET', ekey(id), 'rooms', ARGV[9]) else redis.call('HSET', ekey(id), 'dm', ARGV[9]) end
redis.call('PEXPIRE', ekey(id), ttl)
redis.call('ZADD', subs, now, id)
redis.call('PEXPIRE', subs, ttl)
redis.call('ZADD', okey(holder), now, id)
redis.call('PEXPIRE', okey(holder), ttl)
-- The global cap: the least recently registered go.
local over = redis.call('ZCARD', subs) - max
if over > 0 then
  for _, x in ipairs(redis.call('ZRANGE', subs, 0, over)) do
    if x ~= id and over > 0 then forget(x); over = over - 1 end
  end
end
local out = {'ok', prev[2] or '[]', prev[3] or ''}
for _, v in ipairs(gone) do out[#out + 1] = v end
return out
`;

const DUE_LUA = `
local now, win = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local last = redis.call('HGET', KEYS[2], id)
  if not last or now - tonumber(last) >= win then
    redis.call('HSET', KEYS[2], id, now)
    out[#out + 1] = id
  end
end
if #out > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return out
`;

type Cmd = Redis | Cluster;
type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

export function endpointId(endpoint: string): string {
  return createHash('sha256').update(endpoint).digest('base64url').slice(0, 22);
}

function rooms(json: string): string[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

export class RedisPushStore implements PushStore {
  private readonly defined = new WeakSet<Cmd>();

  constructor(
    private readonly link: PushLink,
    private readonly limits: PushStoreLimits,
  ) {}

  private script(cmd: Cmd, name: 'pushSet' | 'pushDue'): ScriptFn {
    if (!this.defined.has(cmd)) {
      // Other stores may share this client: define only what is not there yet.
      if (!('b2b_pushSet' in cmd)) cmd.defineCommand('b2b_pushSet', { numberOfKeys: 1, lua: SET_LUA });
      if (!('b2b_pushDue' in cmd)) cmd.defineCommand('b2b_pushDue', { numberOfKeys: 2, lua: DUE_LUA });
      this.defined.add(cmd);
    }
    const fn = (cmd as unknown as Record<string, ScriptFn>)[`b2b_${name}`]!;
    return (...args) => fn.apply(cmd, args);
  }

  private index(kind: PushTopic, key: string): { sh: PushShard; set: string; at: string } {
    const sh = this.link.shardFor(kind === 'room' ? key : `dm:${key}`);
    const set = `${sh.prefix}push:${kind === 'room' ? 'r' : 'd'}:${key}`;
    return { sh, set, at: `${set}:at` };
  }

  private async guard<T>(name: string, p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (isConnectionError(e)) throw new ShardUnavailableError(name);
      throw e;
    }
  }

  /** Run the registry script; the rooms and handle the subscription held before, and those it evicted. */
  private async registry(
    mode: 'rooms' | 'dm' | 'del',
    id: string,
    owner: string,
    value: string,
    sub: string,
    now: number,
  ): Promise<boolean> {
    const h = this.link.home;
    const { max, perOwner, ttlMs } = this.limits;
    // Client addresses never reach Redis; their keyed hash is enough to count a share.
    const ownerTag =
      owner && createHmac('sha256', this.limits.ownerKey).update(owner).digest('base64url').slice(0, 22);
    const out = (await this.guard(
      h.name,
      this.script(h.cmd, 'pushSet')(
        `${h.prefix}push:subs`,
        h.prefix,
        id,
        ownerTag,
        now,
        ttlMs,
        max,
        perOwner,
        mode,
        value,
        sub,
      ),
    )) as string[];
    if (out[0] === 'full') return false;
    // What the registry dropped, or what this subscription no longer follows, leaves the indexes.
    const drops: Array<[PushTopic, string, string]> = [];
    let gone = out;
    if (out[0] === 'ok') {
      gone = out.slice(3);
      const before = rooms(out[1]!);
      if (mode === 'rooms') {
        const keep = new Set(rooms(value));
        for (const r of before) if (!keep.has(r)) drops.push(['room', r, id]);
      } else if (out[2] && out[2] !== value) drops.push(['dm', out[2], id]);
    }
    for (let i = 0; i + 2 < gone.length; i += 3) {
      for (const r of rooms(gone[i + 1]!)) drops.push(['room', r, gone[i]!]);
      if (gone[i + 2]) drops.push(['dm', gone[i + 2]!, gone[i]!]);
    }
    await Promise.all(drops.map(([kind, key, x]) => this.unindex(kind, key, x)));
    return true;
  }

  private async unindex(kind: PushTopic, key: string, id: string): Promise<void> {
    const { sh, set, at } = this.index(kind, key);
    await Promise.all([sh.cmd.srem(set, id), sh.cmd.hdel(at, id)]).catch(() => undefined);
  }

  private async addIndex(kind: PushTopic, key: string, id: string): Promise<void> {
    const { sh, set } = this.index(kind, key);
    await this.guard(sh.name, Promise.all([sh.cmd.sadd(set, id), sh.cmd.pexpire(set, this.limits.ttlMs)]));
  }

  async setRooms(sub: PushSubscriptionKeys, list: string[], owner: string, now: number): Promise<boolean> {
    const id = endpointId(sub.endpoint);
    const value = JSON.stringify(list);
    if (!(await this.registry('rooms', id, owner, value, JSON.stringify(sub), now))) return false;
    await Promise.all(list.map((r) => this.addIndex('room', r, id)));
    return true;
  }

  async setDm(
    sub: PushSubscriptionKeys,
    handle: string | null,
    owner: string,
    now: number,
  ): Promise<boolean> {
    const id = endpointId(sub.endpoint);
    if (!(await this.registry('dm', id, owner, handle ?? '', JSON.stringify(sub), now))) return false;
    if (handle) await this.addIndex('dm', handle, id);
    return true;
  }

  async remove(endpoint: string, now: number): Promise<void> {
    await this.registry('del', endpointId(endpoint), '', '', '', now);
  }

  async due(kind: PushTopic, key: string, now: number, windowMs: number): Promise<PushSubscriptionKeys[]> {
    const { sh, set, at } = this.index(kind, key);
    const ids = (await this.guard(
      sh.name,
      this.script(sh.cmd, 'pushDue')(set, at, now, windowMs, Math.max(windowMs, 1)),
    )) as string[];
    if (ids.length === 0) return [];
    // The registry has the last word: an index entry it no longer backs is stale, and goes.
    const h = this.link.home;
    const entries = await this.guard(
      h.name,
      Promise.all(ids.map((id) => h.cmd.hmget(`${h.prefix}push:s:${id}`, 'sub', 'rooms', 'dm'))),
    );
    const out: PushSubscriptionKeys[] = [];
    entries.forEach(([sub, rs, dm], i) => {
      const follows = kind === 'room' ? rooms(rs ?? '[]').includes(key) : dm === key;
      if (sub && follows) {
        try {
          out.push(JSON.parse(sub) as PushSubscriptionKeys);
          return;
        } catch {
          // A malformed entry is treated as stale.
        }
      }
      void this.unindex(kind, key, ids[i]!);
    });
    return out;
  }

  async count(now: number): Promise<number> {
    const h = this.link.home;
    return h.cmd.zcount(`${h.prefix}push:subs`, now - this.limits.ttlMs, '+inf');
  }
}
