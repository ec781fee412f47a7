"""Server-side Lua scripts. Each touches the keys of one user only, so of one cluster slot.

The first key of every script is a key of that user (its hash tag routes the call on a cluster);
the message keys a script builds from a prefix carry the same hash tag, so they are in the same slot.
While that slot migrates, a script is refused before it does anything (see the end of _PRELUDE).
Scripts refuse to act when the raw ids stored in Redis differ from the caller's (a digest collision).

Session meta hash fields: uid, sid, first (lowest live sequence), seq (last assigned sequence),
created, last_active (ms, server clock), epoch (changes when a session is created anew), ctok
(tokens of every message ever appended: message ``s`` stores ``c0``, the value before it, so the
tokens of messages ``s..last`` are ``ctok - c0(s)``), title, meta (metadata JSON), instr and itok
(session instructions and their tokens), sum, sup, stok (running summary, the last sequence it
covers, its tokens) and sgen (bumped by every summary write and every clear).

Session id hash (``P i:{U}:S``): message id digest -> seq, for the messages appended with an id. It
shares the session's deadline; with a per-message age limit each field expires with its message; a
field whose seq is below the session's live ``first`` is stale and ignored (clear() drops the hash).

User hash fields: uid, maxdl (latest session deadline, -1: some session never expires), instr, itok.
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
-- Tokens of the live messages of a session: O(1) thanks to the running total.
local function live_tokens(mp, first, last, ctok)
  if first > last then return 0 end
  return tonumber(ctok or 0) - tonumber(field(mp .. first, '.c0') or 0)
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
"""

