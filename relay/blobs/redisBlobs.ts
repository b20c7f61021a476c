/**
 * The cluster's blob store. A room's chunks and per-room accounting sit on the room's own shard
 * (redisShards.ts), each operation one Lua script there; the global fuse and per-address quotas
 * are a ledger on the first shard. A blob is admitted by its room's shard first, then by the
 * ledger (undone on the room's shard if the ledger refuses). Both sides expire on their own at
 * the blob's end of life, so a node that dies between two steps leaks nothing past that; chunk
 * keys also carry a Redis expiry. Redis must run without persistence (SCALING.md).
 *
 * The rules are the single node's (memoryBlobs.ts): each blob counts at least MIN_CHARGE; at a
 * full room, and at the fuse, the address holding the most yields its oldest blobs, found in
 * O(log n) through a sorted set of holders and one of each holder's blobs by creation order.
 * Expired blobs are swept on a create only when it would be refused (and by the janitor).
 *
 * Keys on the room's shard, with P its blob prefix, B = "<room>/<blob>" and A a hashed address:
 *   P rb     hash room -> charged bytes          P exp  zset  B -> expires_at
 *   P r:<room>  set of blob ids                  P m:B  hash  size charge chunks token dh exp
 *   P c:B:<i>   string  chunk i's ciphertext                    addr received written
 *   P ra:<room> zset A -> charged bytes          P rn:<room>  zset A -> blobs
 *   P ro:<room>:<A>  zset blob -> creation order P seq  int   creation order
 * The ledger on the first shard:
 *   P L:total  int  charged bytes, all rooms     P L:iz  zset  A -> charged bytes
 *   P L:exp    zset B -> expires_at              P L:m   hash  B -> "<charge> <A>"
 *   P L:a:<A>  zset B -> creation order          P L:seq int   creation order
 */
import { createHash } from 'node:crypto';
import type { BlobInfo } from '../../protocol/index.js';
import { deleteAllowed, mintBlobSecret, sameToken } from './ids.js';
import { onShard, type BlobShard, type BlobShards } from './redisShards.js';
import {
  chargeOf,
  type BlobLimits,
  type BlobStore,
  type CreateOutcome,
  type CreateRequest,
  type GetOutcome,
  type PutOutcome,
} from './types.js';

const COMMON = `
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local function fmt(n) return string.format('%.0f', n) end
local function dec(h, field, by)
  if redis.call('HINCRBY', P .. h, field, -by) <= 0 then redis.call('HDEL', P .. h, field) end
end
local function zdec(z, member, by)
  if tonumber(redis.call('ZINCRBY', P .. z, -by, member)) <= 0 then redis.call('ZREM', P .. z, member) end
end
`;

const ROOM_COMMON = `
local function mk(room, blob) return P .. 'm:' .. room .. '/' .. blob end
local function ck(room, blob, i) return P .. 'c:' .. room .. '/' .. blob .. ':' .. i end
local function free(room, blob)
  local m = redis.call('HMGET', mk(room, blob), 'size', 'chunks', 'charge', 'addr')
  redis.call('ZREM', P .. 'exp', room .. '/' .. blob)
  redis.call('SREM', P .. 'r:' .. room, blob)
  if not m[1] then return false end
  local charge = tonumber(m[3] or m[1])
  for i = 0, tonumber(m[2]) - 1 do redis.call('DEL', ck(room, blob, i)) end
  redis.call('DEL', mk(room, blob))
  dec('rb', room, charge)
  if m[4] then
    zdec('ra:' .. room, m[4], charge)
    zdec('rn:' .. room, m[4], 1)
    redis.call('ZREM', P .. 'ro:' .. room .. ':' .. m[4], blob)
  end
  return true
end
local function sweep(now, max)
  local due = redis.call('ZRANGEBYSCORE', P .. 'exp', '-inf', fmt(now), 'LIMIT', 0, max)
  for _, k in ipairs(due) do
    local s = string.find(k, '/', 1, true)
    free(string.sub(k, 1, s - 1), string.sub(k, s + 1))
  end
  return #due
end
-- The blob's meta when it exists and has not expired (an expired one is freed on the way).
local function live(room, blob)
  local m = redis.call('HMGET', mk(room, blob), 'exp', 'chunks', 'token', 'size', 'received', 'written', 'dh')
  if not m[1] then return nil end
  if tonumber(m[1]) <= NOW then free(room, blob) return nil end
  return m
end
`;

