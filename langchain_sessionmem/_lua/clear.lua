#!lua
-- KEYS: meta, sessions zset, session id hash.
-- ARGV: user_id, session_id, message prefix, session digest, drop_meta (0/1), vector prefix
-- Deletes the session's messages (and its id hash); with drop_meta also the session itself.
-- Returns messages deleted.
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