# KEYS: meta, sessions zset, user hash, session id hash
# ARGV: user_id, session_id, message prefix, session digest, ttl_ms, max_age_ms, vector prefix,
#       user digest, model fingerprint, title candidate ('' none), n, batch id (hex; '' none),
#       then per message: doc, type, vector blob or '', tokens, ts ('' : now; set by imports),
#       message id digest ('' : the message has no id).
# Returns {first assigned seq, last assigned seq, server time ms, kept}. The session remembers the
# last 8 batch ids with that reply, so a batch sent again (a retry after a lost reply) is stored once.
# A message whose id the session already holds (a live message) is skipped, as is a repeat of an id
# within the batch; the others are stored in order. kept: '' when every message was stored, else one
# character per message, '1' stored, '0' skipped. Nothing new: nothing changes, {seq + 1, seq, now, kept}.
APPEND = (
    "#!lua\n"
    + _PRELUDE
    + r"""
local meta, zset, ukey = KEYS[1], KEYS[2], KEYS[3]
local uid, sid, mp, sh = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ttl, maxage = tonumber(ARGV[5]), tonumber(ARGV[6])
local vp, uh, fp, title, n = ARGV[7], ARGV[8], ARGV[9], ARGV[10], tonumber(ARGV[11])
local now, epoch = now_ms()
local u = redis.call('HMGET', ukey, 'uid', 'maxdl')
local owner = u[1]
local err = check_owner(owner, uid, 'user')
if err then return err end
local m = redis.call('HMGET', meta, 'uid', 'sid', 'first', 'seq', 'ctok', 'title', 'batches')
local first, seq, ctok = 1, 0, 0
if m[1] then
  if m[1] ~= uid or m[2] ~= sid then return redis.error_reply('SESSIONMEM_ID_COLLISION session') end
  first, seq, ctok = live_first(mp, tonumber(m[3]), tonumber(m[4])), tonumber(m[4]), tonumber(m[5] or 0)
end
local bid = ARGV[12]
local done = m[7] or ''
if bid ~= '' and m[1] then
  local a, b, at, was = string.match(done, bid .. ':(%d+):(%d+):(%d+):?([01]*);')
  if a then return {tonumber(a), tonumber(b), tonumber(at), was} end
end
-- 0. Which messages are new: O(batch) lookups in the session's id hash.
local ik, fresh, known, nfresh, kept = KEYS[4], {}, {}, 0, {}
for i = 0, n - 1 do
  local mid = ARGV[18 + 6 * i]
  local new = true
  if mid ~= '' then
    if known[mid] then
      new = false
    elseif m[1] then
      local s = redis.call('HGET', ik, mid)
      if s and tonumber(s) >= first then new = false end
    end
    known[mid] = true
  end
  if new then fresh[#fresh + 1] = i; nfresh = nfresh + 1 end
  kept[#kept + 1] = new and '1' or '0'
end
kept = nfresh == n and '' or table.concat(kept)
if nfresh == 0 then return {seq + 1, seq, now, kept} end
local D, refresh = deadline(meta, now, ttl)

-- 1. The documents first: on a server without RedisJSON this fails before anything changed.
local lo, stamps, mids = seq + 1, {}, {}
for _, i in ipairs(fresh) do
  local b = 13 + 6 * i
  local doc, mtype, blob, tok, ts = ARGV[b], ARGV[b + 1], ARGV[b + 2], tonumber(ARGV[b + 3]), ARGV[b + 4]
  if ts == '' then ts = now else ts = tonumber(ts) end
  seq = seq + 1
  local k = mp .. seq
  local r = redis.pcall('JSON.SET', k, '$', '{"seq":' .. seq .. ',"ts":' .. ts .. ',"tok":' .. tok .. ',"c0":' .. ctok
                        .. ',' .. string.sub(doc, 2))
  if type(r) == 'table' and r.err then
    -- A script does not roll back: remove what this batch wrote so far, so nothing of it stays.
    for s = lo, seq - 1 do redis.call('UNLINK', mp .. s, vp .. s) end
    return r
  end
  ctok = ctok + tok
  stamps[#stamps + 1] = ts
  mids[#mids + 1] = ARGV[b + 5]
  if blob ~= '' then
    redis.call('HSET', vp .. seq, 'v', blob, 'uh', uh, 'sh', sh, 'type', mtype, 'm', fp, 'seq', seq, 'ts', ts)
  end
end

-- 2. The session and the user.
if not m[1] then
  redis.call('HSET', meta, 'uid', uid, 'sid', sid, 'created', now, 'epoch', epoch)
end
if not owner then redis.call('HSET', ukey, 'uid', uid) end
redis.call('HSET', meta, 'first', first, 'seq', seq, 'ctok', ctok, 'last_active', now)
if bid ~= '' then
  done = done .. bid .. ':' .. lo .. ':' .. seq .. ':' .. now .. ':' .. kept .. ';'
  local _, n = string.gsub(done, ';', '')
  if n > 8 then done = string.sub(done, string.find(done, ';', 1, true) + 1) end
  redis.call('HSET', meta, 'batches', done)
end
if title ~= '' and not m[6] then redis.call('HSET', meta, 'title', title) end

-- 3. Deadlines. All keys of a session share D; with a per-message age, a message's own deadline is
-- ts + maxage, but never before its predecessor's, so messages expire oldest first (a reader then
-- sees expiry as `first` moving forward, even for imported messages whose times are out of order).
-- Returns the message's deadline and its own age deadline (-1: none).
local function expire_at(s, ts, floor)
  local dl, own = D, -1
  if maxage > 0 and ts then
    own = math.max(tonumber(ts) + maxage, floor)
    if dl < 0 or own < dl then dl = own end
  end
  if dl > 0 then
    redis.call('PEXPIREAT', mp .. s, dl)
    redis.call('PEXPIREAT', vp .. s, dl)
  end
  return dl, own
end
local floor = -1
if refresh then
  for s = first, lo - 1 do
    floor = expire_at(s, maxage > 0 and field(mp .. s, '.ts') or 0, floor)
  end
  redis.call('PEXPIREAT', meta, D)
elseif maxage > 0 and lo - 1 >= first then
  floor = redis.call('PEXPIRETIME', mp .. (lo - 1))
end
-- The id hash: a field lives as long as its message's age allows, the hash as long as the session.
local ids = false
for i, ts in ipairs(stamps) do
  local own
  floor, own = expire_at(lo + i - 1, ts, floor)
  local mid = mids[i]
  if mid ~= '' then
    redis.call('HSET', ik, mid, lo + i - 1)
    if own > 0 then redis.call('HPEXPIREAT', ik, own, 'FIELDS', 1, mid) end
    ids = true
  end
end
if D > 0 and (ids or refresh) then redis.call('PEXPIREAT', ik, D) end
redis.call('ZADD', zset, now, sh)
extend_user(zset, ukey, D, u[2])
return {lo, seq, now, kept}
"""
)

