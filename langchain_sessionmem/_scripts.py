"""Server-side Lua scripts. Each touches the keys of one user only, so of one cluster slot.

The first key of every script is a key of that user (its hash tag routes the call on a cluster);
the message keys a script builds from a prefix carry the same hash tag, so they are in the same slot.
Scripts refuse to act when the raw ids stored in Redis differ from the caller's (a digest collision).

Session meta hash fields: uid, sid, first (lowest live sequence), seq (last assigned sequence),
created, last_active (ms, server clock), epoch (changes when a session is created anew).
"""

from __future__ import annotations

_PRELUDE = r"""
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), t[1] .. '.' .. t[2]
end
local function check_owner(stored, uid, what)
  if stored and stored ~= uid then
    return redis.error_reply('SESSIONMEM_ID_COLLISION ' .. what)
  end
end
-- Skip message keys at the head of the range that expired through the per-message age limit.
local function live_first(mp, first, last)
  while first <= last and redis.call('EXISTS', mp .. first) == 0 do first = first + 1 end
  return first
end
-- Run `cmd` on the keys mp..lo .. mp..hi, 1000 at a time (Lua unpack limit); returns replies.
local function each_chunk(cmd, mp, lo, hi, suffix, fn)
  local s = lo
  while s <= hi do
    local keys = {}
    local top = math.min(hi, s + 999)
    for j = s, top do keys[#keys + 1] = mp .. j end
    if suffix then keys[#keys + 1] = suffix end
    local reply = redis.call(cmd, unpack(keys))
    if fn then fn(reply) end
    s = top + 1
  end
end
"""

# KEYS: meta, sessions zset, user hash
# ARGV: user_id, session_id, message prefix, session digest, ttl_ms, max_age_ms, vector prefix,
#       user digest, model fingerprint, n, doc * n, then (type, vector blob or "") * n.
# Returns {first assigned seq, last assigned seq, server time ms}.
APPEND = (
    "#!lua\n"
    + _PRELUDE
    + r"""
local meta, zset, ukey = KEYS[1], KEYS[2], KEYS[3]
local uid, sid, mp, sh = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ttl, maxage = tonumber(ARGV[5]), tonumber(ARGV[6])
local vp, uh, fp, n = ARGV[7], ARGV[8], ARGV[9], tonumber(ARGV[10])
local now, epoch = now_ms()
local owner = redis.call('HGET', ukey, 'uid')
local err = check_owner(owner, uid, 'user')
if err then return err end
local m = redis.call('HMGET', meta, 'uid', 'sid', 'first', 'seq')
local first, seq = 1, 0
if m[1] then
  if m[1] ~= uid or m[2] ~= sid then return redis.error_reply('SESSIONMEM_ID_COLLISION session') end
  first, seq = live_first(mp, tonumber(m[3]), tonumber(m[4])), tonumber(m[4])
end

-- All keys of a session share one deadline D, so the session expires as a whole. It slides on
-- each write, in steps of at least ttl/10, so the O(n) refresh runs at most ten times per ttl.
local D = redis.call('PEXPIRETIME', meta)
local refresh = ttl > 0 and (D < 0 or now + ttl - D >= math.max(1, math.floor(ttl / 10)))
if refresh then D = now + ttl end

-- 1. The documents first: on a server without RedisJSON this fails before anything changed.
local lo = seq + 1
local dl = D
if maxage > 0 and (dl < 0 or now + maxage < dl) then dl = now + maxage end
for i = 1, n do
  seq = seq + 1
  local k = mp .. seq
  redis.call('JSON.SET', k, '$', '{"seq":' .. seq .. ',"ts":' .. now .. ',' .. string.sub(ARGV[10 + i], 2))
  if dl > 0 then redis.call('PEXPIREAT', k, dl) end
  local blob = ARGV[10 + n + 2 * i]
  if blob ~= '' then
    local vk = vp .. seq
    redis.call('HSET', vk, 'v', blob, 'uh', uh, 'sh', sh, 'type', ARGV[9 + n + 2 * i], 'm', fp, 'seq', seq, 'ts', now)
    if dl > 0 then redis.call('PEXPIREAT', vk, dl) end
  end
end

-- 2. The session and the user.
if not m[1] then redis.call('HSET', meta, 'uid', uid, 'sid', sid, 'created', now, 'epoch', epoch) end
if not owner then redis.call('HSET', ukey, 'uid', uid) end
redis.call('HSET', meta, 'first', first, 'seq', seq, 'last_active', now)

-- 3. Slide the deadline of the older keys of the session.
if refresh then
  for s = first, lo - 1 do
    local k = mp .. s
    local kdl = D
    if maxage > 0 then
      local ts = redis.call('JSON.GET', k, '.ts')
      kdl = ts and math.min(D, tonumber(ts) + maxage)
    end
    if kdl then
      redis.call('PEXPIREAT', k, kdl)
      redis.call('PEXPIREAT', vp .. s, kdl)
    end
  end
  redis.call('PEXPIREAT', meta, D)
end
redis.call('ZADD', zset, now, sh)

-- The user's own keys live as long as its longest-lived session.
if D < 0 then
  redis.call('HSET', ukey, 'maxdl', -1)
  redis.call('PERSIST', zset)
  redis.call('PERSIST', ukey)
else
  local maxdl = tonumber(redis.call('HGET', ukey, 'maxdl') or '0')
  if maxdl >= 0 and D >= maxdl then
    redis.call('HSET', ukey, 'maxdl', D)
    redis.call('PEXPIREAT', zset, D)
    redis.call('PEXPIREAT', ukey, D)
  end
end
return {lo, seq, now}
"""
)