const LEDGER_COMMON = `
local function lfree(b)
  local v = redis.call('HGET', P .. 'L:m', b)
  redis.call('ZREM', P .. 'L:exp', b)
  if not v then return end
  redis.call('HDEL', P .. 'L:m', b)
  local s = string.find(v, ' ', 1, true)
  local charge = tonumber(string.sub(v, 1, s - 1))
  local addr = string.sub(v, s + 1)
  redis.call('DECRBY', P .. 'L:total', charge)
  zdec('L:iz', addr, charge)
  redis.call('ZREM', P .. 'L:a:' .. addr, b)
end
local function lsweep(now, max)
  local due = redis.call('ZRANGEBYSCORE', P .. 'L:exp', '-inf', fmt(now), 'LIMIT', 0, max)
  for _, b in ipairs(due) do lfree(b) end
  return #due
end
local function held(addr) return tonumber(redis.call('ZSCORE', P .. 'L:iz', addr) or '0') end
`;

/** Scripts on a room's shard. */
const ROOM_SCRIPTS = {
  /**
   * ARGV[3..]: room, blob, token, size, chunks, exp, per-room count, room bytes, address, charge,
   * delete hash or '', '1' when the room's largest holder may yield. Answers the outcome, then
   * the ids of the blobs that yielded (for the ledger).
   */
  create: `
local room, blob, token = ARGV[3], ARGV[4], ARGV[5]
local size, chunks, exp = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local maxCount, maxBytes = tonumber(ARGV[9]), tonumber(ARGV[10])
local addr, charge, dh, mayYield = ARGV[11], tonumber(ARGV[12]), ARGV[13], ARGV[14] == '1'
local function full()
  if redis.call('SCARD', P .. 'r:' .. room) >= maxCount then return 'room_count' end
  if tonumber(redis.call('HGET', P .. 'rb', room) or '0') + charge > maxBytes then return 'room_quota' end
  return nil
end
local why = full()
if why then
  sweep(NOW, 100)
  why = full()
end
local out = {'ok'}
if why and mayYield then
  local mine = {
    room_quota = tonumber(redis.call('ZSCORE', P .. 'ra:' .. room, addr) or '0') + charge,
    room_count = tonumber(redis.call('ZSCORE', P .. 'rn:' .. room, addr) or '0') + 1,
  }
  while why do
    local z = P .. (why == 'room_count' and 'rn:' or 'ra:') .. room
    local top = redis.call('ZREVRANGE', z, 0, 0, 'WITHSCORES')
    if not top[1] or top[1] == addr or tonumber(top[2]) <= mine[why] then break end
    local old = redis.call('ZRANGE', P .. 'ro:' .. room .. ':' .. top[1], 0, 0)
    if not old[1] then break end
    free(room, old[1])
    out[#out + 1] = old[1]
    why = full()
  end
end
if why then
  out[1] = why
  return out
end
local seq = redis.call('INCR', P .. 'seq')
redis.call('HSET', mk(room, blob), 'size', fmt(size), 'charge', fmt(charge), 'chunks', fmt(chunks), 'token', token, 'dh', dh, 'exp', fmt(exp), 'addr', addr, 'received', '0', 'written', '0')
redis.call('SADD', P .. 'r:' .. room, blob)
redis.call('ZADD', P .. 'exp', fmt(exp), room .. '/' .. blob)
redis.call('HINCRBY', P .. 'rb', room, charge)
redis.call('ZINCRBY', P .. 'ra:' .. room, charge, addr)
redis.call('ZINCRBY', P .. 'rn:' .. room, 1, addr)
redis.call('ZADD', P .. 'ro:' .. room .. ':' .. addr, seq, blob)
return out
`,
  /** ARGV[3..]: room, blob, index, data. The token was compared in Node first. */
  put: `
local room, blob, index, data = ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
local m = live(room, blob)
if not m then return 'missing' end
if index >= tonumber(m[2]) then return 'bad_index' end
local key = ck(room, blob, index)
if redis.call('EXISTS', key) == 1 then return 'exists' end
if tonumber(m[6]) + #data > tonumber(m[4]) then return 'over_declared' end
redis.call('SET', key, data, 'PXAT', m[1])
redis.call('HINCRBY', mk(room, blob), 'received', 1)
redis.call('HINCRBY', mk(room, blob), 'written', #data)
return 'ok'
`,
  /** ARGV[3..]: room, blob, index. */
  get: `
local room, blob, index = ARGV[3], ARGV[4], tonumber(ARGV[5])
local m = live(room, blob)
if not m then return {'missing'} end
if index >= tonumber(m[2]) then return {'bad_index'} end
local data = redis.call('GET', ck(room, blob, index))
if not data then return {'pending'} end
return {'ok', data}
`,
  /** ARGV[3..]: room, blob. */
  info: `
local m = live(ARGV[3], ARGV[4])
if not m then return nil end
return {m[1], m[2], m[4], m[5]}
`,
  /** ARGV[3..]: room, blob. The token and delete hash, so Node compares them in constant time. */
  token: `
local m = live(ARGV[3], ARGV[4])
if not m then return nil end
return {m[3], m[7] or ''}
`,
  /** ARGV[3..]: room, then blob ids. How many were there. */
  free: `
local n = 0
for i = 4, #ARGV do
  if free(ARGV[3], ARGV[i]) then n = n + 1 end
end
return n
`,
  /** ARGV[3]: room. The ids freed, for the ledger. */
  dropRoom: `
local room = ARGV[3]
local gone = {}
for _, blob in ipairs(redis.call('SMEMBERS', P .. 'r:' .. room)) do
  if free(room, blob) then gone[#gone + 1] = blob end
end
redis.call('DEL', P .. 'r:' .. room)
return gone
`,
  sweep: `
return sweep(NOW, 500)
`,
} as const;