# KEYS: meta, user hash
# ARGV: user_id, session_id, message prefix, k, after, limit, budget, flags
#   Messages with seq > after; limit >= 0: only the first `limit` of them (paging forward);
#   k >= 0: only the last k; budget >= 0: only the longest suffix within that many tokens.
#   flags 'i': also the effective instructions (the session's, else the user's); 's': also the
#   running summary, and only messages after it. Their tokens count against the budget.
#   flags 'w' (window, as trim_messages): keep a leading system message (its tokens count), and
#   drop messages before the first human one, so no tool result loses the AI call it answers.
#   Then the reader's cache (see _cache.py): epoch, lo, hi of the messages it holds decoded ('', 0, -1:
#   none), and check ('1' or '0'). Of those, the ones this read would return are skipped; with check,
#   only if every one of their keys still exists (needed only where the server may evict keys).
# Returns {exists, epoch, first, last, tokens, instructions, itok, summary, sup, stok, sgen, lo, hi,
#          nsys, nbefore, slo, shi, doc...}: the docs of messages lo..hi in sequence order, except the
#          skipped slo..shi (none when slo > shi), which fall after the first nsys + nbefore docs;
#          nsys is 1 when the kept system message comes first.
READ = (
    "#!lua flags=no-writes\n"
    + _PRELUDE
    + r"""
local uid, mp = ARGV[1], ARGV[3]
local k, after, limit, budget = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local flags = ARGV[8]
local wi, ws, win = string.find(flags, 'i', 1, true), string.find(flags, 's', 1, true), string.find(flags, 'w', 1, true)
local m = redis.call('HMGET', KEYS[1], 'uid', 'sid', 'first', 'seq', 'epoch', 'ctok', 'instr', 'itok', 'sum',
                     'sup', 'stok', 'sgen')
local instr, itok = false, 0
if wi then
  instr, itok = m[7], tonumber(m[8] or 0)
  if not instr then
    local u = redis.call('HMGET', KEYS[2], 'uid', 'instr', 'itok')
    if u[1] == uid and u[2] then instr, itok = u[2], tonumber(u[3] or 0) end
  end
end
if not m[1] then return {0, '', 1, 0, 0, instr or '', itok, '', 0, 0, 0, 1, 0, 0, 0, 1, 0} end
if m[1] ~= uid or m[2] ~= ARGV[2] then return redis.error_reply('SESSIONMEM_ID_COLLISION session') end
local last = tonumber(m[4])
local first = live_first(mp, tonumber(m[3]), last)
local tokens = live_tokens(mp, first, last, m[6])
local sum, sup, stok = '', 0, 0
if ws and m[9] then sum, sup, stok = m[9], tonumber(m[10]), tonumber(m[11] or 0) end
local lo = math.max(first, after + 1, sup + 1)
local hi = last
if limit >= 0 then hi = math.min(hi, lo + limit - 1) end
if k >= 0 then lo = math.max(lo, hi - k + 1) end
local sys = nil
if win and first <= last and field(mp .. first, '.type') == '"system"' then
  sys = first
  if lo <= first then lo = first + 1 end
end
if budget >= 0 then
  local avail = budget - itok - stok
  if sys then avail = avail - tonumber(field(mp .. sys, '.tok')) end
  -- Smallest s with tokens(s..hi) <= avail; tokens(s..hi) = c0(hi + 1) - c0(s). Binary search: O(log n).
  local top = tonumber(m[6])
  if hi < last then top = tonumber(field(mp .. (hi + 1), '.c0')) end
  local a, b = lo, hi + 1
  while a < b do
    local mid = math.floor((a + b) / 2)
    if top - tonumber(field(mp .. mid, '.c0')) <= avail then b = mid else a = mid + 1 end
  end
  lo = a
end
if win then
  while lo <= hi and field(mp .. lo, '.type') ~= '"human"' do lo = lo + 1 end
end
local slo, shi = hi + 1, hi
if ARGV[9] ~= '' and ARGV[9] == m[5] then
  local a, b = math.max(lo, tonumber(ARGV[10])), math.min(hi, tonumber(ARGV[11]))
  local live = b - a + 1
  if a <= b and ARGV[12] == '1' then
    live = 0
    each_chunk('EXISTS', mp, a, b, function(r) live = live + r end)
  end
  if a <= b and live == b - a + 1 then slo, shi = a, b end
end
local out = {1, m[5], first, last, tokens, instr or '', itok, sum, sup, stok, tonumber(m[12] or 0), lo, hi,
             sys and 1 or 0, 0, slo, shi}
if sys then out[#out + 1] = redis.call('JSON.GET', mp .. sys, '.') end
-- One JSON.GET per document, not JSON.MGET: RedisJSON 2.8 checks only JSON.MGET's first key
-- against ACL key patterns, so the package does not need (and an ACL user should not get) it.
local function fetch(a, b)
  for s = a, b do
    local v = redis.call('JSON.GET', mp .. s, '.')
    if v then out[#out + 1] = v end
  end
end
fetch(lo, math.min(hi, slo - 1))
out[15] = #out - 17 - out[14]
fetch(math.max(lo, shi + 1), hi)
return out
"""
)