# KEYS: meta. ARGV: user_id, session_id, message prefix, k (-1: all), after_seq (0: from the start)
# Returns {} when the session does not exist, else {epoch, first, last, doc...} in sequence order.
READ = (
    "#!lua flags=no-writes\n"
    + _PRELUDE
    + r"""
local m = redis.call('HMGET', KEYS[1], 'uid', 'sid', 'first', 'seq', 'epoch')
if not m[1] then return {} end
if m[1] ~= ARGV[1] or m[2] ~= ARGV[2] then return redis.error_reply('SESSIONMEM_ID_COLLISION session') end
local mp, k, after = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local last = tonumber(m[4])
local first = live_first(mp, tonumber(m[3]), last)
local lo = math.max(first, after + 1)
if k >= 0 then lo = math.max(lo, last - k + 1) end
local out = {m[5], first, last}
each_chunk('JSON.MGET', mp, lo, last, '.', function(vals)
  for _, v in ipairs(vals) do
    if v then out[#out + 1] = v end
  end
end)
return out
"""
)

# KEYS: meta, sessions zset.
# ARGV: user_id, session_id, message prefix, session digest, drop_meta (0/1), vector prefix
# Deletes the session's messages; with drop_meta also the session itself. Returns messages deleted.
CLEAR = (
    "#!lua\n"
    + _PRELUDE
    + r"""
local meta, zset = KEYS[1], KEYS[2]
local mp, sh, drop = ARGV[3], ARGV[4], ARGV[5] == '1'
local m = redis.call('HMGET', meta, 'uid', 'sid', 'first', 'seq')
if not m[1] then
  if drop then redis.call('ZREM', zset, sh) end
  return 0
end
if m[1] ~= ARGV[1] or m[2] ~= ARGV[2] then return redis.error_reply('SESSIONMEM_ID_COLLISION session') end
local first, last = tonumber(m[3]), tonumber(m[4])
local n = 0
each_chunk('UNLINK', mp, first, last, nil, function(r) n = n + r end)
each_chunk('UNLINK', ARGV[6], first, last, nil, nil)
local now = now_ms()
if drop then
  redis.call('UNLINK', meta)
  redis.call('ZREM', zset, sh)
else
  redis.call('HSET', meta, 'first', last + 1, 'last_active', now)
  redis.call('ZADD', zset, now, sh)
end
return n
"""
)

