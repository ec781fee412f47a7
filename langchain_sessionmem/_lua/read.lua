#!lua flags=no-writes
-- KEYS: meta, user hash
-- ARGV: user_id, session_id, message prefix, k, after, limit, budget, flags
--   Messages with seq > after; limit >= 0: only the first `limit` of them (paging forward);
--   k >= 0: only the last k; budget >= 0: only the longest suffix within that many tokens.
--   flags 'i': also the effective instructions (the session's, else the user's); 's': also the
--   running summary, and only messages after it. Their tokens count against the budget.
--   flags 'w' (window, as trim_messages): keep a leading system message (its tokens count), and
--   drop messages before the first human one, so no tool result loses the AI call it answers.
--   Then the reader's cache (see _cache.py): epoch, lo, hi of the messages it holds decoded ('', 0, -1:
--   none), and check ('1' or '0'). Of those, the ones this read would return are skipped; with check,
--   only if every one of their keys still exists (needed only where the server may evict keys).
-- Returns {numbers, epoch, instructions, summary, docs}; numbers is one string of 14 integers
--          separated by spaces: exists first last tokens itok sup stok sgen lo hi nsys nbefore slo shi
--          (one reply element instead of 14: a client parses each element of a reply on its own). docs
--          (absent: none) holds, one per line, the documents of messages lo..hi in sequence order, except the skipped slo..shi (none when
--          slo > shi), which fall after the first nsys + nbefore docs; nsys is 1 when the kept system
--          message comes first.
local uid, mp = ARGV[1], ARGV[3]
local k, after, limit, budget = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local flags = ARGV[8]
local wi, ws, win = string.find(flags, 'i', 1, true), string.find(flags, 's', 1, true), string.find(flags, 'w', 1, true)
local m = redis.call('HMGET', KEYS[1], 'uid', 'sid', 'first', 'seq', 'epoch', 'ctok', 'instr', 'itok', 'sum',
                     'sup', 'stok', 'sgen')
local instr, itok = false, 0
if wi then
  instr, itok = m[7], tonumber(m[8] or 0)
  if not instr then
    local u = redis.call('HMGET', KEYS[2], 'uid', 'instr', 'itok')
    if u[1] == uid and u[2] then instr, itok = u[2], tonumber(u[3] or 0) end
  end
end
if not m[1] then return {'0 1 0 0 ' .. itok .. ' 0 0 0 1 0 0 0 1 0', '', instr or '', ''} end
if m[1] ~= uid or m[2] ~= ARGV[2] then return redis.error_reply('SESSIONMEM_ID_COLLISION session') end
local last = tonumber(m[4])
local first = live_first(mp, tonumber(m[3]), last)
local tokens = live_tokens(mp, first, last, m[6])
local sum, sup, stok = '', 0, 0
if ws and m[9] then sum, sup, stok = m[9], tonumber(m[10]), tonumber(m[11] or 0) end
local lo = math.max(first, after + 1, sup + 1)
local hi = last
if limit >= 0 then hi = math.min(hi, lo + limit - 1) end
if k >= 0 then lo = math.max(lo, hi - k + 1) end
local sys = nil
if win and first <= last and field(mp .. first, '.type') == '"system"' then
  sys = first
  if lo <= first then lo = first + 1 end
end
if budget >= 0 then
  local avail = budget - itok - stok
  if sys then avail = avail - select(2, counts(mp .. sys)) end
  -- Smallest s with tokens(s..hi) <= avail; tokens(s..hi) = c0(hi + 1) - c0(s). Binary search: O(log n).
  local top = tonumber(m[6])
  if hi < last then top = counts(mp .. (hi + 1)) end
  local a, b = lo, hi + 1
  while a < b do
    local mid = math.floor((a + b) / 2)
    if top - counts(mp .. mid) <= avail then b = mid else a = mid + 1 end
  end
  lo = a
end
if win then
  while lo <= hi and field(mp .. lo, '.type') ~= '"human"' do lo = lo + 1 end
end
local slo, shi = hi + 1, hi
if ARGV[9] ~= '' and ARGV[9] == m[5] then
  local a, b = math.max(lo, tonumber(ARGV[10])), math.min(hi, tonumber(ARGV[11]))
  local live = b - a + 1
  if a <= b and ARGV[12] == '1' then
    live = 0
    each_chunk('EXISTS', mp, a, b, function(r) live = live + r end)
  end
  if a <= b and live == b - a + 1 then slo, shi = a, b end
end
local nsys = sys and 1 or 0
local out, docs = {'', m[5], instr or '', sum}, {}
if sys then docs[1] = redis.call('JSON.GET', mp .. sys, '.') end
-- One JSON.GET per document, not JSON.MGET: RedisJSON 2.8 checks only JSON.MGET's first key
-- against ACL key patterns, so the package does not need (and an ACL user should not get) it.
local function fetch(a, b)
  for s = a, b do
    local v = redis.call('JSON.GET', mp .. s, '.')
    if v then docs[#docs + 1] = v end
  end
end
fetch(lo, math.min(hi, slo - 1))
local nbefore = #docs - nsys
fetch(math.max(lo, shi + 1), hi)
-- The documents as one reply element, one per line (compact JSON has no raw newline): a client
-- parses each element of a reply on its own, and splitting one string costs it far less.
out[5] = table.concat(docs, '\n')
-- %d, not table.concat: Lua writes a number of 15 digits or more as 1e+14 (get_stored(after=10**14)).
out[1] = string.format(string.rep('%d ', 13) .. '%d', 1, first, last, tokens, itok, sup, stok, tonumber(m[12] or 0),
                       lo, hi, nsys, nbefore, slo, shi)
return out
