/**
 * The cluster's blob store: chunks and accounting in Redis, each operation one Lua script so
 * every node sees the same quotas. Chunk keys also carry a Redis expiry at the blob's end of life,
 * a safety net should no node be left to sweep. Redis must run without persistence (SCALING.md).
 *
 * Keys, with P the prefix, B = "<room>/<blob>":
 *   P total  int  reserved bytes, all rooms      P ip   hash  address -> bytes
 *   P rb     hash room -> bytes                  P exp  zset  B -> expires_at
 *   P r:<room>  set of blob ids                  P m:B  hash  size chunks ip token exp received written
 *   P c:B:<i>   string  chunk i's ciphertext
 */
import type { Redis } from 'ioredis';
import type { BlobInfo } from '../../protocol/index.js';
import { mintBlobSecret, sameToken } from './ids.js';
import type { BlobLimits, BlobStore, CreateOutcome, CreateRequest, GetOutcome, PutOutcome } from './types.js';

const COMMON = `
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local function fmt(n) return string.format('%.0f', n) end
local function mk(room, blob) return P .. 'm:' .. room .. '/' .. blob end
local function ck(room, blob, i) return P .. 'c:' .. room .. '/' .. blob .. ':' .. i end
local function dec(h, field, by)
  if redis.call('HINCRBY', P .. h, field, -by) <= 0 then redis.call('HDEL', P .. h, field) end
end
local function free(room, blob)
  local m = redis.call('HMGET', mk(room, blob), 'size', 'chunks', 'ip')
  redis.call('ZREM', P .. 'exp', room .. '/' .. blob)
  redis.call('SREM', P .. 'r:' .. room, blob)
  if not m[1] then return end
  local size = tonumber(m[1])
  for i = 0, tonumber(m[2]) - 1 do redis.call('DEL', ck(room, blob, i)) end
  redis.call('DEL', mk(room, blob))
  redis.call('DECRBY', P .. 'total', size)
  dec('ip', m[3], size)
  dec('rb', room, size)
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

const SCRIPTS = {
  /** ARGV[3..]: room, blob, token, ip, size, chunks, exp, per-room count, room bytes, ip bytes, global bytes. */
  create: `
local room, blob, token, ip = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local size, chunks, exp = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
sweep(NOW, 100)
if redis.call('SCARD', P .. 'r:' .. room) >= tonumber(ARGV[10]) then return 'room_count' end
if tonumber(redis.call('HGET', P .. 'rb', room) or '0') + size > tonumber(ARGV[11]) then return 'room_quota' end
if tonumber(redis.call('HGET', P .. 'ip', ip) or '0') + size > tonumber(ARGV[12]) then return 'ip_quota' end
if tonumber(redis.call('GET', P .. 'total') or '0') + size > tonumber(ARGV[13]) then return 'global_fuse' end
redis.call('HSET', mk(room, blob), 'size', fmt(size), 'chunks', fmt(chunks), 'ip', ip, 'token', token, 'exp', fmt(exp), 'received', '0', 'written', '0')
redis.call('SADD', P .. 'r:' .. room, blob)
redis.call('ZADD', P .. 'exp', fmt(exp), room .. '/' .. blob)
redis.call('INCRBY', P .. 'total', size)
redis.call('HINCRBY', P .. 'ip', ip, size)
redis.call('HINCRBY', P .. 'rb', room, size)
return 'ok'
`,
  /** ARGV[3..]: room, blob, token, index, data. The token is compared here and again in Node. */
  put: `
