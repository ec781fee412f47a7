#!lua
-- KEYS: sessions zset, user hash. ARGV: user_id, meta prefix, message prefix, vector prefix, id hash
-- prefix of the user.
-- Deletes every key of the user. Returns {sessions deleted, messages deleted}.
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
