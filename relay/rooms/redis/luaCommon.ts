/**
 * Lua shared by every room script. Each script runs atomically inside Redis, so the sequence,
 * the buffer, the byte accounting and the signed-only latch can never disagree between nodes.
 *
 * Every script takes the same leading arguments (see COMMON_ARGS in scripts.ts):
 *   ARGV[1] key prefix, ARGV[2] event channel, ARGV[3] now (the caller's clock, never Redis's),
 *   ARGV[4] replay max age ms, ARGV[5] replay max messages, ARGV[6] per-message overhead bytes,
 *   ARGV[7] room cap, ARGV[8] how long a room's last seq outlives the room (ms).
 * Script-specific arguments start at ARGV[9].
 *
 * Keys are built inside the scripts, which a single Redis (or a primary with replicas) allows;
 * Redis Cluster, which needs declared keys in one slot, is not supported.
 *
 * Layout, with P the prefix and <id> a room id:
 *   P rooms            zset  room id -> lastActive
 *   P bytes            int   buffered bytes across all rooms (the byte fuse)
 *   P roombytes        zset  room id -> its buffered bytes (who yields first at the fuse)
 *   P r:<id>:meta      hash  createdAt, lastActive, signedOnly (0/1), bytes
 *   P r:<id>:seq       int   last seq issued; kept for a while after eviction (high-water mark)
 *   P r:<id>:buf       zset  seq -> message JSON (the replay buffer)
 *   P r:<id>:ttl       zset  seq -> expiry, for messages that carry ttl_ms
 *   P r:<id>:nonce     hash  nonce -> seq of each buffered message (a repeated post is answered, not stored)
 *   P r:<id>:hb        zset  heartbeat name -> lastSeen;  P r:<id>:hbk  hash name -> box_pub
 *   P r:<id>:pres:<node>  string  that node's subscribers (JSON), with a TTL; P r:<id>:presn set of nodes
 *   P r:<id>:busy:<node>  string  that node holds streams or waiters, with a TTL; P r:<id>:busyn set
 *   P c:<handle>       hash  room id -> claim cursor state;  P cl:<handle>  zset room id -> LRU tick
 */
export const LUA_COMMON = `
local P = ARGV[1]
local CHAN = ARGV[2]
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
local function fmt(n) return string.format('%.0f', n) end

local function dropEntries(id, entries)
  local total = 0
  for _, j in ipairs(entries) do
    local m = cjson.decode(j)
    total = total + #m.ciphertext + OVER
    redis.call('HDEL', rk(id, 'nonce'), m.nonce)
    if m.ttl_ms then redis.call('ZREM', rk(id, 'ttl'), fmt(m.seq)) end
  end
  if total > 0 then
    redis.call('HINCRBY', rk(id, 'meta'), 'bytes', -total)
    redis.call('DECRBY', BYTES, total)
    redis.call('ZINCRBY', ROOMBYTES, -total, id)
  end
end

-- Drop a room's oldest n messages; returns how many went.
local function dropOldest(id, n)
  local buf = rk(id, 'buf')
  local head = redis.call('ZRANGE', buf, 0, n - 1)
  if #head > 0 then
    dropEntries(id, head)
    redis.call('ZREMRANGEBYRANK', buf, 0, #head - 1)
  end
  return #head
end

-- The replay rules: older than MAXAGE, more than MAXMSG, or past their own ttl_ms.
local function prune(id, now)
  local buf = rk(id, 'buf')
  local cutoff = now - MAXAGE
  while true do
    local head = redis.call('ZRANGE', buf, 0, 49)
    local drop = {}
    local stop = false
    for _, j in ipairs(head) do
      if cjson.decode(j).ts <= cutoff then drop[#drop + 1] = j else stop = true break end
    end
    if #drop > 0 then
      dropEntries(id, drop)
      redis.call('ZREMRANGEBYRANK', buf, 0, #drop - 1)
    end
    if stop or #head < 50 then break end
  end
  local n = redis.call('ZCARD', buf)
  if n > MAXMSG then
    local old = redis.call('ZRANGE', buf, 0, n - MAXMSG - 1)
    dropEntries(id, old)
    redis.call('ZREMRANGEBYRANK', buf, 0, n - MAXMSG - 1)
  end
  local ttlk = rk(id, 'ttl')
  local expired = redis.call('ZRANGEBYSCORE', ttlk, '-inf', fmt(now))
  if #expired > 0 then
    for _, s in ipairs(expired) do
      local e = redis.call('ZRANGEBYSCORE', buf, s, s)
      if #e > 0 then
        dropEntries(id, e)
        redis.call('ZREMRANGEBYSCORE', buf, s, s)
      end
    end
    redis.call('ZREMRANGEBYSCORE', ttlk, '-inf', fmt(now))
  end
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
  local meta = rk(id, 'meta')
  local b = tonumber(redis.call('HGET', meta, 'bytes') or '0')
  if b ~= 0 then redis.call('DECRBY', BYTES, b) end
  delPerNode(id, 'presn', 'pres:')
  delPerNode(id, 'busyn', 'busy:')
  redis.call('DEL', meta, rk(id, 'buf'), rk(id, 'nonce'), rk(id, 'ttl'), rk(id, 'hb'), rk(id, 'hbk'))
  redis.call('ZREM', ROOMS, id)
  redis.call('ZREM', ROOMBYTES, id)
  redis.call('PEXPIRE', rk(id, 'seq'), HW)
  redis.call('PUBLISH', CHAN, 'e' .. id)
end

local function exists(id) return redis.call('EXISTS', rk(id, 'meta')) == 1 end

-- Create the room if needed; at the cap, the least recently active room no node is using goes.
local function ensure(id, now)
  if exists(id) then return true end
  if redis.call('ZCARD', ROOMS) >= ROOMSMAX then
    local victim = nil
    local off = 0
    while not victim do
      local ids = redis.call('ZRANGE', ROOMS, off, off + 99)
      if #ids == 0 then break end
      for _, v in ipairs(ids) do
        if not busy(v) then victim = v break end
      end
      off = off + 100
    end
    if not victim then return false end
    evict(victim)
  end
  redis.call('HSET', rk(id, 'meta'), 'createdAt', fmt(now), 'lastActive', fmt(now), 'signedOnly', '0', 'bytes', '0')
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
  redis.call('HSET', rk(id, 'meta'), 'lastActive', fmt(now))
  redis.call('ZADD', ROOMS, 'XX', fmt(now), id)
end

local function seqAt(buf, idx)
  local r = redis.call('ZRANGE', buf, idx, idx, 'WITHSCORES')
  return r[2] or '0'
end
`;
