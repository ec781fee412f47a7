-- Shared functions, prepended to every script (see __init__.py).
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
local function each_chunk(cmd, mp, lo, hi, fn)
  local s = lo
  while s <= hi do
    local keys = {}
    local top = math.min(hi, s + 999)
    for j = s, top do keys[#keys + 1] = mp .. j end
    local reply = redis.call(cmd, unpack(keys))
    if fn then fn(reply) end
    s = top + 1
  end
end
local function field(key, path) return redis.call('JSON.GET', key, path) end
-- A message's token counts: c0, the session's running total before it, and tok, its own; nil when
-- the message is gone. Both are in its member x, "c0 tok" or "c0 tok eth" (one member instead of
-- three keeps a document within the 8 members RedisJSON stores without a larger table); documents
-- stored by version 0.1.0 hold them as the members c0 and tok.
local function counts(key)
  local x = redis.call('JSON.GET', key, '$.x')
  if not x then return nil end
  local c0, tok = string.match(x, '^%["(%d+) (%d+)')
  if c0 then return tonumber(c0), tonumber(tok) end
  return tonumber(field(key, '.c0')), tonumber(field(key, '.tok'))
end
-- Tokens of the live messages of a session: O(1) thanks to the running total.
local function live_tokens(mp, first, last, ctok)
  if first > last then return 0 end
  return tonumber(ctok or 0) - (counts(mp .. first) or 0)
end
-- All keys of a session share one deadline D, so the session expires as a whole. It slides on
-- each write, in steps of at least ttl/10, so the O(n) refresh runs at most ten times per ttl.
local function deadline(meta, now, ttl)
  local D = redis.call('PEXPIRETIME', meta)
  local refresh = ttl > 0 and (D < 0 or now + ttl - D >= math.max(1, math.floor(ttl / 10)))
  if refresh then D = now + ttl end
  return D, refresh
end
-- The user's own keys live as long as its longest-lived session; the user hash stays while it
-- holds settings (default instructions). `stored`: the user hash's maxdl when the caller has read
-- it already (false: absent), nil: read it here. Once maxdl is -1 the zset and the user hash are
-- persistent (nothing gives them a deadline while it is -1), so there is nothing left to do.
local function extend_user(zset, ukey, D, stored)
  if stored == nil then stored = redis.call('HGET', ukey, 'maxdl') end
  if D < 0 then
    if stored ~= '-1' then
      redis.call('HSET', ukey, 'maxdl', -1)
      redis.call('PERSIST', zset)
      redis.call('PERSIST', ukey)
    end
  else
    local maxdl = tonumber(stored or '0')
    if maxdl >= 0 and D >= maxdl then
      redis.call('HSET', ukey, 'maxdl', D)
      redis.call('PEXPIREAT', zset, D)
      if redis.call('HEXISTS', ukey, 'instr') == 0 then redis.call('PEXPIREAT', ukey, D) end
    end
  end
end
-- Create the session meta (and the user) if absent; returns an error reply on a collision.
local function ensure_session(meta, zset, ukey, uid, sid, sh, ttl)
  local now, epoch = now_ms()
  local err = check_owner(redis.call('HGET', ukey, 'uid'), uid, 'user')
  if err then return err end
  local m = redis.call('HMGET', meta, 'uid', 'sid')
  if m[1] then
    if m[1] ~= uid or m[2] ~= sid then return redis.error_reply('SESSIONMEM_ID_COLLISION session') end
    return nil
  end
  local D, refresh = deadline(meta, now, ttl)
  redis.call('HSET', meta, 'uid', uid, 'sid', sid, 'first', 1, 'seq', 0, 'ctok', 0, 'created', now,
             'last_active', now, 'epoch', epoch)
  redis.call('HSET', ukey, 'uid', uid)
  if refresh then redis.call('PEXPIREAT', meta, D) end
  redis.call('ZADD', zset, now, sh)
  extend_user(zset, ukey, D)
end
-- One session as listed: {sid, created, last_active, messages, tokens, title, meta, instr}, or nil.
local function session_row(meta, mp, uid)
  local m = redis.call('HMGET', meta, 'uid', 'sid', 'first', 'seq', 'created', 'last_active', 'ctok',
                       'title', 'meta', 'instr')
  if not m[1] or m[1] ~= uid then return nil end
  local last = tonumber(m[4])
  local first = live_first(mp, tonumber(m[3]), last)
  return {m[2], m[5], m[6], last - first + 1, live_tokens(mp, first, last, m[7]), m[8] or '', m[9] or '',
          m[10] or ''}
end
-- Redis Cluster: while this user's slot is being migrated, a script may not touch keys it did not
-- declare (its messages). Touching a key that never exists makes the server refuse the script here,
-- before anything was read or written; the client sends it again once the slot is settled. On a
-- single server, or a settled slot, this is one cheap EXISTS.
redis.call('EXISTS', KEYS[1], KEYS[1] .. ':~slot')
