/**
 * The room operations as Lua scripts (see luaCommon.ts for the arguments and key layout). One
 * script per operation, so each is a single atomic step however many nodes call it at once.
 */
import { LUA_COMMON } from './luaCommon.js';

/**
 * ARGV[9..]: room, bytes, signed, lock, message JSON after its opening brace, ttl_ms, byte cap,
 * one room's byte share, expected last_seq (-1: none), nonce. The hot path, so it stands alone without
 * luaCommon.ts (whose dozen functions cost more to set up than the commands below cost to run):
 * it never creates a room (the caller runs ensure and retries on 'missing'), stores and
 * publishes the JSON exactly as it came, and does the full age and ttl_ms pruning only on every
 * PRUNE_EVERY-th seq. Reads, claims and the janitor always prune first, so an expired message is
 * never served; until then it only counts against the fuse. At the byte cap the rooms holding
 * the most give up their oldest messages, down to 90 % of it, before a post is refused; a room
 * over its own share gives up its oldest.
 */
const PRUNE_EVERY = 32;
const APPEND = `
local P = ARGV[1]
local id = ARGV[9]
local base = P .. 'r:' .. id .. ':'
local meta = base .. 'meta'
local buf = base .. 'buf'
local expected = tonumber(ARGV[17])
local so = redis.call('HGET', meta, 'signedOnly')
if not so then
  -- A conditional post to a missing room must not create it just to refuse.
  if expected > 0 then return {'moved_on', '0'} end
  return {'missing'}
end
local nb = tonumber(ARGV[10])
local bytesMax = tonumber(ARGV[15])
local OVER = tonumber(ARGV[6])
local BYTES = P .. 'bytes'
local ROOMBYTES = P .. 'roombytes'
if nb > bytesMax then return {'byte_fuse'} end
local signed = ARGV[11] == '1'
local lock = ARGV[12] == '1'
-- A retry whose first attempt is still buffered is answered with that message, before any other
-- check (its own post may have locked the room or moved it on). Two generations of nonce -> seq
-- hashes, each at most the replay cap, keep the memory bounded without a cleanup on every drop.
-- Only the same sealed body is a retry; another body under a used nonce is a new post.
local function sealedOf(j)
  local a = string.find(j, '"ciphertext":"', 1, true)
  if not a then return nil end
  local b = string.find(j, '"', a + 14, true)
  return string.sub(j, a + 14, (b or a + 14) - 1)
end
local nonce = ARGV[18]
local seen = redis.call('HGET', base .. 'nonce', nonce) or redis.call('HGET', base .. 'nonce0', nonce)
if seen then
  local hit = redis.call('ZRANGEBYSCORE', buf, seen, seen)
  if hit[1] and sealedOf(hit[1]) == sealedOf(ARGV[13]) then return {'repeated', hit[1], so} end
end
if so == '0' and lock and not signed then return {'needs_sig'} end
if so == '1' and not signed then return {'locked'} end
local function cost(j)
  local a = string.find(j, '"ciphertext":"', 1, true)
  if not a then return OVER end
  local b = string.find(j, '"', a + 14, true)
  return (b or a + 14) - a - 14 + OVER
end
local function dropOldest(room, n)
  local old = redis.call('ZPOPMIN', P .. 'r:' .. room .. ':buf', n)
  local freed = 0
  for i = 1, #old, 2 do freed = freed + cost(old[i]) end
  if freed > 0 then
    redis.call('DECRBY', BYTES, freed)
    redis.call('ZINCRBY', ROOMBYTES, -freed, room)
  end
  return #old / 2
end
local now = tonumber(ARGV[3])
local function prune()
  -- The age and ttl_ms rules, as prune() in luaCommon.ts does them.
  local cutoff = now - tonumber(ARGV[4])
  local ttlk = base .. 'ttl'
  local freed = 0
  while true do
    local head = redis.call('ZRANGE', buf, 0, 0)
    if not head[1] or tonumber(string.match(head[1], '"ts":(%d+)') or '0') > cutoff then break end
    freed = freed + cost(head[1])
    redis.call('ZREMRANGEBYRANK', buf, 0, 0)
  end
  local nowS = string.format('%.0f', now)
  for _, e in ipairs(redis.call('ZRANGEBYSCORE', ttlk, '-inf', nowS)) do
    local m = redis.call('ZRANGEBYSCORE', buf, e, e)
    if m[1] then
      freed = freed + cost(m[1])
      redis.call('ZREMRANGEBYSCORE', buf, e, e)
    end
  end
  redis.call('ZREMRANGEBYSCORE', ttlk, '-inf', nowS)
  if freed > 0 then
    redis.call('DECRBY', BYTES, freed)
    redis.call('ZINCRBY', ROOMBYTES, -freed, id)
  end
end
if expected >= 0 then
  -- Checked and appended in one script: no other node's post can land in between.
  prune()
  local last = redis.call('ZRANGE', buf, -1, -1, 'WITHSCORES')[2] or '0'
  if tonumber(last) ~= expected then return {'moved_on', last} end
end
-- Counted first (its answer is the new total), taken back if over: one command when not over.
-- Only a post that will be stored makes other rooms yield.
if redis.call('INCRBY', BYTES, nb) > bytesMax then
  redis.call('DECRBY', BYTES, nb)
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
  redis.call('INCRBY', BYTES, nb)
end
local lockedNow = false
if so == '0' and lock then
  so = '1'
  lockedNow = true
  redis.call('HSET', meta, 'signedOnly', '1')
end
-- A room over its own share yields its oldest messages to the new one (counted already, not
-- yet in the buffer, so it is not among them).
local roomMax = tonumber(ARGV[16])
local mine = tonumber(redis.call('ZINCRBY', ROOMBYTES, nb, id))
while mine > roomMax do
  local old = redis.call('ZPOPMIN', buf, 1)
  if not old[1] then break end
  local c = cost(old[1])
  redis.call('DECRBY', BYTES, c)
  mine = tonumber(redis.call('ZINCRBY', ROOMBYTES, -c, id))
end
local seq = redis.call('INCR', base .. 'seq')
local s = string.format('%.0f', seq)
local json = '{"seq":' .. s .. ',' .. ARGV[13]
redis.call('ZADD', buf, s, json)
redis.call('HSET', base .. 'nonce', nonce, s)
if redis.call('HLEN', base .. 'nonce') >= tonumber(ARGV[5]) then redis.call('RENAME', base .. 'nonce', base .. 'nonce0') end
local ttl = tonumber(ARGV[14])
if ttl > 0 then redis.call('ZADD', base .. 'ttl', string.format('%.0f', now + ttl), s) end
redis.call('ZADD', P .. 'rooms', 'XX', ARGV[3], id)
if seq % ${PRUNE_EVERY} == 0 then prune() end
-- The replay cap: one message in, one out once the room is full. A trimmed message's ttl entry
-- stays until its own expiry sweeps it; it then matches nothing.
local over = redis.call('ZCARD', buf) - tonumber(ARGV[5])
if over > 0 then dropOldest(id, over) end
-- Published from inside the script: a room's subscribers see its events in exactly the order
-- the script ran, which is seq order. A hash-tagged root is a Redis Cluster slot, whose room
-- channels are sharded ones.
local ch = ARGV[2] .. 'r:' .. id
local pub = string.find(ARGV[2], '{', 1, true) and 'SPUBLISH' or 'PUBLISH'
if lockedNow then redis.call(pub, ch, 'l') end
redis.call(pub, ch, 'm' .. json)
return {'ok', s, so}
`;

