/**
 * The room operations as Lua scripts (see luaCommon.ts for the arguments and key layout). One
 * script per operation, so each is a single atomic step however many nodes call it at once.
 */
import { LUA_COMMON } from './luaCommon.js';

/**
 * ARGV[9..]: room, bytes, signed, lock, message JSON after its opening brace, ttl_ms, byte cap,
 * one room's byte share, expected last_seq (-1: none), nonce. At the byte cap the rooms holding the
 * most give up their oldest messages, down to 90 % of it, before a post is refused.
 */
const APPEND = `
local id = ARGV[9]
local nb = tonumber(ARGV[10])
local signed = ARGV[11] == '1'
local lock = ARGV[12] == '1'
local rest = ARGV[13]
local ttl = tonumber(ARGV[14])
local bytesMax = tonumber(ARGV[15])
local roomMax = tonumber(ARGV[16])
local expected = tonumber(ARGV[17] or '-1')
local nonce = ARGV[18]
-- A retry whose first attempt was stored is answered with that message, before any other check.
if exists(id) then
  local seen = redis.call('HGET', rk(id, 'nonce'), nonce)
  if seen then
    local hit = redis.call('ZRANGEBYSCORE', rk(id, 'buf'), seen, seen)
    if #hit > 0 then return {'repeated', hit[1], redis.call('HGET', rk(id, 'meta'), 'signedOnly') == '1' and '1' or '0'} end
    redis.call('HDEL', rk(id, 'nonce'), nonce)
  end
end
-- A conditional post to a missing room must not create it just to refuse.
if expected > 0 and not exists(id) then return {'moved_on', '0'} end
if not ensure(id, NOW) then return {'room_cap'} end
if nb > bytesMax then return {'byte_fuse'} end
local meta = rk(id, 'meta')
local so = redis.call('HGET', meta, 'signedOnly') == '1'
if not so and lock and not signed then return {'needs_sig'} end
if so and not signed then return {'locked'} end
if expected >= 0 then
  -- Checked and appended in one script: no other node's post can land in between.
  prune(id, NOW)
  local last = seqAt(rk(id, 'buf'), -1)
  if tonumber(last) ~= expected then return {'moved_on', fmt(tonumber(last))} end
end
-- Only a post that will be stored makes other rooms yield.
if tonumber(redis.call('GET', BYTES) or '0') + nb > bytesMax then
  local goal = math.floor(bytesMax * 0.9) - nb
  local function total() return tonumber(redis.call('GET', BYTES) or '0') end
  while total() > goal do
    -- The largest room gives up its oldest messages until it is no longer the largest.
    local top = redis.call('ZREVRANGE', ROOMBYTES, 0, 1, 'WITHSCORES')
    if #top == 0 or dropOldest(top[1], 1) == 0 then break end
    local second = tonumber(top[4] or '0')
    while total() > goal and tonumber(redis.call('ZSCORE', ROOMBYTES, top[1]) or '0') >= second do
      if dropOldest(top[1], 1) == 0 then break end
    end
  end
  if total() + nb > bytesMax then return {'byte_fuse'} end
end
local lockedNow = false
if not so and lock then
  so = true
  lockedNow = true
  redis.call('HSET', meta, 'signedOnly', '1')
end
-- A room over its own share yields its oldest messages to the new one.
while tonumber(redis.call('HGET', meta, 'bytes') or '0') + nb > roomMax do
  if dropOldest(id, 1) == 0 then break end
end
local seq = redis.call('INCR', rk(id, 'seq'))
local json = '{"seq":' .. fmt(seq) .. ',' .. rest
redis.call('ZADD', rk(id, 'buf'), fmt(seq), json)
redis.call('HSET', rk(id, 'nonce'), nonce, fmt(seq))
if ttl > 0 then redis.call('ZADD', rk(id, 'ttl'), fmt(NOW + ttl), fmt(seq)) end
redis.call('HINCRBY', meta, 'bytes', nb)
redis.call('INCRBY', BYTES, nb)
redis.call('ZINCRBY', ROOMBYTES, nb, id)
bump(id, NOW)
prune(id, NOW)
-- Published from inside the script: every node's subscriber sees one room's events in exactly
-- the order the script ran, which is seq order.
if lockedNow then redis.call('PUBLISH', CHAN, 'l' .. id) end
redis.call('PUBLISH', CHAN, 'm' .. id .. '\\n' .. json)
return {'ok', json, so and '1' or '0'}
`;

/** ARGV[9..]: room, after, limit (negative: all). */
const READ = `
local id = ARGV[9]
if not exists(id) then return {0} end
prune(id, NOW)
local buf = rk(id, 'buf')
local limit = tonumber(ARGV[11])
local msgs
if limit < 0 then
  msgs = redis.call('ZRANGEBYSCORE', buf, '(' .. ARGV[10], '+inf')
else
  msgs = redis.call('ZRANGEBYSCORE', buf, '(' .. ARGV[10], '+inf', 'LIMIT', 0, limit)
end
return {1, seqAt(buf, -1), seqAt(buf, 0), msgs}
`;