# KEYS: meta, sessions zset, session id hash.
# ARGV: user_id, session_id, message prefix, session digest, drop_meta (0/1), vector prefix
# Deletes the session's messages (and its id hash); with drop_meta also the session itself.
# Returns messages deleted.
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
each_chunk('UNLINK', mp, first, last, function(r) n = n + r end)
each_chunk('UNLINK', ARGV[6], first, last, nil)
redis.call('UNLINK', KEYS[3])
local now = now_ms()
if drop then
  redis.call('UNLINK', meta)
  redis.call('ZREM', zset, sh)
else
  redis.call('HSET', meta, 'first', last + 1, 'last_active', now)
  redis.call('HDEL', meta, 'sum', 'sup', 'stok')
  redis.call('HINCRBY', meta, 'sgen', 1)
  redis.call('ZADD', zset, now, sh)
end
return n
"""
)

# KEYS: sessions zset, user hash. ARGV: user_id, meta prefix, message prefix, vector prefix, id hash
# prefix of the user.
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
    each_chunk('UNLINK', ARGV[3] .. sh .. ':', tonumber(m[2]), tonumber(m[3]), function(r) n = n + r end)
    each_chunk('UNLINK', ARGV[4] .. sh .. ':', tonumber(m[2]), tonumber(m[3]), nil)
    redis.call('UNLINK', meta, ARGV[5] .. sh)
    sessions = sessions + 1
  end
end
redis.call('UNLINK', zset, ukey)
return {sessions, n}
"""
)

