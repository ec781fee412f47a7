#!lua flags=no-writes
-- The retriever's search in one call, on a single server only (see search.py: a cluster keeps the
-- two-round-trip path, since a script there may touch only the keys it declares, and the hits'
-- keys are known only after the search).
-- KEYS: the user hash (declared for the prelude's slot check only; nothing reads it).
-- ARGV: n, mode, text weight, distance threshold ('' none), neighbours, the model fingerprint,
--       the user's message prefix ('P m:{U}:'), the user's meta prefix ('P s:{U}:'), the KNN
--       FT.SEARCH as its argument count and arguments (count 0: none), the query of the same
--       search among this model's vectors only, the BM25 FT.SEARCH as count and arguments.
--   The commands are search.py's knn_search / text_search, built by the client from escaped
--   tokens and hex digests (_search.py): this script adds nothing to a query.
--   The KNN search runs first; when any of its hits is of another model (a reindex is pending),
--   its second form runs instead (the same rule as the client's two-trip path).
--   Then the documents the client will show are read: mode 'score' (one search, ranked by its own
--   score): its first n counting hits; 'fused' (hybrid): the first n by weighted reciprocal rank
--   fusion, as search.py's fuse(); 'all': every counting hit. A KNN hit counts when it has a
--   distance (its key may have expired since the index matched it) within the threshold. With
--   each of those, the `neighbours` messages before and after it in its session.
-- Returns {KNN hits, BM25 hits, documents, owners}, compact (every reply element costs the client
--   more than its bytes): each hit that counts as 'sh:seq:distance:ts' (KNN) or 'sh:seq:score:ts'
--   (BM25) in the search's order (false: no such search); each message read as 'sh:seq:' followed
--   by its document (nothing: gone); and {sh, uid, sid} of each of their sessions. The client
--   ranks the hits itself and reads in a second call only what this script did not (nothing,
--   when both rankings agree).
-- Keys read but not declared (the documents and session metas): allowed on a single server,
-- where every key is local; each command is still checked against the caller's ACL key patterns.
local n, mode, w, thr, nb = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local fp, mp, metap = ARGV[6], ARGV[7], ARGV[8]
local RRF_K = 60
local function command_at(at)
  local count = tonumber(ARGV[at])
  return count > 0 and {unpack(ARGV, at + 1, at + count)} or false, at + count + 1
end
local knn, at = command_at(9)
local knn_model = ARGV[at]
local text = command_at(at + 1)

local function fields_of(flat)
  local f = {}
  for i = 1, #flat - 1, 2 do f[flat[i]] = flat[i + 1] end
  return f
end
-- The hits that count, in the search's order: {sh, seq, 'sh:seq:score-or-distance:ts'} each.
local function counting(reply, with_scores)
  local out = {}
  local step = with_scores and 3 or 2
  for i = 2, #reply, step do
    local sh, seq = string.match(reply[i], ':(%x+):(%d+)$')
    local f = fields_of(reply[i + step - 1] or {})
    local value = with_scores and reply[i + 1] or f['dist']
    if value and (with_scores or not thr or tonumber(value) <= thr) then
      out[#out + 1] = {sh, tonumber(seq), sh .. ':' .. seq .. ':' .. value .. ':' .. (f['ts'] or '0')}
    end
  end
  return out
end

local rankings, hits = {}, {false, false}
if knn then
  local reply = redis.call(unpack(knn))
  for i = 3, #reply, 2 do
    if fields_of(reply[i] or {})['m'] ~= fp then
      knn[3] = knn_model
      reply = redis.call(unpack(knn))
      break
    end
  end
  rankings[#rankings + 1] = {1 - w, counting(reply, false)}
  hits[1] = {}
  for i, c in ipairs(rankings[#rankings][2]) do hits[1][i] = c[3] end
end
if text then
  rankings[#rankings + 1] = {w, counting(redis.call(unpack(text)), true)}
  hits[2] = {}
  for i, c in ipairs(rankings[#rankings][2]) do hits[2][i] = c[3] end
end

-- The seeds, best first: {sh, seq}.
local seeds = {}
if mode == 'fused' then
  local score, first, order = {}, {}, {}
  for _, r in ipairs(rankings) do
    for rank, c in ipairs(r[2]) do
      local key = c[1] .. ':' .. c[2]
      if not score[key] then
        score[key] = 0
        first[key] = #order + 1
        order[#order + 1] = {c[1], c[2], key}
      end
      score[key] = score[key] + r[1] / (RRF_K + rank)
    end
  end
  table.sort(order, function(a, b)
    if score[a[3]] ~= score[b[3]] then return score[a[3]] > score[b[3]] end
    return first[a[3]] < first[b[3]]
  end)
  for i = 1, math.min(n, #order) do seeds[i] = order[i] end
else
  for _, r in ipairs(rankings) do
    for _, c in ipairs(r[2]) do
      if mode == 'all' or #seeds < n then seeds[#seeds + 1] = c end
    end
  end
end

local docs, sessions, seen, owners = {}, {}, {}, {}
local function load(sh, seq)
  local key = sh .. ':' .. seq
  if seq < 1 or seen[key] then return end
  seen[key] = true
  docs[#docs + 1] = key .. ':' .. (redis.call('JSON.GET', mp .. key, '.') or '')
  if not owners[sh] then
    owners[sh] = true
    local m = redis.call('HMGET', metap .. sh, 'uid', 'sid')
    sessions[#sessions + 1] = sh
    sessions[#sessions + 1] = m[1] or false
    sessions[#sessions + 1] = m[2] or false
  end
end
for _, s in ipairs(seeds) do load(s[1], s[2]) end
for _, s in ipairs(seeds) do
  for d = -nb, nb do
    if d ~= 0 then load(s[1], s[2] + d) end
  end
end
return {hits[1], hits[2], docs, sessions}
