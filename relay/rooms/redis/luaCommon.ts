/**
 * Lua shared by every room script. Each script runs atomically inside one Redis shard (all keys
 * of a room live on the shard its id hashes to, see shards.ts), so the sequence, the buffer,
 * the byte accounting and the signed-only latch can never disagree between nodes.
 *
 * Every script takes the same leading arguments (see common() in redisBackend.ts):
 *   ARGV[1] key prefix, ARGV[2] channel root, ARGV[3] now (the caller's clock, never Redis's),
 *   ARGV[4] replay max age ms, ARGV[5] replay max messages, ARGV[6] per-message overhead bytes,
 *   ARGV[7] room cap (of this shard's atomic check), ARGV[8] how long a room's last seq outlives
 *   the room (ms). Script-specific arguments start at ARGV[9].
 *
 * Keys are built inside the scripts from the prefix. Every script also declares one key under
 * that prefix (KEYS[1]), which is how a Redis Cluster client routes it: on a Redis Cluster the
 * prefix carries a hash tag, so all keys a script touches share that key's slot.
 *
 * Layout of one shard, with P the prefix and <id> a room id:
 *   P rooms            zset  room id -> lastActive
 *   P bytes            int   buffered bytes across this shard's rooms (the byte fuse)
 *   P roombytes        zset  room id -> its buffered bytes (its share, and who yields first at the fuse)
 *   P r:<id>:meta      hash  createdAt, signedOnly (0/1)
 *   P r:<id>:seq       int   last seq issued; kept for a while after eviction (high-water mark)
 *   P r:<id>:buf       zset  seq -> the message's JSON, stored once and never decoded here
 *   P r:<id>:ttl       zset  seq -> expiry, for messages that carry ttl_ms
 *   P r:<id>:nonce, nonce0  hash  nonce -> seq of recent posts, two generations of at most the replay cap (a repeated post is answered, not stored)
 *   P r:<id>:hb        zset  heartbeat name -> lastSeen;  P r:<id>:hbk  hash name -> box_pub
 *   P r:<id>:pres:<node>  string  that node's subscribers (JSON), with a TTL; P r:<id>:presn set of nodes
 *   P r:<id>:busy:<node>  string  that node holds streams or waiters, with a TTL; P r:<id>:busyn set
 *   P c:<handle>       hash  room id -> claim cursor state;  P cl:<handle>  zset room id -> LRU tick
 * Channels: <root>events (DM wake-ups, identities, rate limits) and <root>r:<id>, one per room,
 * which only nodes with clients in the room subscribe to.
 */
