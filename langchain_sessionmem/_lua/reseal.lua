#!lua
-- KEYS: meta of the session. ARGV: user_id, session_id, message prefix, then (seq, sealed) pairs.
-- Replaces the sealed content of messages that still exist (encryption key rotation, or sealing
-- messages stored before encryption was turned on: their plain text and data go). Returns how many.
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
