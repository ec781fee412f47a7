#!lua
-- KEYS: meta of the session. ARGV: message prefix, vector prefix, user digest, session digest,
--       model fingerprint, then (seq, type, vector blob, text digest) quadruples.
-- Stores vectors made by reindex() for messages that still exist, with their message's expiry,
-- and marks the messages as embedded with this model, from the text with that digest ('' : no
-- text, no vector). Returns how many were stored.
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
    local x = string.match(redis.call('JSON.GET', k, '$.x'), '^%["(%d+ %d+)')
    if x then  -- the digest is x's third part ("c0 tok eth", see the prelude's counts)
      if ARGV[i + 3] ~= '' then x = x .. ' ' .. ARGV[i + 3] end
      redis.call('JSON.SET', k, '$.x', '"' .. x .. '"')
    elseif ARGV[i + 3] ~= '' then  -- a document stored by version 0.1.0
      redis.call('JSON.SET', k, '$.eth', '"' .. ARGV[i + 3] .. '"')
    else
      redis.call('JSON.DEL', k, '$.eth')
    end
    redis.call('JSON.SET', k, '$.emb', '"' .. fp .. '"')
    stored = stored + 1
  end
end
return stored
