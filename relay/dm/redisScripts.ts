/**
 * DM inboxes as Lua scripts, sharing luaCommon.ts's arguments (only prefix, channel and now are
 * used). Keys, with P the prefix and <h> a handle:
 *   P dm:<h>      zset  seq -> envelope JSON
 *   P dmseq:<h>   int   last seq given out by this inbox
 *   P dmbytes     int   buffered DM bytes across all inboxes (the DM byte fuse)
 *   P dmoldest    zset  handle -> ts of its oldest envelope, so expired ones are found cheaply
 *   P dmboxbytes  zset  handle -> bytes in its inbox, so the largest inbox yields first at the fuse
 * The caps are the in-memory InboxStore's: per inbox 256 envelopes of which 32 unverified,
 * unverified ones evicted first, 7-day TTL.
 */
import { LUA_COMMON } from '../rooms/redis/luaCommon.js';

const DM_FNS = `
local OLDEST = P .. 'dmoldest'
local DMBYTES = P .. 'dmbytes'
local BOXBYTES = P .. 'dmboxbytes'
local function box(h) return P .. 'dm:' .. h end
local function cost(j) return #cjson.decode(j).ciphertext + OVER end

local function noteOldest(h)
  local first = redis.call('ZRANGE', box(h), 0, 0)[1]
  if first then redis.call('ZADD', OLDEST, fmt(cjson.decode(first).ts), h) else redis.call('ZREM', OLDEST, h) end
end

local function removeEntry(h, j)
  local c = cost(j)
  redis.call('ZREM', box(h), j)
  redis.call('DECRBY', DMBYTES, c)
  if tonumber(redis.call('ZINCRBY', BOXBYTES, -c, h)) <= 0 then redis.call('ZREM', BOXBYTES, h) end
end

-- Drop envelopes at or past the TTL, in every inbox that has any.
local function expire(now, ttl)
  local cutoff = now - ttl
  for _, h in ipairs(redis.call('ZRANGEBYSCORE', OLDEST, '-inf', fmt(cutoff), 'LIMIT', 0, 100)) do
    for _, j in ipairs(redis.call('ZRANGE', box(h), 0, -1)) do
      if cjson.decode(j).ts <= cutoff then removeEntry(h, j) else break end
    end
    noteOldest(h)
  end
end
`;

/** ARGV[9..]: handle, envelope JSON after its opening brace, bytes, min seq, byte cap, verified, anon cap, inbox cap, ttl ms. */
const DM_ADD = `${DM_FNS}
local h = ARGV[9]
local nb = tonumber(ARGV[11])
local minSeq = tonumber(ARGV[12])
local verified = ARGV[14] == '1'
local anonMax = tonumber(ARGV[15])
local inboxMax = tonumber(ARGV[16])
local ttl = tonumber(ARGV[17])
expire(NOW, ttl)
local function oldestIn(bk, unverifiedOnly)
  for _, j in ipairs(redis.call('ZRANGE', bk, 0, -1)) do
    if not unverifiedOnly or not cjson.decode(j).from_verified then return j end
  end
  return nil
end
-- At the fuse the largest inbox gives up its oldest envelopes, down to 90 % of the fuse: a few
-- senders cannot refuse every DM for the whole inbox TTL.
local cap = tonumber(ARGV[13])
local function total() return tonumber(redis.call('GET', DMBYTES) or '0') end
if nb > cap then return {0} end
if total() + nb > cap then
  local goal = math.floor(cap * 0.9) - nb
  while total() > goal do
    local top = redis.call('ZREVRANGE', BOXBYTES, 0, 0)[1]
    if not top then break end
    local j = redis.call('ZRANGE', box(top), 0, 0)[1]
    if j then
      removeEntry(top, j)
      noteOldest(top)
    else
      redis.call('ZREM', BOXBYTES, top)
    end
  end
  if total() + nb > cap then return {0} end
end
local b = box(h)
local function oldest(unverifiedOnly) return oldestIn(b, unverifiedOnly) end
if not verified then
  local anon = 0
  for _, j in ipairs(redis.call('ZRANGE', b, 0, -1)) do
    if not cjson.decode(j).from_verified then anon = anon + 1 end
  end
  while anon >= anonMax do
    local j = oldest(true)
    if not j then break end
    removeEntry(h, j)
    anon = anon - 1
  end
end
while redis.call('ZCARD', b) >= inboxMax do
  removeEntry(h, oldest(true) or oldest(false))
end
local seqk = P .. 'dmseq:' .. h
local seq = tonumber(redis.call('GET', seqk) or '0') + 1
if minSeq > seq then seq = minSeq end
redis.call('SET', seqk, fmt(seq))
local json = '{"seq":' .. fmt(seq) .. ',' .. ARGV[10]
redis.call('ZADD', b, fmt(seq), json)
redis.call('INCRBY', DMBYTES, nb)
redis.call('ZINCRBY', BOXBYTES, nb, h)
noteOldest(h)
redis.call('PUBLISH', CHAN, 'd' .. h .. '\\n' .. json)
return {1, json}
`;

/** ARGV[9..]: handle, after, limit, ttl ms. */
const DM_SINCE = `${DM_FNS}
expire(NOW, tonumber(ARGV[12]))
local limit = tonumber(ARGV[11])
local got = redis.call('ZRANGEBYSCORE', box(ARGV[9]), '(' .. ARGV[10], '+inf', 'LIMIT', 0, limit + 1)
local more = 0
if #got > limit then
  more = 1
  got[#got] = nil
end
return {more, got}
`;

/** ARGV[9..]: handle, envelope id. */
const DM_REMOVE = `${DM_FNS}
local h = ARGV[9]
local n = 0
for _, j in ipairs(redis.call('ZRANGE', box(h), 0, -1)) do
  if cjson.decode(j).id == ARGV[10] then
    removeEntry(h, j)
    n = n + 1
  end
end
noteOldest(h)
return n
`;

/** ARGV[9..]: handle. */
const DM_DROP = `${DM_FNS}
local h = ARGV[9]
for _, j in ipairs(redis.call('ZRANGE', box(h), 0, -1)) do removeEntry(h, j) end
redis.call('ZREM', OLDEST, h)
return 1
`;

const BODIES = { dmAdd: DM_ADD, dmSince: DM_SINCE, dmRemove: DM_REMOVE, dmDrop: DM_DROP } as const;
export type DmScriptName = keyof typeof BODIES;
export const DM_SCRIPTS: Record<DmScriptName, string> = Object.fromEntries(
  Object.entries(BODIES).map(([name, body]) => [name, `${LUA_COMMON}\n${body}`]),
) as Record<DmScriptName, string>;