/** ARGV[9..]: room, after, limit (negative: all), byte budget (negative: none; the first message always goes). */
const READ = `
local id = ARGV[9]
if not exists(id) then return {0} end
prune(id, NOW)
local buf = rk(id, 'buf')
local limit = tonumber(ARGV[11])
local budget = tonumber(ARGV[12] or '-1')
local from = '(' .. ARGV[10]
local msgs
if budget >= 0 then
  -- A few at a time, as many as the budget left is likely to hold, so that large messages past
  -- the budget are not copied out.
  msgs = {}
  local bytes, offset, full, largest = 0, 0, false, 0
  while not full do
    local n = 8
    if largest > 0 then n = math.max(1, math.min(64, math.floor((budget - bytes) / largest))) end
    if limit >= 0 then n = math.min(n, limit - #msgs) end
    if n <= 0 then break end
    local part = redis.call('ZRANGEBYSCORE', buf, from, '+inf', 'LIMIT', offset, n)
    for _, j in ipairs(part) do
      bytes = bytes + #j
      if #msgs > 0 and bytes > budget then full = true break end
      msgs[#msgs + 1] = j
      if #j > largest then largest = #j end
    end
    if #part < n then break end
    offset = offset + n
  end
elseif limit < 0 then
  msgs = redis.call('ZRANGEBYSCORE', buf, from, '+inf')
else
  msgs = redis.call('ZRANGEBYSCORE', buf, from, '+inf', 'LIMIT', 0, limit)
end
return {1, seqAt(buf, -1), seqAt(buf, 0), msgs}
`;