# KEYS: sessions zset, user hash. ARGV: user_id, meta prefix, message prefix, after score ('' : from
# the newest), after session digest, limit (-1: all).
# Returns {cursor score, cursor digest, row...}: sessions by last activity, newest first (ties by
# digest, descending), each row as session_row(); the cursor is '' when no session follows. Entries
# of sessions that expired are dropped from the zset.
LIST_SESSIONS = (
    "#!lua\n"
    + _PRELUDE
    + r"""
local zset, ukey, uid = KEYS[1], KEYS[2], ARGV[1]
local err = check_owner(redis.call('HGET', ukey, 'uid'), uid, 'user')
if err then return err end
local cs, cm, limit = ARGV[4], ARGV[5], tonumber(ARGV[6])
local top = '+inf'
if cs ~= '' then top = cs end
local rows, stale, n, offset = {}, {}, 0, 0
local next_s, next_m, last_s, last_m = '', '', '', ''
local more = true
while more do
  local batch = redis.call('ZRANGE', zset, top, '-inf', 'BYSCORE', 'REV', 'LIMIT', offset, 200, 'WITHSCORES')
  if #batch == 0 then break end
  offset = offset + #batch / 2
  for i = 1, #batch, 2 do
    local sh, score = batch[i], batch[i + 1]
    if not (cs ~= '' and tonumber(score) == tonumber(cs) and sh >= cm) then
      local row = session_row(ARGV[2] .. sh, ARGV[3] .. sh .. ':', uid)
      if not row then
        stale[#stale + 1] = sh
      elseif limit >= 0 and n >= limit then
        next_s, next_m, more = last_s, last_m, false
        break
      else
        for _, v in ipairs(row) do rows[#rows + 1] = v end
        n, last_s, last_m = n + 1, score, sh
      end
    end
  end
end
for _, sh in ipairs(stale) do redis.call('ZREM', zset, sh) end
local out = {next_s, next_m}
for _, v in ipairs(rows) do out[#out + 1] = v end
return out
"""
)

# KEYS: meta. ARGV: user_id, session_id, message prefix. Returns session_row() or {} if absent.
SESSION_INFO = (
    "#!lua flags=no-writes\n"
    + _PRELUDE
    + r"""
local m = redis.call('HMGET', KEYS[1], 'uid', 'sid')
if not m[1] then return {} end
if m[1] ~= ARGV[1] or m[2] ~= ARGV[2] then return redis.error_reply('SESSIONMEM_ID_COLLISION session') end
return session_row(KEYS[1], ARGV[3], ARGV[1])
"""
)

# KEYS: meta, sessions zset, user hash. ARGV: user_id, session_id, session digest, ttl_ms, then
# field/value pairs of the session meta ('' deletes the field); a 'last_active' value also moves the
# session in the activity order. Creates the session (no messages) when it does not exist.
SET_SESSION = (
    "#!lua\n"
    + _PRELUDE
    + r"""
local meta, zset = KEYS[1], KEYS[2]
local err = ensure_session(meta, zset, KEYS[3], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]))
if err then return err end
for i = 5, #ARGV, 2 do
  local f, v = ARGV[i], ARGV[i + 1]
  if v == '' then redis.call('HDEL', meta, f) else redis.call('HSET', meta, f, v) end
  if f == 'last_active' then redis.call('ZADD', zset, v, ARGV[3]) end
end
return 1
"""
)

# KEYS: user hash, sessions zset. ARGV: user_id, instructions ('' clears), their tokens.
# Sets the user's default instructions; the user hash then outlives its sessions' TTL.
SET_USER = (
    "#!lua\n"
    + _PRELUDE
    + r"""
local ukey, zset = KEYS[1], KEYS[2]
local err = check_owner(redis.call('HGET', ukey, 'uid'), ARGV[1], 'user')
if err then return err end
if ARGV[2] ~= '' then
  redis.call('HSET', ukey, 'uid', ARGV[1], 'instr', ARGV[2], 'itok', ARGV[3])
  redis.call('PERSIST', ukey)
  return 1
end
redis.call('HDEL', ukey, 'instr', 'itok')
if redis.call('EXISTS', zset) == 0 then
  redis.call('UNLINK', ukey)
else
  local maxdl = tonumber(redis.call('HGET', ukey, 'maxdl') or '-1')
  if maxdl > 0 then redis.call('PEXPIREAT', ukey, maxdl) end
end
return 1
"""
)

