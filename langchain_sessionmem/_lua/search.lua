#!lua flags=no-writes
-- The retriever's search in one call, on a single server only (see search.py: a cluster keeps the
-- two-round-trip path, since a script there may touch only the keys it declares, and the hits'
-- keys are known only after the search).
-- KEYS: the user hash (declared for the prelude's slot check only; nothing reads it).
-- ARGV: n, mode, text weight, distance threshold ('' none), neighbours, the model fingerprint,
--       the user's message prefix ('P m:{U}:'), the user's meta prefix ('P s:{U}:'); the KNN
--       search: its index ('' none), its query, the query of the same search among this model's
--       vectors only, the query vector, how many, '1' to return when each hit was written ('' no);
--       the BM25 search: its index ('' none), its query, how many.
--   The searches are search.py's KnnSearch and TextSearch, built here from those parts exactly as
--   there (the queries come from the client, built from escaped tokens and hex digests in
--   _search.py: this script adds only the fixed options around them).
--   The KNN search runs first; when any of its hits is of another model (a reindex is pending),
--   its second form runs instead (the same rule as the client's two-trip path).
--   Then the documents the client will show are read: mode 'score' (one search, ranked by its own
--   score): its first n counting hits; 'fused' (hybrid): the first n by weighted reciprocal rank
--   fusion, as search.py's fuse(); 'all': every counting hit. A KNN hit counts when it has a
--   distance (its key may have expired since the index matched it) within the threshold. With
--   each of those, the `neighbours` messages before and after it in its session.
-- Returns {KNN hits, BM25 hits, documents, owners}, compact (every reply element costs the client
--   more than its bytes): the hits that count as 'sh:seq:distance:ts' (KNN) or 'sh:seq:score:ts'
--   (BM25) in the search's order, joined by spaces (false: no such search; ts 0 when not asked);
--   each message read as 'sh:seq:' followed by its document (nothing: gone), joined by newlines
--   (a document as JSON.GET gives it holds none); and {sh, uid, sid} of each of their sessions.
--   The client ranks the hits itself and reads in a second call only what this script did not
--   (nothing, when both rankings agree).
-- Keys read but not declared (the documents and session metas): allowed on a single server,
-- where every key is local; each command is still checked against the caller's ACL key patterns.
local n, mode, w, thr, nb = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local fp, mp, metap = ARGV[6], ARGV[7], ARGV[8]
local RRF_K = 60
local knn, knn_model, text = false, false, false
if ARGV[9] ~= '' then
  local function knn_search(query)
    local c = {'FT.SEARCH', ARGV[9], query, 'PARAMS', 2, 'vec', ARGV[12], 'SORTBY', 'dist', 'ASC', 'RETURN'}
    if ARGV[14] == '1' then
      c[12], c[13], c[14], c[15] = 3, 'dist', 'ts', 'm'
    else
      c[12], c[13], c[14] = 2, 'dist', 'm'
    end
    for _, a in ipairs({'LIMIT', 0, ARGV[13], 'DIALECT', 2}) do c[#c + 1] = a end
    return c
  end
  knn, knn_model = knn_search(ARGV[10]), knn_search(ARGV[11])
end
if ARGV[15] ~= '' then
  text = {'FT.SEARCH', ARGV[15], ARGV[16], 'WITHSCORES', 'SCORER', 'BM25', 'RETURN', 1, 'ts', 'LIMIT', 0, ARGV[17],
          'DIALECT', 2}
end

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

local function joined(cs)
  local out = {}
  for i, c in ipairs(cs) do out[i] = c[3] end
  return table.concat(out, ' ')
end

local rankings, hits = {}, {false, false}
if knn then
  local reply = redis.call(unpack(knn))
  for i = 3, #reply, 2 do
    if fields_of(reply[i] or {})['m'] ~= fp then
      reply = redis.call(unpack(knn_model))
      break
    end
  end
  rankings[#rankings + 1] = {1 - w, counting(reply, false)}
  hits[1] = joined(rankings[#rankings][2])
end
if text then
  rankings[#rankings + 1] = {w, counting(redis.call(unpack(text)), true)}
  hits[2] = joined(rankings[#rankings][2])
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
return {hits[1], hits[2], table.concat(docs, '\n'), sessions}