/** ARGV[9..]: room. */
const INFO = `
local id = ARGV[9]
if not exists(id) then return {0} end
prune(id, NOW)
local buf = rk(id, 'buf')
local m = redis.call('HMGET', rk(id, 'meta'), 'createdAt', 'signedOnly')
return {1, m[1], redis.call('ZSCORE', ROOMS, id), m[2], redis.call('ZCARD', buf), seqAt(buf, -1), seqAt(buf, 0)}
`;

const ENSURE = `
return ensure(ARGV[9], NOW) and 1 or 0
`;

/** This shard's least recently active room no node is using, with its lastActive; {} if none. */
const VICTIM = `
local v = victim()
if not v then return {} end
return {v, redis.call('ZSCORE', ROOMS, v)}
`;

/** ARGV[9..]: room. Evict it if it still exists and no node is using it. */
const EVICT = `
local id = ARGV[9]
if not exists(id) or busy(id) then return 0 end
evict(id)
return 1
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
redis.call(RPUB, rch(id), 'p')
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
redis.call(RPUB, rch(id), 'p')
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
local evicted = {}
for i = 1, #ids, 2 do
  local id = ids[i]
  prune(id, NOW)
  redis.call('ZREMRANGEBYSCORE', rk(id, 'hb'), '-inf', '(' .. fmt(NOW - fresh))
  if NOW - tonumber(ids[i + 1]) > grace and not busy(id) then
    evict(id)
    evicted[#evicted + 1] = id
  end
end
-- The evicted ids go back to the sweeping node: no node may be subscribed to a room nobody is in.
return {#ids / 2, evicted}
`;

const BODIES = {
  append: APPEND,
  read: READ,
  info: INFO,
  ensure: ENSURE,
  victim: VICTIM,
  evict: EVICT,
  touch: TOUCH,
  heartbeat: HEARTBEAT,
  setPresence: SET_PRESENCE,
  presence: PRESENCE,
  claim: CLAIM,
  ack: ACK,
  sweep: SWEEP,
} as const;

export type ScriptName = keyof typeof BODIES;

/** Standalone scripts, which take the common arguments but not the common functions. */
const STANDALONE: ReadonlySet<ScriptName> = new Set(['append']);

export const SCRIPTS: Record<ScriptName, string> = Object.fromEntries(
  Object.entries(BODIES).map(([name, body]) => [
    name,
    STANDALONE.has(name as ScriptName) ? body : `${LUA_COMMON}\n${body}`,
  ]),
) as Record<ScriptName, string>;
