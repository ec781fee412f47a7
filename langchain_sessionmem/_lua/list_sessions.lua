#!lua
-- KEYS: sessions zset, user hash. ARGV: user_id, meta prefix, message prefix, after score ('' : from
-- the newest), after session digest, limit (-1: all).
-- Returns {cursor score, cursor digest, row...}: sessions by last activity, newest first (ties by
-- digest, descending), each row as session_row(); the cursor is '' when no session follows. Entries
-- of sessions that expired are dropped from the zset.
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