/** ARGV[9..]: room. */
const INFO = `
local id = ARGV[9]
if not exists(id) then return {0} end
prune(id, NOW)
local buf = rk(id, 'buf')
local m = redis.call('HMGET', rk(id, 'meta'), 'createdAt', 'lastActive', 'signedOnly')
return {1, m[1], m[2], m[3], redis.call('ZCARD', buf), seqAt(buf, -1), seqAt(buf, 0)}
`;

const ENSURE = `
return ensure(ARGV[9], NOW) and 1 or 0
`;

/**
 * This node's busy mark for the room: set (with a TTL) while it holds streams or waiters,
 * removed when it holds none. A dead node's marks expire on their own.
 */
const MARK_FN = `
local function mark(id, node, isBusy, ttl)
  if not exists(id) then return end
  local setk = rk(id, 'busyn')
  if isBusy then
    redis.call('SET', rk(id, 'busy:' .. node), '1', 'PX', ttl)
    redis.call('SADD', setk, node)
    redis.call('PEXPIRE', setk, ttl)
  else
    redis.call('DEL', rk(id, 'busy:' .. node))
    redis.call('SREM', setk, node)
  end
end
`;

/** ARGV[9..]: room, node, busy (0/1), mark ttl ms, bump lastActive (0/1). */
const TOUCH = `${MARK_FN}
local id = ARGV[9]
if ARGV[13] == '1' and exists(id) then bump(id, NOW) end
mark(id, ARGV[10], ARGV[11] == '1', tonumber(ARGV[12]))
return 1
`;

/** ARGV[9..]: room, name, box_pub ('' for none), heartbeats kept per room. */
const HEARTBEAT = `
local id = ARGV[9]
if not exists(id) then return 0 end
bump(id, NOW)
local hb = rk(id, 'hb')
local hbk = rk(id, 'hbk')
local name = ARGV[10]
redis.call('ZADD', hb, fmt(NOW), name)
if ARGV[11] ~= '' then redis.call('HSET', hbk, name, ARGV[11]) else redis.call('HDEL', hbk, name) end
local max = tonumber(ARGV[12])
local n = redis.call('ZCARD', hb)
if n > max then
  for _, old in ipairs(redis.call('ZRANGE', hb, 0, n - max - 1)) do
    redis.call('ZREM', hb, old)
    redis.call('HDEL', hbk, old)
  end
end
redis.call('PUBLISH', CHAN, 'p' .. id)
return 1
`;

/** ARGV[9..]: room, node, this node's entries as JSON ('' when it has no subscriber), ttl ms. */
const SET_PRESENCE = `
local id = ARGV[9]
local node = ARGV[10]
local key = rk(id, 'pres:' .. node)
local setk = rk(id, 'presn')
if ARGV[11] == '' then
  redis.call('DEL', key)
  redis.call('SREM', setk, node)
elseif exists(id) then
  local ttl = tonumber(ARGV[12])
  redis.call('SET', key, ARGV[11], 'PX', ttl)
  redis.call('SADD', setk, node)
  redis.call('PEXPIRE', setk, ttl)
end
redis.call('PUBLISH', CHAN, 'p' .. id)
return 1
`;

/** ARGV[9..]: room, this node (its own entries come from the caller, fresher). */
const PRESENCE = `
local id = ARGV[9]
local setk = rk(id, 'presn')
local nodes = {}
for _, n in ipairs(redis.call('SMEMBERS', setk)) do
  if n ~= ARGV[10] then
    local v = redis.call('GET', rk(id, 'pres:' .. n))
    if v then nodes[#nodes + 1] = n; nodes[#nodes + 1] = v else redis.call('SREM', setk, n) end
  end
end
local hb = redis.call('ZRANGE', rk(id, 'hb'), 0, -1, 'WITHSCORES')
local names = {}
for i = 1, #hb, 2 do names[#names + 1] = hb[i] end
local boxes = {}
if #names > 0 then boxes = redis.call('HMGET', rk(id, 'hbk'), unpack(names)) end
for i = 1, #boxes do if not boxes[i] then boxes[i] = '' end end
return {nodes, hb, boxes}
`;

/**
 * Claim state is one string per (handle, room): "cursor" or
 * "cursor|claimId|seq|claimedAt|leaseMs" while a claim is in flight.
 */
const CURSOR_FNS = `
local function loadState(raw)
  if not raw then return {cursor = 0} end
  local parts = {}
  for p in string.gmatch(raw, '[^|]+') do parts[#parts + 1] = p end
  local st = {cursor = tonumber(parts[1]) or 0}
  if parts[2] then
    st.claimId = parts[2]
    st.seq = tonumber(parts[3])
    st.claimedAt = tonumber(parts[4])
    st.lease = tonumber(parts[5])
  end
  return st
end
local function encodeState(st)
  if st.claimId then
    return fmt(st.cursor) .. '|' .. st.claimId .. '|' .. fmt(st.seq) .. '|' .. fmt(st.claimedAt) .. '|' .. fmt(st.lease)
  end
  return fmt(st.cursor)
end
`;

