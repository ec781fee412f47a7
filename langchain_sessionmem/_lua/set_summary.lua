#!lua
-- KEYS: meta. ARGV: user_id, session_id, expected sgen, summary, last seq it covers, its tokens.
-- Stores the running summary unless another summary write or a clear came first. Returns the new sgen.
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
