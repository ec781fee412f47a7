#!lua
-- KEYS: meta, sessions zset, user hash. ARGV: user_id, session_id, session digest, ttl_ms, then
-- field/value pairs of the session meta ('' deletes the field); a 'last_active' value also moves the
-- session in the activity order. Creates the session (no messages) when it does not exist.
local meta, zset = KEYS[1], KEYS[2]
local err = ensure_session(meta, zset, KEYS[3], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]))
if err then return err end
for i = 5, #ARGV, 2 do
  local f, v = ARGV[i], ARGV[i + 1]
  if v == '' then redis.call('HDEL', meta, f) else redis.call('HSET', meta, f, v) end
  if f == 'last_active' then redis.call('ZADD', zset, v, ARGV[3]) end
end
return 1
