#!lua flags=no-writes
-- KEYS: meta. ARGV: user_id, session_id, message prefix. Returns session_row() or {} if absent.
local m = redis.call('HMGET', KEYS[1], 'uid', 'sid')
if not m[1] then return {} end
if m[1] ~= ARGV[1] or m[2] ~= ARGV[2] then return redis.error_reply('SESSIONMEM_ID_COLLISION session') end
return session_row(KEYS[1], ARGV[3], ARGV[1])