# KEYS: meta. ARGV: user_id, session_id, expected sgen, summary, last seq it covers, its tokens.
# Stores the running summary unless another summary write or a clear came first. Returns the new sgen.
SET_SUMMARY = (
    "#!lua\n"
    + _PRELUDE
    + r"""
local m = redis.call('HMGET', KEYS[1], 'uid', 'sid', 'sgen', 'seq')
if not m[1] then return redis.error_reply('SESSIONMEM_CONFLICT the session was deleted') end
if m[1] ~= ARGV[1] or m[2] ~= ARGV[2] then return redis.error_reply('SESSIONMEM_ID_COLLISION session') end
if tonumber(m[3] or 0) ~= tonumber(ARGV[3]) then
  local mine = redis.call('HMGET', KEYS[1], 'sum', 'sup')
  if tonumber(m[3] or 0) == tonumber(ARGV[3]) + 1 and mine[1] == ARGV[4] and mine[2] == ARGV[5] then
    return tonumber(m[3])  -- this very write, sent again after its reply was lost
  end
  return redis.error_reply('SESSIONMEM_CONFLICT the summary or the messages changed meanwhile')
end
if tonumber(ARGV[5]) > tonumber(m[4]) then return redis.error_reply('SESSIONMEM_CONFLICT no such message') end
redis.call('HSET', KEYS[1], 'sum', ARGV[4], 'sup', ARGV[5], 'stok', ARGV[6])
return redis.call('HINCRBY', KEYS[1], 'sgen', 1)
"""
)

# KEYS: meta of the session. ARGV: user_id, session_id, message prefix, then (seq, sealed) pairs.
# Replaces the sealed content of messages that still exist (encryption key rotation, or sealing
# messages stored before encryption was turned on: their plain text and data go). Returns how many.
RESEAL = (
    "#!lua\n"
    + _PRELUDE
    + r"""
local m = redis.call('HMGET', KEYS[1], 'uid', 'sid')
if m[1] and (m[1] ~= ARGV[1] or m[2] ~= ARGV[2]) then return redis.error_reply('SESSIONMEM_ID_COLLISION session') end
local n = 0
for i = 4, #ARGV, 2 do
  local k = ARGV[3] .. ARGV[i]
  if redis.call('EXISTS', k) == 1 then
    redis.call('JSON.SET', k, '$.enc', cjson.encode(ARGV[i + 1]))
    redis.call('JSON.SET', k, '$.text', '""')
    redis.call('JSON.DEL', k, '$.data')
    redis.call('JSON.DEL', k, '$.ctx')  -- the speaker's name, indexed for full text while plain
    n = n + 1
  end
end
return n
"""
)

# KEYS: meta of the session. ARGV: message prefix, vector prefix, user digest, session digest,
#       model fingerprint, then (seq, type, vector blob, text digest) quadruples.
# Stores vectors made by reindex() for messages that still exist, with their message's expiry,
# and marks the messages as embedded with this model, from the text with that digest ('' : no
# text, no vector). Returns how many were stored.
PUT_VECTORS = (
    "#!lua\n"
    + _PRELUDE
    + r"""
local mp, vp, uh, sh, fp = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local stored = 0
for i = 6, #ARGV, 4 do
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
    if ARGV[i + 3] ~= '' then
      redis.call('JSON.SET', k, '$.eth', '"' .. ARGV[i + 3] .. '"')
    else
      redis.call('JSON.DEL', k, '$.eth')
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
    "reseal": RESEAL,
    "read": READ,
    "clear": CLEAR,
    "delete_user": DELETE_USER,
    "list_sessions": LIST_SESSIONS,
    "session_info": SESSION_INFO,
    "set_session": SET_SESSION,
    "set_user": SET_USER,
    "set_summary": SET_SUMMARY,
    "put_vectors": PUT_VECTORS,
}