# KEYS: sessions zset, user hash. ARGV: user_id, meta prefix, message prefix, vector prefix of the user.
# Deletes every key of the user. Returns {sessions deleted, messages deleted}.
DELETE_USER = (
    "#!lua\n"
    + _PRELUDE
    + r"""
local zset, ukey = KEYS[1], KEYS[2]
local err = check_owner(redis.call('HGET', ukey, 'uid'), ARGV[1], 'user')
if err then return err end
local shs = redis.call('ZRANGE', zset, 0, -1)
local sessions, n = 0, 0
for _, sh in ipairs(shs) do
  local meta = ARGV[2] .. sh
  local m = redis.call('HMGET', meta, 'uid', 'first', 'seq')
  if m[1] then
    if m[1] ~= ARGV[1] then return redis.error_reply('SESSIONMEM_ID_COLLISION session') end
    each_chunk('UNLINK', ARGV[3] .. sh .. ':', tonumber(m[2]), tonumber(m[3]), nil, function(r) n = n + r end)
    each_chunk('UNLINK', ARGV[4] .. sh .. ':', tonumber(m[2]), tonumber(m[3]), nil, nil)
    redis.call('UNLINK', meta)
    sessions = sessions + 1
  end
end
redis.call('UNLINK', zset, ukey)
return {sessions, n}
"""
)

# KEYS: sessions zset, user hash. ARGV: user_id, meta prefix, message prefix, vector prefix of the user.
# Returns, newest activity first, {session_id, created, last_active, message_count} per live
# session, flattened; drops entries of sessions that expired.
LIST_SESSIONS = (
    "#!lua\n"
    + _PRELUDE
    + r"""
local zset, ukey = KEYS[1], KEYS[2]
local err = check_owner(redis.call('HGET', ukey, 'uid'), ARGV[1], 'user')
if err then return err end
local out = {}
for _, sh in ipairs(redis.call('ZREVRANGE', zset, 0, -1)) do
  local m = redis.call('HMGET', ARGV[2] .. sh, 'uid', 'sid', 'first', 'seq', 'created', 'last_active')
  if not m[1] then
    redis.call('ZREM', zset, sh)
  elseif m[1] == ARGV[1] then
    local last = tonumber(m[4])
    local first = live_first(ARGV[3] .. sh .. ':', tonumber(m[3]), last)
    out[#out + 1] = m[2]
    out[#out + 1] = m[5]
    out[#out + 1] = m[6]
    out[#out + 1] = last - first + 1
  end
end
return out
"""
)

# KEYS: meta of the session. ARGV: message prefix, vector prefix, user digest, session digest,
#       model fingerprint, then (seq, type, vector blob) triples.
# Stores vectors made by reindex() for messages that still exist, with their message's expiry,
# and marks the messages as embedded with this model. Returns how many were stored.
PUT_VECTORS = (
    "#!lua\n"
    + _PRELUDE
    + r"""
local mp, vp, uh, sh, fp = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local stored = 0
for i = 6, #ARGV, 3 do
  local seq = ARGV[i]
  local k = mp .. seq
  if redis.call('EXISTS', k) == 1 then
    if ARGV[i + 2] ~= '' then  -- '' marks a message with no text to embed (a tool-call turn)
      local vk = vp .. seq
      local ts = redis.call('JSON.GET', k, '.ts')
      redis.call('HSET', vk, 'v', ARGV[i + 2], 'uh', uh, 'sh', sh, 'type', ARGV[i + 1], 'm', fp, 'seq', seq, 'ts', ts)
      local dl = redis.call('PEXPIRETIME', k)
      if dl > 0 then redis.call('PEXPIREAT', vk, dl) else redis.call('PERSIST', vk) end
    end
    redis.call('JSON.SET', k, '$.emb', '"' .. fp .. '"')
    stored = stored + 1
  end
end
return stored
"""
)

ALL = {
    "append": APPEND,
    "read": READ,
    "clear": CLEAR,
    "delete_user": DELETE_USER,
    "list_sessions": LIST_SESSIONS,
    "put_vectors": PUT_VECTORS,
}