/** Scripts on the first shard: the cluster-wide ledger. */
const LEDGER_SCRIPTS = {
  /**
   * ARGV[3..]: B, address, charge, exp, address bytes, global bytes, then the B of blobs that
   * yielded in their room (released first). Answers the outcome, then the B of every blob that
   * yielded at the fuse (for their rooms' shards).
   */
  reserve: `
local b, ip, charge, exp = ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
local ipMax, gMax = tonumber(ARGV[7]), tonumber(ARGV[8])
for i = 9, #ARGV do lfree(ARGV[i]) end
local function over() return tonumber(redis.call('GET', P .. 'L:total') or '0') + charge > gMax end
if held(ip) + charge > ipMax or over() then lsweep(NOW, 100) end
if held(ip) + charge > ipMax then return {'ip_quota'} end
local out = {'ok'}
local mine = held(ip) + charge
while over() do
  local top = redis.call('ZREVRANGE', P .. 'L:iz', 0, 0, 'WITHSCORES')
  if not top[1] or top[1] == ip or tonumber(top[2]) <= mine then
    out[1] = 'global_fuse'
    return out
  end
  local old = redis.call('ZRANGE', P .. 'L:a:' .. top[1], 0, 0)
  if not old[1] then
    out[1] = 'global_fuse'
    return out
  end
  lfree(old[1])
  out[#out + 1] = old[1]
end
redis.call('HSET', P .. 'L:m', b, fmt(charge) .. ' ' .. ip)
redis.call('ZADD', P .. 'L:exp', exp, b)
redis.call('INCRBY', P .. 'L:total', charge)
redis.call('ZINCRBY', P .. 'L:iz', charge, ip)
redis.call('ZADD', P .. 'L:a:' .. ip, redis.call('INCR', P .. 'L:seq'), b)
return out
`,
  /** ARGV[3..]: address, charge, address bytes. Whether the address may take that much more. */
  ipRoom: `
local ip, charge, ipMax = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
if held(ip) + charge > ipMax then lsweep(NOW, 100) end
if held(ip) + charge > ipMax then return 'ip_quota' end
return 'ok'
`,
  /** ARGV[3..]: the B of every blob freed early. */
  release: `
for i = 3, #ARGV do lfree(ARGV[i]) end
return 1
`,
  lsweep: `
return lsweep(NOW, 500)
`,
} as const;

