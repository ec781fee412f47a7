#!lua flags=no-writes
-- The retriever's search in one call, on a single server only (see search.py: a cluster keeps the
-- two-round-trip path, since a script there may touch only the keys it declares, and the hits'
-- keys are known only after the search).
-- KEYS: the user hash (declared for the prelude's slot check only; nothing reads it).
-- ARGV: n, mode, text weight, distance threshold ('' none), neighbours, the model fingerprint,
--       the user's message prefix ('P m:{U}:'), the user's meta prefix ('P s:{U}:'), then three
--       commands, each as its argument count and arguments (count 0: none): the KNN FT.SEARCH,
--       the same among this model's vectors only, the BM25 FT.SEARCH.
--   The commands are search.py's knn_search / text_search, built by the client from escaped
--   tokens and hex digests (_search.py): this script adds nothing to a query.
--   The KNN search runs first; when any of its hits is of another model (a reindex is pending),
--   its second form runs instead (the same rule as the client's two-trip path).
--   Then the documents the client will show are read: mode 'score' (one search, ranked by its own
--   score): its first n counting hits; 'fused' (hybrid): the first n by weighted reciprocal rank
--   fusion, as search.py's fuse(); 'all': every counting hit. A KNN hit counts when it has a
--   distance (its key may have expired since the index matched it) within the threshold. With
--   each of those, the `neighbours` messages before and after it in its session.
-- Returns {knn reply or false, BM25 reply or false, {sh, seq, doc or false, ...}, {sh, uid, sid, ...}}:
--   the searches' replies as FT.SEARCH gives them (RESP2), the documents read (false: gone), and
--   the owner of each of their sessions. The client ranks the replies itself and reads in a
--   second call only what this script did not (nothing, when both rankings agree).
-- Keys read but not declared (the documents and session metas): allowed on a single server,
-- where every key is local; each command is still checked against the caller's ACL key patterns.
local n, mode, w, thr, nb = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local fp, mp, metap = ARGV[6], ARGV[7], ARGV[8]
local RRF_K = 60
local commands, at = {}, 9
for c = 1, 3 do
  local count = tonumber(ARGV[at])
  commands[c] = count > 0 and {unpack(ARGV, at + 1, at + count)} or false
  at = at + count + 1
end

-- {sh, seq, score} of the hits that count, in the search's order.
local function fields_of(flat)
  local f = {}
  for i = 1, #flat - 1, 2 do f[flat[i]] = flat[i + 1] end
  return f
end
local function counting(reply, with_scores)
  local out = {}
  local step = with_scores and 3 or 2
  for i = 2, #reply, step do
    local sh, seq = string.match(reply[i], ':(%x+):(%d+)$')
    if with_scores then
      out[#out + 1] = {sh, tonumber(seq), tonumber(reply[i + 1])}
    else
      local dist = fields_of(reply[i + 1] or {})['dist']
      if dist and (not thr or tonumber(dist) <= thr) then out[#out + 1] = {sh, tonumber(seq), 1 - tonumber(dist)} end
    end
  end
  return out
end

local knn_reply, text_reply = false, false
local rankings = {}
if commands[1] then
  knn_reply = redis.call(unpack(commands[1]))
  for i = 3, #knn_reply, 2 do
    if fields_of(knn_reply[i] or {})['m'] ~= fp then
      knn_reply = redis.call(unpack(commands[2]))
      break
    end
  end
  rankings[#rankings + 1] = {1 - w, counting(knn_reply, false)}
end
if commands[3] then
  text_reply = redis.call(unpack(commands[3]))
  rankings[#rankings + 1] = {w, counting(text_reply, true)}
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
  docs[#docs + 1] = sh
  docs[#docs + 1] = seq
  docs[#docs + 1] = redis.call('JSON.GET', mp .. key, '.') or false
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
return {knn_reply, text_reply, docs, sessions}
