/**
 * The cluster's blob store. A room's chunks and per-room accounting sit on the room's own shard
 * (redisShards.ts), each operation one Lua script there; the global fuse and per-address quotas
 * are a ledger on the first shard. A blob is admitted by its room's shard first, then by the
 * ledger (undone on the room's shard if the ledger refuses). Both sides expire on their own at
 * the blob's end of life, so a node that dies between two steps leaks nothing past that; chunk
 * keys also carry a Redis expiry. Redis must run without persistence (SCALING.md).
 *
 * Keys on the room's shard, with P its blob prefix and B = "<room>/<blob>":
 *   P rb     hash room -> bytes                  P exp  zset  B -> expires_at
 *   P r:<room>  set of blob ids                  P m:B  hash  size chunks token exp received written
 *   P c:B:<i>   string  chunk i's ciphertext
 * The ledger on the first shard:
 *   P L:total  int  reserved bytes, all rooms    P L:ip  hash  hashed address -> bytes
 *   P L:exp    zset B -> expires_at              P L:m   hash  B -> "<size> <hashed address>"
 */
import { createHash } from 'node:crypto';
import type { BlobInfo } from '../../protocol/index.js';
import { mintBlobSecret, sameToken } from './ids.js';
import { onShard, type BlobShard, type BlobShards } from './redisShards.js';
import type { BlobLimits, BlobStore, CreateOutcome, CreateRequest, GetOutcome, PutOutcome } from './types.js';

const COMMON = `
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local function fmt(n) return string.format('%.0f', n) end
local function dec(h, field, by)
  if redis.call('HINCRBY', P .. h, field, -by) <= 0 then redis.call('HDEL', P .. h, field) end
end
`;

const ROOM_COMMON = `
local function mk(room, blob) return P .. 'm:' .. room .. '/' .. blob end
local function ck(room, blob, i) return P .. 'c:' .. room .. '/' .. blob .. ':' .. i end
local function free(room, blob)
  local m = redis.call('HMGET', mk(room, blob), 'size', 'chunks')
  redis.call('ZREM', P .. 'exp', room .. '/' .. blob)
  redis.call('SREM', P .. 'r:' .. room, blob)
  if not m[1] then return false end
  local size = tonumber(m[1])
  for i = 0, tonumber(m[2]) - 1 do redis.call('DEL', ck(room, blob, i)) end
  redis.call('DEL', mk(room, blob))
  dec('rb', room, size)
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
  local m = redis.call('HMGET', mk(room, blob), 'exp', 'chunks', 'token', 'size', 'received', 'written')
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
  local size = tonumber(string.sub(v, 1, s - 1))
  redis.call('DECRBY', P .. 'L:total', size)
  dec('L:ip', string.sub(v, s + 1), size)
end
local function lsweep(now, max)
  local due = redis.call('ZRANGEBYSCORE', P .. 'L:exp', '-inf', fmt(now), 'LIMIT', 0, max)
  for _, b in ipairs(due) do lfree(b) end
  return #due
end
`;

/** Scripts on a room's shard. */
const ROOM_SCRIPTS = {
  /** ARGV[3..]: room, blob, token, size, chunks, exp, per-room count, room bytes. */
  create: `
local room, blob, token = ARGV[3], ARGV[4], ARGV[5]
local size, chunks, exp = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
sweep(NOW, 100)
if redis.call('SCARD', P .. 'r:' .. room) >= tonumber(ARGV[9]) then return 'room_count' end
if tonumber(redis.call('HGET', P .. 'rb', room) or '0') + size > tonumber(ARGV[10]) then return 'room_quota' end
redis.call('HSET', mk(room, blob), 'size', fmt(size), 'chunks', fmt(chunks), 'token', token, 'exp', fmt(exp), 'received', '0', 'written', '0')
redis.call('SADD', P .. 'r:' .. room, blob)
redis.call('ZADD', P .. 'exp', fmt(exp), room .. '/' .. blob)
redis.call('HINCRBY', P .. 'rb', room, size)
return 'ok'
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
  /** ARGV[3..]: room, blob. Returns the token so Node compares it in constant time. */
  token: `
local m = live(ARGV[3], ARGV[4])
if not m then return nil end
return m[3]
`,
  /** ARGV[3..]: room, blob. 1 when it was there. */
  free: `
if free(ARGV[3], ARGV[4]) then return 1 end
return 0
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
  /** ARGV[3..]: B, address, size, exp, address bytes, global bytes. */
  reserve: `
local b, ip, size, exp = ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
lsweep(NOW, 100)
if tonumber(redis.call('HGET', P .. 'L:ip', ip) or '0') + size > tonumber(ARGV[7]) then return 'ip_quota' end
if tonumber(redis.call('GET', P .. 'L:total') or '0') + size > tonumber(ARGV[8]) then return 'global_fuse' end
redis.call('HSET', P .. 'L:m', b, fmt(size) .. ' ' .. ip)
redis.call('ZADD', P .. 'L:exp', exp, b)
redis.call('INCRBY', P .. 'L:total', size)
redis.call('HINCRBY', P .. 'L:ip', ip, size)
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

  async create(req: CreateRequest): Promise<CreateOutcome> {
    const blobId = mintBlobSecret();
    const token = mintBlobSecret();
    const l = this.limits;
    const { roomId, now } = req;
    const r = (await this.room(
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
    )) as string;
    if (r !== 'ok') return { ok: false, reason: r as Refusal };
    let held: string;
    try {
      held = (await this.ledger(
        'reserve',
        now,
        `${roomId}/${blobId}`,
        addressKey(req.ip),
        req.size,
        req.expiresAt,
        l.ipMaxBytes,
        l.globalMaxBytes,
      )) as string;
    } catch (e) {
      await this.room(roomId, 'free', now, blobId).catch(() => undefined);
      throw e;
    }
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
    const stored = (await this.room(roomId, 'token', now, blobId)) as string | null;
    if (stored === null) return 'missing';
    if (!sameToken(token, stored)) return 'bad_token';
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
    token: string,
    now: number,
  ): Promise<'ok' | 'missing' | 'bad_token'> {
    const stored = (await this.room(roomId, 'token', now, blobId)) as string | null;
    if (stored === null) return 'missing';
    if (!sameToken(token, stored)) return 'bad_token';
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