type RoomScript = keyof typeof ROOM_SCRIPTS;
type LedgerScript = keyof typeof LEDGER_SCRIPTS;
type Arg = string | number | Buffer;
type ScriptFn = (...args: Arg[]) => Promise<unknown>;
type Refusal = Exclude<CreateOutcome, { ok: true }>['reason'];

export class RedisBlobs implements BlobStore {
  constructor(
    private readonly shards: BlobShards,
    private readonly limits: BlobLimits,
  ) {
    const define = (sh: BlobShard, name: string, lua: string) => {
      if (!(name in sh.cmd)) sh.cmd.defineCommand(name, { numberOfKeys: 1, lua });
    };
    for (const sh of shards.all) {
      for (const [name, lua] of Object.entries(ROOM_SCRIPTS))
        define(sh, `b2bbl_${name}`, COMMON + ROOM_COMMON + lua);
      for (const [name, lua] of Object.entries(LEDGER_SCRIPTS))
        define(sh, `b2bbl_${name}`, COMMON + LEDGER_COMMON + lua);
    }
  }

  /**
   * Run a script on a shard. Its one declared key is in the shard's slot, so a Redis Cluster
   * client sends it to the primary that holds the room; `Buffer` asks for binary replies.
   */
  private call(sh: BlobShard, name: RoomScript | LedgerScript, now: number, args: Arg[], binary = false) {
    const fn = (sh.cmd as unknown as Record<string, ScriptFn>)[`b2bbl_${name}${binary ? 'Buffer' : ''}`]!;
    return onShard(sh, () => fn.call(sh.cmd, `${sh.prefix}exp`, sh.prefix, now, ...args));
  }

  private room(roomId: string, name: RoomScript, now: number, ...args: Arg[]): Promise<unknown> {
    return this.call(this.shards.of(roomId), name, now, [roomId, ...args]);
  }

  private ledger(name: LedgerScript, now: number, ...args: Arg[]): Promise<unknown> {
    return this.call(this.shards.home, name, now, args);
  }

  private release(roomId: string, blobIds: string[], now: number): Promise<unknown> {
    if (blobIds.length === 0) return Promise.resolve();
    return this.ledger('release', now, ...blobIds.map((b) => `${roomId}/${b}`));
  }

  /** Free blobs that yielded at the fuse on their rooms' shards ("<room>/<blob>" each). */
  private async freeYielded(keys: string[], now: number): Promise<void> {
    const byRoom = new Map<string, string[]>();
    for (const k of keys) {
      const s = k.indexOf('/');
      const room = k.slice(0, s);
      byRoom.set(room, [...(byRoom.get(room) ?? []), k.slice(s + 1)]);
    }
    await Promise.all([...byRoom].map(([room, ids]) => this.room(room, 'free', now, ...ids)));
  }