export const LUA_COMMON = `
local P = ARGV[1]
local ROOT = ARGV[2]
local CHAN = ROOT .. 'events'
local NOW = tonumber(ARGV[3])
local MAXAGE = tonumber(ARGV[4])
local MAXMSG = tonumber(ARGV[5])
local OVER = tonumber(ARGV[6])
local ROOMSMAX = tonumber(ARGV[7])
local HW = tonumber(ARGV[8])
local ROOMS = P .. 'rooms'
local BYTES = P .. 'bytes'
local ROOMBYTES = P .. 'roombytes'

local function rk(id, s) return P .. 'r:' .. id .. ':' .. s end
local function rch(id) return ROOT .. 'r:' .. id end
-- A hash-tagged root is a Redis Cluster slot (shards.ts): its room channels are sharded ones.
local RPUB = string.find(ROOT, '{', 1, true) and 'SPUBLISH' or 'PUBLISH'
local function fmt(n) return string.format('%.0f', n) end

-- What a stored message counts against the fuse: its ciphertext plus the fixed overhead. The
-- ciphertext is strict base64 and every other string field is JSON-escaped, so the first
-- '"ciphertext":"' is the field itself and the next quote ends it: no JSON decoding.
local function cost(j)
  local a = string.find(j, '"ciphertext":"', 1, true)
  if not a then return OVER end
  local b = string.find(j, '"', a + 14, true)
  return (b or a + 14) - a - 14 + OVER
end

local function tsOf(j) return tonumber(string.match(j, '"ts":(%d+)')) or 0 end

-- The replay rules: older than MAXAGE, more than MAXMSG, or past their own ttl_ms. A post
-- checks the head of the buffer, its size and the ttl index: a few commands, no scan.
local function prune(id, now)
  local buf = rk(id, 'buf')
  local ttlk = rk(id, 'ttl')
  local freed = 0
  local cutoff = now - MAXAGE
  while true do
    local head = redis.call('ZRANGE', buf, 0, 0, 'WITHSCORES')
    if not head[1] or tsOf(head[1]) > cutoff then break end
    freed = freed + cost(head[1])
    redis.call('ZREMRANGEBYRANK', buf, 0, 0)
    redis.call('ZREM', ttlk, head[2])
  end
  local n = redis.call('ZCARD', buf)
  if n > MAXMSG then
    local old = redis.call('ZRANGE', buf, 0, n - MAXMSG - 1, 'WITHSCORES')
    for i = 1, #old, 2 do
      freed = freed + cost(old[i])
      redis.call('ZREM', ttlk, old[i + 1])
    end
    redis.call('ZREMRANGEBYRANK', buf, 0, n - MAXMSG - 1)
  end
  local expired = redis.call('ZRANGEBYSCORE', ttlk, '-inf', fmt(now))
  if #expired > 0 then
    for _, s in ipairs(expired) do
      local e = redis.call('ZRANGEBYSCORE', buf, s, s)
      if e[1] then
        freed = freed + cost(e[1])
        redis.call('ZREMRANGEBYSCORE', buf, s, s)
      end
    end
    redis.call('ZREMRANGEBYSCORE', ttlk, '-inf', fmt(now))
  end
  if freed > 0 then
    redis.call('DECRBY', BYTES, freed)
    redis.call('ZINCRBY', ROOMBYTES, -freed, id)
  end
end

-- Drop a room's oldest n messages; returns how many went.
local function dropOldest(id, n)
  local old = redis.call('ZPOPMIN', rk(id, 'buf'), n)
  local freed = 0
  for i = 1, #old, 2 do freed = freed + cost(old[i]) end
  if freed > 0 then
    redis.call('DECRBY', BYTES, freed)
    redis.call('ZINCRBY', ROOMBYTES, -freed, id)
  end
  return #old / 2
end

-- Some node holds a stream or a parked request in the room (its mark has not expired).
local function busy(id)
  local setk = rk(id, 'busyn')
  local any = false
  for _, n in ipairs(redis.call('SMEMBERS', setk)) do
    if redis.call('EXISTS', rk(id, 'busy:' .. n)) == 1 then any = true else redis.call('SREM', setk, n) end
  end
  return any
end

local function delPerNode(id, setName, keyName)
  local setk = rk(id, setName)
  for _, n in ipairs(redis.call('SMEMBERS', setk)) do redis.call('DEL', rk(id, keyName .. n)) end
  redis.call('DEL', setk)
end

local function evict(id)
  local b = tonumber(redis.call('ZSCORE', ROOMBYTES, id) or '0')
  if b ~= 0 then redis.call('DECRBY', BYTES, b) end
  redis.call('ZREM', ROOMBYTES, id)
  delPerNode(id, 'presn', 'pres:')
  delPerNode(id, 'busyn', 'busy:')
  redis.call('DEL', rk(id, 'meta'), rk(id, 'buf'), rk(id, 'nonce'), rk(id, 'nonce0'), rk(id, 'ttl'), rk(id, 'hb'), rk(id, 'hbk'))
  redis.call('ZREM', ROOMS, id)
  redis.call('PEXPIRE', rk(id, 'seq'), HW)
  redis.call(RPUB, rch(id), 'e')
end

local function exists(id) return redis.call('EXISTS', rk(id, 'meta')) == 1 end

-- The least recently active room of this shard that no node is using, or nil.
local function victim()
  local off = 0
  while true do
    local ids = redis.call('ZRANGE', ROOMS, off, off + 99)
    if #ids == 0 then return nil end
    for _, v in ipairs(ids) do
      if not busy(v) then return v end
    end
    off = off + 100
  end
end

-- Create the room if needed; at the cap, the least recently active room no node is using goes.
local function ensure(id, now)
  if exists(id) then return true end
  if redis.call('ZCARD', ROOMS) >= ROOMSMAX then
    local v = victim()
    if not v then return false end
    evict(v)
  end
  redis.call('HSET', rk(id, 'meta'), 'createdAt', fmt(now), 'signedOnly', '0')
  -- Starting at the wall clock, and above the last seq of an earlier incarnation of the room,
  -- keeps after=<old seq> safe across eviction even if the clock stepped back.
  local last = tonumber(redis.call('GET', rk(id, 'seq')) or '0')
  local start = now - 1
  if last > start then start = last end
  redis.call('SET', rk(id, 'seq'), fmt(start))
  redis.call('ZADD', ROOMS, fmt(now), id)
  redis.call('ZADD', ROOMBYTES, 0, id)
  return true
end

local function bump(id, now)
  redis.call('ZADD', ROOMS, 'XX', fmt(now), id)
end

local function seqAt(buf, idx)
  local r = redis.call('ZRANGE', buf, idx, idx, 'WITHSCORES')
  return r[2] or '0'
end
`;
