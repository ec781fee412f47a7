#!lua
-- KEYS: meta, sessions zset, user hash, session id hash
-- ARGV: user_id, session_id, message prefix, session digest, ttl_ms, max_age_ms, vector prefix,
--       user digest, model fingerprint, title candidate ('' none), n, batch id (hex; '' none),
--       then per message: doc, type, vector blob or '', tokens (then a space and the digest of
--       the text its vector was made from, if any), ts ('' : now; set by imports),
--       message id digest ('' : the message has no id).
-- Returns {first assigned seq, last assigned seq, server time ms, kept}. The session remembers the
-- last 8 batch ids with that reply, so a batch sent again (a retry after a lost reply) is stored once.
-- A message whose id the session already holds (a live message) is skipped, as is a repeat of an id
-- within the batch; the others are stored in order. kept: '' when every message was stored, else one
-- character per message, '1' stored, '0' skipped. Nothing new: nothing changes, {seq + 1, seq, now, kept}.
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
if bid ~= '' and m[1] and string.find(done, bid, 1, true) then  -- (a plain find first: cheaper)
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
  -- ARGV[b + 3]: the message's tokens, then the digest of its embedded text if any ("tok[ eth]").
  local doc, mtype, blob, tokx, ts = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
  local tok = tonumber(string.match(tokx, '^%d+'))
  if ts == '' then ts = now else ts = tonumber(ts) end
  seq = seq + 1
  local k = mp .. seq
  local r = redis.pcall('JSON.SET', k, '$', '{"seq":' .. seq .. ',"ts":' .. ts .. ',"x":"' .. ctok .. ' ' .. tokx
                        .. '",' .. string.sub(doc, 2))
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
if bid ~= '' then
  done = done .. bid .. ':' .. lo .. ':' .. seq .. ':' .. now .. ':' .. kept .. ';'
  -- Keep the last 8: the string held at most 8 before this one, so drop its first when a 9th ';'
  -- exists (up to 9 plain finds cost less than counting with gsub, which copies the string).
  local p = 0
  for _ = 1, 9 do
    p = string.find(done, ';', p + 1, true)
    if not p then break end
  end
  if p then done = string.sub(done, string.find(done, ';', 1, true) + 1) end
  redis.call('HSET', meta, 'first', first, 'seq', seq, 'ctok', ctok, 'last_active', now, 'batches', done)
else
  redis.call('HSET', meta, 'first', first, 'seq', seq, 'ctok', ctok, 'last_active', now)
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