  async create(req: CreateRequest): Promise<CreateOutcome> {
    const blobId = mintBlobSecret();
    const token = mintBlobSecret();
    const l = this.limits;
    const { roomId, now } = req;
    const addr = addressKey(req.ip);
    const charge = chargeOf(req.size);
    const inRoom = async (mayYield: boolean) =>
      (await this.room(
        roomId,
        'create',
        now,
        blobId,
        token,
        req.size,
        req.chunks,
        req.expiresAt,
        l.perRoomMax,
        l.roomMaxBytes,
        addr,
        charge,
        req.deleteHash ?? '',
        mayYield ? '1' : '0',
      )) as [string, ...string[]];
    let [r, ...yielded] = await inRoom(false);
    if (r !== 'ok') {
      // Others yield in the room only for a request within the address's own quota.
      if ((await this.ledger('ipRoom', now, addr, charge, l.ipMaxBytes)) !== 'ok')
        return { ok: false, reason: 'ip_quota' };
      [r, ...yielded] = await inRoom(true);
    }
    if (r !== 'ok') {
      await this.release(roomId, yielded, now);
      return { ok: false, reason: r as Refusal };
    }
    let held: string;
    let fused: string[];
    try {
      [held, ...fused] = (await this.ledger(
        'reserve',
        now,
        `${roomId}/${blobId}`,
        addr,
        charge,
        req.expiresAt,
        l.ipMaxBytes,
        l.globalMaxBytes,
        ...yielded.map((b) => `${roomId}/${b}`),
      )) as [string, ...string[]];
    } catch (e) {
      await this.room(roomId, 'free', now, blobId).catch(() => undefined);
      throw e;
    }
    await this.freeYielded(fused, now);
    if (held !== 'ok') {
      await this.room(roomId, 'free', now, blobId);
      return { ok: false, reason: held as Refusal };
    }
    return { ok: true, blobId, token, expiresAt: req.expiresAt };
  }

  async put(
    roomId: string,
    blobId: string,
    token: string,
    index: number,
    data: Buffer,
    now: number,
  ): Promise<PutOutcome> {
    // The token is checked before anything is written: a script cannot compare in constant time.
    const stored = (await this.room(roomId, 'token', now, blobId)) as [string, string] | null;
    if (stored === null) return 'missing';
    if (!sameToken(token, stored[0])) return 'bad_token';
    return (await this.room(roomId, 'put', now, blobId, index, data)) as PutOutcome;
  }

  async get(roomId: string, blobId: string, index: number, now: number): Promise<GetOutcome> {
    const sh = this.shards.of(roomId);
    const r = (await this.call(sh, 'get', now, [roomId, blobId, index], true)) as [Buffer, Buffer?];
    const tag = r[0].toString();
    if (tag === 'ok' && r[1]) return { ok: true, data: r[1] };
    return {
      ok: false,
      reason: tag === 'bad_index' ? 'bad_index' : tag === 'pending' ? 'pending' : 'missing',
    };
  }

  async info(roomId: string, blobId: string, now: number): Promise<BlobInfo | null> {
    const r = (await this.room(roomId, 'info', now, blobId)) as [string, string, string, string] | null;
    if (!r) return null;
    const [exp, chunks, size, received] = r.map(Number) as [number, number, number, number];
    return { blob_id: blobId, size, chunks, received, complete: received === chunks, expires_at: exp };
  }

  async remove(
    roomId: string,
    blobId: string,
    secret: string,
    now: number,
  ): Promise<'ok' | 'missing' | 'bad_token'> {
    const stored = (await this.room(roomId, 'token', now, blobId)) as [string, string] | null;
    if (stored === null) return 'missing';
    if (!deleteAllowed(secret, stored[0], stored[1] || undefined)) return 'bad_token';
    if ((await this.room(roomId, 'free', now, blobId)) === 1) await this.release(roomId, [blobId], now);
    return 'ok';
  }

  async dropRoom(roomId: string): Promise<void> {
    const gone = (await this.room(roomId, 'dropRoom', 0)) as string[];
    await this.release(roomId, gone, 0);
  }

  async sweep(now: number): Promise<void> {
    // Each shard on its own: one that is down is swept when it is back.
    await Promise.allSettled([
      ...this.shards.all.map((sh) => this.call(sh, 'sweep', now, [])),
      this.ledger('lsweep', now),
    ]);
  }

  async totalBytes(): Promise<number> {
    const h = this.shards.home;
    return Number((await onShard(h, () => h.cmd.get(`${h.prefix}L:total`))) ?? 0);
  }

  async close(): Promise<void> {
    this.shards.close();
  }
}

/** The per-address quota counts under a hash: client addresses are not written to Redis. */
function addressKey(ip: string): string {
  return createHash('sha256').update(`blob|${ip}`).digest('base64url').slice(0, 22);
}
