"""The retriever's search (see RedisSessionHistoryRetriever), written once for both APIs.

``search_plan`` asks for the query's embedding and the searches (KNN and/or BM25, with the index
check the first time, in one round trip), ranks the hits, optionally reranks them, and loads the
seeds with their neighbours. On a single server the searches and the loading are one call of the
search script (search.lua), which reads the documents of the hits it ranks best by the same rules;
on a cluster (where a script may touch only the keys it declares) the seeds are loaded in one more
round trip. Ranking is pure: ``candidates`` reads one search's hits, ``fuse`` is weighted
reciprocal rank fusion and ``decay`` the recency weighting; ``rank`` puts them together.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, NamedTuple

from langchain_core.documents import Document
from langchain_core.messages import message_to_dict

from langchain_sessionmem._cluster import search_plan as cluster_search_plan
from langchain_sessionmem._codec import REBUILDABLE, content_text, decode_stored_dict, optional_text
from langchain_sessionmem._keys import UserKeys, check_id, parse_message_key
from langchain_sessionmem._lua.search import Candidate, Found, Key, KnnSearch, Mode, TextSearch
from langchain_sessionmem._lua.search import search as search_script
from langchain_sessionmem._ops.history import stored_plan
from langchain_sessionmem._ops.steps import Command, EmbedQuery, Pipeline, Plan, Rerank, Script
from langchain_sessionmem._ops.target import Session, Store
from langchain_sessionmem._search import (
    Hit,
    Scope,
    check_index,
    knn_query,
    one_model,
    parse_search,
    text_query,
    text_query_terms,
)
from langchain_sessionmem._vectors import fingerprint, pack, role_in
from langchain_sessionmem.encryption import UserCipher
from langchain_sessionmem.errors import ConfigError

RRF_K = 60  # reciprocal rank fusion constant (Cormack et al.)
SearchType = Literal["similarity", "hybrid", "text"]


class Seed(NamedTuple):
    """A message a search found: its key, its score (higher is better) and its cosine distance
    (vector hits only)."""

    key: Key
    score: float
    distance: float | None


@dataclass(frozen=True, slots=True)
class SearchOptions:
    """A retriever's options for one search (the fields of RedisSessionHistoryRetriever, which
    documents each; the defaults are the same)."""

    user_id: str | None = None
    session_id: str | None = None
    all_sessions: bool = True
    k: int = 4
    search_type: SearchType | None = None
    """None: the default, hybrid (similarity where the content is encrypted)."""
    hybrid_text_weight: float = 0.5
    fusion_depth: int = 20
    text_context: bool = False
    reranker: Any = None
    distance_threshold: float | None = None
    message_types: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    exclude_recent: int = 0
    exclude_from_seq: int | None = None
    neighbors: int = 0
    fallback: bool = False
    recency_half_life_seconds: float | None = None
    order: Literal["score", "chronological"] = "score"

    @property
    def depth(self) -> int:
        """Candidates taken from each ranking (before fusion and reranking)."""
        return max(self.k, self.fusion_depth or 4 * self.k)


# -- ranking: pure ----------------------------------------------------------------------------------


def candidates(kind: str, hits: Sequence[Hit], distance_threshold: float | None = None) -> list[Candidate]:
    """The hits of one search (``kind`` "similarity" or "text") that count, in the search's order:
    a vector hit without a distance (its key expired between the index's match and the read) or
    farther than ``distance_threshold`` is left out."""
    out: list[Candidate] = []
    for hit in hits:
        _, sh, seq = parse_message_key(hit.key)
        ts = int(float(hit.fields.get("ts", 0) or 0))
        if kind != "similarity":
            out.append(((sh, seq), hit.score or 0.0, None, ts))
            continue
        if "dist" not in hit.fields:
            continue
        dist = float(hit.fields["dist"])
        if distance_threshold is None or dist <= distance_threshold:
            out.append(((sh, seq), 1.0 - dist, dist, ts))
    return out


def fuse(rankings: Sequence[tuple[float, Sequence[Key]]]) -> dict[Key, float]:
    """Weighted reciprocal rank fusion: a key scores ``weight / (RRF_K + rank)`` (rank from 1) in
    each (weight, keys best first) ranking it is in, summed. In first-seen order (ties keep it)."""
    scores: dict[Key, float] = {}
    for weight, keys in rankings:
        for rank, key in enumerate(keys, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (RRF_K + rank)
    return scores


def decay(score: float, age_ms: float, half_life_seconds: float) -> float:
    """``score`` halved for every ``half_life_seconds`` of age; a time in the future counts as now."""
    return score * math.pow(0.5, max(0.0, age_ms / 1000) / half_life_seconds)


def rank_candidates(
    found: Sequence[tuple[str, Sequence[Candidate]]], o: SearchOptions, n: int, now_ms: float, *, fused: bool
) -> list[Seed]:
    """The best ``n`` seeds of the searches' hits that count ((kind, candidates), as sent):
    ``fused`` (a hybrid search) by weighted reciprocal rank, else by their own score; weighted by
    age when ``o.recency_half_life_seconds`` is set (``now_ms``: the time now, Unix ms)."""
    if fused:
        w = o.hybrid_text_weight
        scores = fuse([(w if kind == "text" else 1.0 - w, [c[0] for c in cs]) for kind, cs in found])
    else:
        scores = {key: score for _, cs in found for key, score, _, _ in cs}
    if half_life := o.recency_half_life_seconds:
        stamps = {key: ts for _, cs in found for key, _, _, ts in cs}
        scores = {key: decay(s, now_ms - stamps[key], half_life) for key, s in scores.items()}
    distances = {key: dist for _, cs in found for key, _, dist, _ in cs if dist is not None}
    best = sorted(scores, key=scores.__getitem__, reverse=True)[:n]
    return [Seed(key, scores[key], distances.get(key)) for key in best]


# -- the queries: pure ------------------------------------------------------------------------------


def ms(when: datetime | None) -> int | None:
    """``when`` in Unix ms; a naive datetime is taken as UTC."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp() * 1000)


def scope_of(o: SearchOptions, uh: str, session: Session | None, exclude_from: int | None) -> Scope:
    """What the searches may return (``exclude_from``: the current session's first left-out seq)."""
    sh = None if session is None else session.keys.sh
    types = tuple(t for t in o.message_types or () if t in REBUILDABLE)
    return Scope(
        uh=uh,
        sh=None if o.all_sessions else sh,
        types=types,
        since_ms=ms(o.since),
        until_ms=ms(o.until),
        exclude_session=sh if exclude_from is not None else None,
        exclude_from_seq=exclude_from,
    )


def knn_search(index: str, scope: Scope, fetch: int, blob: bytes, model_fp: str, *, times: bool) -> KnnSearch:
    """The KNN search: ``fetch`` nearest in ``scope`` (its second form: of model ``model_fp`` only),
    returning their distance, model fingerprint and, with ``times``, when each was written."""
    return KnnSearch(index, knn_query(scope, fetch), knn_query(scope, fetch, model_fp), blob, fetch, times)


def wanted(seeds: Sequence[Seed], neighbors: int) -> dict[Key, tuple[str, float | None, float | None]]:
    """Every message to load, each once: the seeds (match, score, distance), then the ``neighbors``
    before and after each seed in its session (a neighbour that is also a seed stays a seed)."""
    out: dict[Key, tuple[str, float | None, float | None]] = {s.key: ("seed", s.score, s.distance) for s in seeds}
    for (sh, seq), _, _ in seeds:
        for d in range(-neighbors, neighbors + 1):
            if seq + d >= 1:
                out.setdefault((sh, seq + d), ("neighbor", None, None))
    return out


def arrange(docs: dict[Key, Document], seeds: Sequence[Seed], neighbors: int, order: str) -> list[Document]:
    """The loaded documents in result order: by time, or each seed (best first) followed by its
    neighbours in chronological order, each document once."""
    if order == "chronological":
        return sorted(docs.values(), key=lambda d: (d.metadata["timestamp_ms"], d.metadata["seq"]))
    if not neighbors:
        return [docs[seed.key] for seed in seeds if seed.key in docs]
    out: list[Document] = []
    placed: set[Key] = set()
    for (sh, seq), _, _ in seeds:
        if (sh, seq) not in docs:
            continue
        for d in (0, *(d for d in range(-neighbors, neighbors + 1) if d)):
            key = (sh, seq + d)
            if key in docs and key not in placed:
                placed.add(key)
                out.append(docs[key])
    return out


def document(
    user_id: str | None, session_id: str | None, stored: tuple[int, int, dict[str, Any]], score: float | None,
    distance: float | None, match: str,
) -> Document:  # fmt: skip
    """A result Document (see the retriever's docstring for its metadata) of ``stored``: (seq, ts,
    the message as ``message_to_dict`` gives it), as ``decode_stored_dict`` reads it."""
    seq, ts, message = stored
    data = message["data"]
    return Document(
        page_content=content_text(data["content"]),
        metadata={
            "user_id": user_id,
            "session_id": session_id,
            "seq": seq,
            "timestamp": datetime.fromtimestamp(ts / 1000, tz=timezone.utc).isoformat(),
            "timestamp_ms": ts,
            "type": message["type"],
            "role": role_in(message),
            "message_id": data.get("id"),
            "score": score,
            "distance": distance,
            "match": match,
            "message": message,
        },
    )


# -- the plans --------------------------------------------------------------------------------------


def search_plan(store: Store, o: SearchOptions, query: str) -> Plan[list[Document]]:
    """The documents of ``o.user_id`` that match ``query`` (see the retriever's docstring).

    Raises:
        ConfigError: No user_id, or a full-text search on encrypted content.
        InvalidIdError: An id is not a non-empty str within ``config.max_id_length``.
        SearchUnavailableError: A cluster whose RediSearch does not search across shards.
    """
    cfg = store.config
    if o.user_id is None:
        raise ConfigError(
            "the retriever needs a user_id: pass user_id=... or config={'configurable': {'user_id': ...}}"
        )
    uid = check_id("user_id", o.user_id, cfg.max_id_length)
    user = UserKeys.of(cfg.key_prefix, uid)
    yield from cluster_search_plan(store.facts)  # a cluster without a search coordinator: refused
    search_type = _search_type(store, o)
    # Stored types are LangChain's (see _codec.REBUILDABLE), all plain words: any other can match
    # nothing, and is left out of the query rather than escaped into it.
    if o.message_types and not any(t in REBUILDABLE for t in o.message_types):
        return []
    session = None if o.session_id is None else store.session(uid, o.session_id)
    exclude_from = None
    if o.exclude_recent and session is not None:
        last = (yield Command("HGET", session.keys.meta, "seq")) or 0
        exclude_from = int(last) - o.exclude_recent + 1
    if o.exclude_from_seq is not None and session is not None:
        exclude_from = min(exclude_from or o.exclude_from_seq, o.exclude_from_seq)
    scope = scope_of(o, user.uh, session, exclude_from)
    n = o.k if o.reranker is None else o.depth
    searches, found = yield from _searches_plan(store, user, o, search_type, scope, query, n)
    cipher = store.cipher(uid) if session is None else session.cipher
    seeds = rank_candidates(searches, o, n, time.time() * 1000, fused=search_type == "hybrid")
    if not seeds:
        if o.fallback and session is not None:
            recent = yield from stored_plan(session, k=o.k)
            return [document(o.user_id, o.session_id, (s.seq, s.timestamp_ms, message_to_dict(s.message)), None,
                             None, "recent") for s in recent]  # fmt: skip
        return []
    if o.reranker is not None:
        seeds = yield from _rerank_plan(user, o, seeds, cipher, query, found)
    docs = yield from _load_plan(user, o.user_id, seeds, cipher, o.neighbors, found)
    return arrange(docs, seeds, o.neighbors, o.order)


def _search_type(store: Store, o: SearchOptions) -> SearchType:
    if store.encryption is None:
        return o.search_type or "hybrid"
    if o.search_type not in (None, "similarity"):  # the default (hybrid) needs full text: similarity here
        raise ConfigError(
            f"search_type={o.search_type!r} needs full-text search, which cannot work on encrypted content "
            "(the index sees no text): use search_type='similarity'"
        )
    return "similarity"


def _searches_plan(
    store: Store, user: UserKeys, o: SearchOptions, search_type: SearchType, scope: Scope, query: str, n: int
) -> Plan[tuple[list[tuple[str, list[Candidate]]], Found | None]]:
    """The hits that count of each search of ``search_type`` ((kind, candidates), similarity
    first), sent in one round trip (with the index check, the first time); on a single server,
    with the documents of the best ``n`` (see ``script_of``) read in the same call."""
    cfg = store.config
    plain = search_type == "similarity" and not o.recency_half_life_seconds and o.reranker is None
    fetch = o.k if plain else o.depth
    knn: KnnSearch | None = None
    text: TextSearch | None = None
    fp = ""
    if search_type in ("similarity", "hybrid"):
        vector = yield EmbedQuery(query)
        fp = fingerprint(store.embedder(), len(vector), cfg)
        blob = pack(vector, cfg.vector_dtype, len(vector))
        # When each hit was written matters to the recency weighting only.
        knn = knn_search(cfg.vector_index_name, scope, fetch, blob, fp, times=bool(o.recency_half_life_seconds))
    if search_type in ("text", "hybrid"):
        terms = text_query(scope, text_query_terms(query), o.text_context)
        text = None if terms is None else TextSearch(cfg.index_name, terms, fetch)
    kinds = [kind for kind, search in (("similarity", knn), ("text", text)) if search is not None]
    if not kinds:
        return [], None
    if store.facts.is_cluster:
        steps: list[Command | Script] = [s.command() for s in (knn, text) if s is not None]
    else:
        steps = [script_of(user, o, search_type, knn, fp, text, n)]
    if not store.facts.index_checked:  # in the same round trip as the search
        info, *replies = yield Pipeline([Command("FT.INFO", cfg.index_name), *steps])
        check_index(info, cfg)
        store.facts.index_checked = True
    elif store.facts.is_cluster:
        replies = yield Pipeline(steps)
    else:
        replies = [(yield steps[0])]
    if not store.facts.is_cluster:
        found = Found.of(replies[0])
        return [(kind, cs) for kind, cs in (("similarity", found.knn), ("text", found.text)) if cs is not None], found
    hits = [parse_search(reply, with_scores=(kind == "text"))[1] for kind, reply in zip(kinds, replies, strict=True)]
    if knn is not None and not one_model(hits[0], fp):
        # The nearest vectors include another model's (a reindex is pending): search again among
        # this model's only. Filtering by model up front would double every search's time, and
        # when the nearest `fetch` are all this model's they are this model's nearest `fetch`.
        # (The search script applies the same rule on the server.)
        hits[0] = parse_search((yield knn.command(model=True)))[1]
    return [(kind, candidates(kind, h, o.distance_threshold)) for kind, h in zip(kinds, hits, strict=True)], None


def script_of(
    user: UserKeys, o: SearchOptions, search_type: SearchType, knn: KnnSearch | None, fp: str,
    text: TextSearch | None, n: int,
) -> Script:  # fmt: skip
    """The search script call that runs the searches and reads what ``search_plan`` will show: the
    ``n`` seeds ``rank`` picks and their neighbours (with a recency weighting, which needs the
    client's clock: every hit and its neighbours; with a reranker, the ``n`` candidates without
    neighbours, which are read once it has chosen)."""
    mode: Mode = "fused" if search_type == "hybrid" else "score"
    if o.recency_half_life_seconds:
        mode = "all"
    return search_script(
        user, knn=knn, fingerprint=fp, text=text, n=n, mode=mode,
        text_weight=o.hybrid_text_weight, distance_threshold=o.distance_threshold,
        neighbors=0 if o.reranker is not None else o.neighbors,
    )  # fmt: skip


def _rerank_plan(
    user: UserKeys, o: SearchOptions, pool: list[Seed], cipher: UserCipher | None, query: str, found: Found | None
) -> Plan[list[Seed]]:
    """The reranker's first ``o.k`` of the fused candidates (``pool``), in its order."""
    docs = yield from _load_plan(user, o.user_id, pool, cipher, 0, found)
    by_position = {}  # what a compressor keeps of a document: its metadata's session_id and seq
    for seed in pool:
        if (doc := docs.get(seed.key)) is not None:
            by_position[(doc.metadata["session_id"], doc.metadata["seq"])] = seed
    ranked = yield Rerank(o.reranker, arrange(docs, pool, 0, o.order), query)
    out: list[Seed] = []
    for doc in ranked:
        kept = by_position.get((doc.metadata.get("session_id"), doc.metadata.get("seq")))
        if kept is not None and kept not in out:
            out.append(kept)
        if len(out) == o.k:
            break
    return out


def _load_plan(
    user: UserKeys, user_id: str | None, seeds: Sequence[Seed], cipher: UserCipher | None, neighbors: int,
    found: Found | None = None,
) -> Plan[dict[Key, Document]]:  # fmt: skip
    """The seeds and their neighbours as Documents, with their sessions' ids; messages gone since
    the search (and sessions of another user: a digest collision) drop out. What the search script
    read (``found``) is taken from there; the rest is read in one round trip (none, normally)."""
    want = wanted(seeds, neighbors)
    raws: dict[Key, Any] = {}
    owners: dict[str, tuple[str | None, str | None]] = {}
    if found is not None:
        raws = {key: found.docs[key] for key in want if key in found.docs}
        owners = dict(found.owners)
    if keys := [key for key in want if key not in raws]:
        sessions = [sh for sh in dict.fromkeys(sh for sh, _ in keys) if sh not in owners]
        # JSON.GET per key, not JSON.MGET: see the READ script (ACL checks only MGET's first key).
        cmds = [Command("JSON.GET", f"{user.messages_of(sh)}{seq}", ".") for sh, seq in keys]
        cmds += [Command("HMGET", user.meta_of(sh), "uid", "sid") for sh in sessions]
        replies = yield Pipeline(cmds)
        raws.update(zip(keys, replies[: len(keys)], strict=True))
        for sh, (uid, sid) in zip(sessions, replies[len(keys) :], strict=True):
            owners[sh] = (optional_text(uid), optional_text(sid))
    session_ids = {sh: sid for sh, (uid, sid) in owners.items() if uid is not None and uid == user_id}
    docs: dict[Key, Document] = {}
    for key, (match, score, dist) in want.items():
        raw = raws.get(key)
        if raw is not None and key[0] in session_ids:
            docs[key] = document(user_id, session_ids[key[0]], decode_stored_dict(raw, cipher), score, dist, match)
    return docs