/** ARGV[9..]: room, handle, lease ms, new claim id, cursors per handle, cursor key ttl ms, excluded senders... */
const CLAIM = `${CURSOR_FNS}
local id = ARGV[9]
local ck = P .. 'c:' .. ARGV[10]
local lk = P .. 'cl:' .. ARGV[10]
local lease = tonumber(ARGV[11])
local claimId = ARGV[12]
local perHandle = tonumber(ARGV[13])
local keep = tonumber(ARGV[14])
local raw = redis.call('HGET', ck, id)
if not exists(id) then return {'missing', fmt(loadState(raw).cursor), '0'} end
prune(id, NOW)
if not raw and redis.call('ZCARD', lk) >= perHandle then
  local lru = redis.call('ZRANGE', lk, 0, 0)[1]
  if lru then
    redis.call('HDEL', ck, lru)
    redis.call('ZREM', lk, lru)
  end
end
redis.call('ZADD', lk, redis.call('INCR', P .. 'tick'), id)
redis.call('PEXPIRE', lk, keep)
local st = loadState(raw)
local buf = rk(id, 'buf')
local oldest = tonumber(seqAt(buf, 0))
if oldest > 0 and st.cursor < oldest - 1 then st.cursor = oldest - 1 end
local lastSeq = seqAt(buf, -1)
local function save()
  redis.call('HSET', ck, id, encodeState(st))
  redis.call('PEXPIRE', ck, keep)
end
if st.claimId then
  if NOW - st.claimedAt <= st.lease then
    local held = redis.call('ZRANGEBYSCORE', buf, fmt(st.seq), fmt(st.seq))
    if held[1] then
      save()
      return {'hit', fmt(st.cursor), lastSeq, st.claimId, held[1]}
    end
  end
  st.claimId = nil
end
local exclude = {}
for i = 15, #ARGV do exclude[ARGV[i]] = true end
local off = 0
while true do
  local batch = redis.call('ZRANGEBYSCORE', buf, '(' .. fmt(st.cursor), '+inf', 'LIMIT', off, 100)
  if #batch == 0 then break end
  for _, j in ipairs(batch) do
    local m = cjson.decode(j)
    if not exclude[m.sender] then
      st.claimId = claimId
      st.seq = m.seq
      st.claimedAt = NOW
      st.lease = lease
      save()
      return {'hit', fmt(st.cursor), lastSeq, claimId, j}
    end
  end
  off = off + #batch
end
save()
return {'empty', fmt(st.cursor), lastSeq}
`;

/** ARGV[9..]: room, handle, claim id, seq, seq valid (0/1). Returns {ok, advanced, cursor}. */
const ACK = `${CURSOR_FNS}
local id = ARGV[9]
local ck = P .. 'c:' .. ARGV[10]
local raw = redis.call('HGET', ck, id)
if not raw then return {1, 0, '0'} end
local st = loadState(raw)
local valid = ARGV[13] == '1'
local seq = tonumber(ARGV[12])
if valid and seq ~= 0 and seq <= st.cursor then return {1, 0, fmt(st.cursor)} end
if not valid or not st.claimId or NOW - st.claimedAt > st.lease or st.claimId ~= ARGV[11] or st.seq ~= seq then
  return {0, 0, fmt(st.cursor)}
end
st.cursor = seq
st.claimId = nil
redis.call('HSET', ck, id, encodeState(st))
return {1, 1, fmt(seq)}
`;

/**
 * ARGV[9..]: grace ms, heartbeat freshness ms, offset, batch size. Prunes a batch of rooms and
 * evicts the idle ones no node is using. Returns {rooms scanned, rooms evicted}.
 */
const SWEEP = `
local grace = tonumber(ARGV[9])
local fresh = tonumber(ARGV[10])
local ids = redis.call('ZRANGE', ROOMS, tonumber(ARGV[11]), tonumber(ARGV[11]) + tonumber(ARGV[12]) - 1, 'WITHSCORES')
local evicted = 0
for i = 1, #ids, 2 do
  local id = ids[i]
  prune(id, NOW)
  redis.call('ZREMRANGEBYSCORE', rk(id, 'hb'), '-inf', '(' .. fmt(NOW - fresh))
  if NOW - tonumber(ids[i + 1]) > grace and not busy(id) then
    evict(id)
    evicted = evicted + 1
  end
end
return {#ids / 2, evicted}
`;

const BODIES = {
  append: APPEND,
  read: READ,
  info: INFO,
  ensure: ENSURE,
  touch: TOUCH,
  heartbeat: HEARTBEAT,
  setPresence: SET_PRESENCE,
  presence: PRESENCE,
  claim: CLAIM,
  ack: ACK,
  sweep: SWEEP,
} as const;

export type ScriptName = keyof typeof BODIES;

export const SCRIPTS: Record<ScriptName, string> = Object.fromEntries(
  Object.entries(BODIES).map(([name, body]) => [name, `${LUA_COMMON}\n${body}`]),
) as Record<ScriptName, string>;
