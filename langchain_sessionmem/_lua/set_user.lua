#!lua
-- KEYS: user hash, sessions zset. ARGV: user_id, instructions ('' clears), their tokens.
-- Sets the user's default instructions; the user hash then outlives its sessions' TTL.
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