local room, blob, index, data = ARGV[3], ARGV[4], tonumber(ARGV[6]), ARGV[7]
local m = live(room, blob)
if not m then return {'missing'} end
if index >= tonumber(m[2]) then return {'bad_index'} end
local key = ck(room, blob, index)
if redis.call('EXISTS', key) == 1 then return {'exists'} end
if tonumber(m[6]) + #data > tonumber(m[4]) then return {'over_declared'} end
redis.call('SET', key, data, 'PXAT', m[1])
redis.call('HINCRBY', mk(room, blob), 'received', 1)
redis.call('HINCRBY', mk(room, blob), 'written', #data)
return {'ok', m[3]}
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
  /** ARGV[3..]: room, blob. Returns the token so Node compares it in constant time first. */
  token: `
local m = live(ARGV[3], ARGV[4])
if not m then return nil end
return m[3]
`,
  /** ARGV[3..]: room, blob. */
  free: `
free(ARGV[3], ARGV[4])
return 1
`,
  /** ARGV[3]: room. */
  dropRoom: `
local room = ARGV[3]
for _, blob in ipairs(redis.call('SMEMBERS', P .. 'r:' .. room)) do free(room, blob) end
redis.call('DEL', P .. 'r:' .. room)
return 1
`,
  sweep: `
return sweep(NOW, 500)
`,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Arg = string | number | Buffer;
type ScriptFn = (...args: Arg[]) => Promise<unknown>;

export class RedisBlobs implements BlobStore {
  constructor(
    private readonly cmd: Redis,
    private readonly limits: BlobLimits,
    private readonly prefix = 'b2b:bl:',
  ) {
    for (const [name, lua] of Object.entries(SCRIPTS))
      cmd.defineCommand(`b2bbl_${name}`, { numberOfKeys: 0, lua: COMMON + lua });
  }

  private run(name: ScriptName, now: number, ...args: Arg[]): Promise<unknown> {
    const fn = (this.cmd as unknown as Record<string, ScriptFn>)[`b2bbl_${name}`]!;
    return fn.call(this.cmd, this.prefix, now, ...args);
  }

  /** The Buffer-returning variant ioredis defines beside every script. */
  private runBuffer(name: ScriptName, now: number, ...args: Arg[]): Promise<unknown> {
    const fn = (this.cmd as unknown as Record<string, ScriptFn>)[`b2bbl_${name}Buffer`]!;
    return fn.call(this.cmd, this.prefix, now, ...args);
  }

  async create(req: CreateRequest): Promise<CreateOutcome> {
    const blobId = mintBlobSecret();
    const token = mintBlobSecret();
    const l = this.limits;
    const r = (await this.run(
      'create',
      req.now,
      req.roomId,
      blobId,
      token,
      req.ip,
      req.size,
      req.chunks,
      req.expiresAt,
      l.perRoomMax,
      l.roomMaxBytes,
      l.ipMaxBytes,
      l.globalMaxBytes,
    )) as string;
    if (r === 'ok') return { ok: true, blobId, token, expiresAt: req.expiresAt };
    return { ok: false, reason: r as Exclude<CreateOutcome, { ok: true }>['reason'] };
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
    const stored = (await this.run('token', now, roomId, blobId)) as string | null;
    if (stored === null) return 'missing';
    if (!sameToken(token, stored)) return 'bad_token';
    const r = (await this.run('put', now, roomId, blobId, '', index, data)) as [string, string?];
    return r[0] as PutOutcome;
  }

  async get(roomId: string, blobId: string, index: number, now: number): Promise<GetOutcome> {
    const r = (await this.runBuffer('get', now, roomId, blobId, index)) as [Buffer, Buffer?];
    const tag = r[0].toString();
    if (tag === 'ok' && r[1]) return { ok: true, data: r[1] };
    return {
      ok: false,
      reason: tag === 'bad_index' ? 'bad_index' : tag === 'pending' ? 'pending' : 'missing',
    };
  }

  async info(roomId: string, blobId: string, now: number): Promise<BlobInfo | null> {
    const r = (await this.run('info', now, roomId, blobId)) as [string, string, string, string] | null;
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
    const stored = (await this.run('token', now, roomId, blobId)) as string | null;
    if (stored === null) return 'missing';
    if (!sameToken(token, stored)) return 'bad_token';
    await this.run('free', now, roomId, blobId);
    return 'ok';
  }

  async dropRoom(roomId: string): Promise<void> {
    await this.run('dropRoom', 0, roomId);
  }

  async sweep(now: number): Promise<void> {
    await this.run('sweep', now);
  }

  async totalBytes(): Promise<number> {
    return Number((await this.cmd.get(`${this.prefix}total`)) ?? 0);
  }

  async close(): Promise<void> {
    this.cmd.disconnect();
  }
}
