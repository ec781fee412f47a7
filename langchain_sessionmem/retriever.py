"""RedisSessionHistoryRetriever: the past messages of a user that matter for the current prompt."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.messages import message_to_dict
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig
from pydantic import ConfigDict, Field, StrictStr, ValidationError

from langchain_sessionmem._cluster import search_plan
from langchain_sessionmem._codec import REBUILDABLE, StoredMessage, content_text, decode_stored
from langchain_sessionmem._keys import SessionKeys, UserKeys, check_id, parse_message_key
from langchain_sessionmem._ops.history import stored_plan
from langchain_sessionmem._ops.steps import Command, EmbedQuery, Pipeline, Plan, Rerank, adrive, drive
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
from langchain_sessionmem._vectors import fingerprint, pack, role_of
from langchain_sessionmem.encryption import UserCipher
from langchain_sessionmem.errors import ConfigError
from langchain_sessionmem.memory import RedisSessionMemory

__all__ = ["RedisSessionHistoryRetriever"]

RRF_K = 60  # reciprocal rank fusion constant (Cormack et al.)
Seed = tuple[tuple[str, int], float, "float | None"]  # ((session digest, seq), score, distance)
_IDS = ("user_id", "session_id")


class RedisSessionHistoryRetriever(BaseRetriever):
    """Finds the past messages of one user that matter for a query: by meaning (vector KNN
    filtered to the user), by words (BM25), or both fused (reciprocal rank fusion).

    Setup:
        A ``RedisSessionMemory`` created with ``embeddings=`` (for similarity and hybrid search)
        and ``setup()`` called once.

    Instantiate:
        .. code-block:: python

            retriever = memory.as_retriever(k=4, search_type="hybrid", neighbors=1, exclude_recent=6)

    Usage:
        .. code-block:: python

            retriever.invoke("give me the avocado one", user_id="alice", session_id="breakfast")
            # or, inside a chain, from the same config RunnableWithMessageHistory reads:
            retriever.invoke("...", config={"configurable": {"user_id": "alice", "session_id": "breakfast"}})

    Each ``Document`` has the message text as ``page_content`` and metadata ``user_id``,
    ``session_id``, ``seq`` (1-based position in its session), ``timestamp`` (ISO, UTC),
    ``type``, ``role``, ``message_id``, ``score`` (higher is better; None for neighbours),
    ``distance`` (cosine, vector hits), ``match`` (``seed``, ``neighbor`` or ``recent``) and
    ``message`` (``message_to_dict`` output, for ``messages_from_dict``).

    Order: with ``order="score"`` seeds come best first, each followed by its neighbours in
    chronological order; with ``order="chronological"`` everything is sorted by time.
    A search only ever reads the one user's data: every query is filtered by the user's digest.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    memory: RedisSessionMemory
    """The memory whose messages are searched."""
    user_id: StrictStr | None = None
    """User whose messages are searched; if None, taken from ``config["configurable"]["user_id"]``."""
    session_id: StrictStr | None = None
    """Current session, for ``exclude_recent``, ``fallback`` and ``all_sessions=False``; if None,
    taken from ``config["configurable"]["session_id"]``."""
    all_sessions: bool = True
    """Search every session of the user (default); False: only the current session."""
    k: int = Field(default=4, ge=1)
    """Number of matching messages (seeds) returned; neighbours come on top of them."""
    search_type: Literal["similarity", "hybrid", "text"] = "hybrid"
    """similarity: vector KNN; text: BM25 full text; hybrid: both, fused by reciprocal rank.
    With encryption at rest the default is similarity (encrypted text cannot be searched)."""
    hybrid_text_weight: float = Field(default=0.5, ge=0, le=1)
    """Weight of the text ranking in hybrid fusion (the vector ranking weighs 1 - this)."""
    fusion_depth: int = Field(default=20, ge=0)
    """Candidates taken from each ranking before fusion and reranking (at least ``k``); 0: ``4 * k``."""
    text_context: bool = False
    """Full-text search also matches each message's speaker name and date (``Maya``, ``May 2023``),
    not only its text. Off by default: with the speaker and date in the embedded text (the default
    ``embed_template``) it measured lower on the hard eval (see the README)."""
    reranker: BaseDocumentCompressor | None = None
    """Any LangChain document compressor (e.g. a cross-encoder): reorders the fused candidates
    (``fusion_depth`` of them, loaded as Documents), and the first ``k`` it returns are kept."""
    distance_threshold: float | None = Field(default=None, ge=0, le=2)
    """Keep vector hits whose cosine distance is at most this (0 identical, 2 opposite)."""
    message_types: tuple[str, ...] | None = None
    """Only these message types (e.g. ``("human",)``); None: every embedded type."""
    since: datetime | None = None
    """Only messages written at or after this time."""
    until: datetime | None = None
    """Only messages written at or before this time."""
    exclude_recent: int = Field(default=0, ge=0)
    """Leave out the last n messages of the current session (the recent window has them)."""
    exclude_from_seq: int | None = Field(default=None, ge=1)
    """Leave out the current session's messages from this sequence number on (``seq`` in the
    results' metadata): what a context window read from that position already shows."""
    neighbors: int = Field(default=0, ge=0)
    """Add n messages before and after each hit from its session (e.g. the answer to a question)."""
    fallback: bool = False
    """When nothing matches, return the current session's last k messages instead."""
    recency_half_life_seconds: float | None = Field(default=None, gt=0)
    """Weight scores by age: a message this old counts half as much. None: no weighting."""
    order: Literal["score", "chronological"] = "score"
    """Result order, see the class docstring."""

    # -- entry points --------------------------------------------------------------------------

    def invoke(self, input: str, config: RunnableConfig | None = None, **kwargs: Any) -> list[Document]:
        return super().invoke(input, config, **_with_config_ids(config, kwargs))

    async def ainvoke(self, input: str, config: RunnableConfig | None = None, **kwargs: Any) -> list[Document]:
        return await super().ainvoke(input, config, **_with_config_ids(config, kwargs))

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        settings = self._settings(kwargs)
        return drive(settings._plan(query), settings.memory._backend.execute)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        settings = self._settings(kwargs)
        return await adrive(settings._plan(query), settings.memory._backend.aexecute)

    def _settings(self, overrides: dict[str, Any]) -> RedisSessionHistoryRetriever:
        """This retriever with per-call overrides (``invoke(q, k=2)``), validated like fields."""
        if not overrides:
            return self
        fields = set(type(self).model_fields) - {"memory", "callbacks", "tags", "metadata"}
        unknown = set(overrides) - fields
        if unknown:
            raise ConfigError(f"unknown retriever option(s) {sorted(unknown)}; options are {sorted(fields)}")
        try:  # only the fields set on this retriever, so unset ones keep their default's meaning
            current = {f: getattr(self, f) for f in self.model_fields_set}
            return type(self).model_validate({**current, **overrides})
        except ValidationError as exc:
            raise ConfigError(f"invalid retriever option: {exc}") from exc

    # -- the search, written once for both APIs ------------------------------------------------

    def _plan(self, query: str) -> Plan[list[Document]]:
        memory, cfg = self.memory, self.memory.config
        if self.user_id is None:
            raise ConfigError(
                "the retriever needs a user_id: pass user_id=... or config={'configurable': {'user_id': ...}}"
            )
        user = UserKeys.of(cfg.key_prefix, check_id("user_id", self.user_id, cfg.max_id_length))
        yield from search_plan(memory._backend.store.facts)  # a cluster without a search coordinator: refused
        encryption = memory._backend.store.encryption
        if encryption is not None and "search_type" not in self.model_fields_set:
            # The default (hybrid) needs full text, which encrypted content does not have.
            return (yield from self.model_copy(update={"search_type": "similarity"})._plan(query))
        if encryption is not None and self.search_type != "similarity":
            raise ConfigError(
                f"search_type={self.search_type!r} needs full-text search, which cannot work on encrypted content "
                "(the index sees no text): use search_type='similarity'"
            )
        cipher = None if encryption is None else encryption.for_user(self.user_id)
        # Stored types are LangChain's (see _codec.REBUILDABLE), all plain words: any other can match
        # nothing, and is left out of the query rather than escaped into it.
        types = tuple(t for t in self.message_types or () if t in REBUILDABLE)
        if self.message_types and not types:
            return []
        session = None
        if self.session_id is not None:
            check_id("session_id", self.session_id, cfg.max_id_length)
            session = SessionKeys.of(cfg.key_prefix, self.user_id, self.session_id)

        exclude_from = None
        if self.exclude_recent and session is not None:
            last = (yield Command("HGET", session.meta, "seq")) or 0
            exclude_from = int(last) - self.exclude_recent + 1
        if self.exclude_from_seq is not None and session is not None:
            exclude_from = min(exclude_from or self.exclude_from_seq, self.exclude_from_seq)
        scope = Scope(
            uh=user.uh,
            sh=None if (self.all_sessions or session is None) else session.sh,
            types=types,
            since_ms=_ms(self.since),
            until_ms=_ms(self.until),
            exclude_session=session.sh if session is not None and exclude_from is not None else None,
            exclude_from_seq=exclude_from,
        )
        plain = self.search_type == "similarity" and not self.recency_half_life_seconds and self.reranker is None
        depth = max(self.k, self.fusion_depth or 4 * self.k)
        fetch = self.k if plain else depth
        searches: list[Command] = []
        if self.search_type in ("similarity", "hybrid"):
            vector = yield EmbedQuery(query)
            fp = fingerprint(memory._backend.store.embedder(), len(vector), cfg)
            blob = pack(vector, cfg.vector_dtype, len(vector))
            searches.append(_knn_search(cfg.vector_index_name, scope, fetch, blob))
        if self.search_type in ("text", "hybrid"):
            text = text_query(scope, text_query_terms(query), self.text_context)
            if text is not None:
                searches.append(
                    Command("FT.SEARCH", cfg.index_name, text, "WITHSCORES", "SCORER", "BM25", "RETURN", 1, "ts",
                            "LIMIT", 0, fetch, "DIALECT", 2)
                )  # fmt: skip
        if searches and not memory._backend.store.facts.index_checked:  # in the same round trip as the search
            info, *replies = yield Pipeline([Command("FT.INFO", cfg.index_name), *searches])
            check_index(info, cfg)
            memory._backend.store.facts.index_checked = True
        else:
            replies = (yield Pipeline(searches)) if searches else []
        kinds = [t for t in ("similarity", "text") if self.search_type in (t, "hybrid")]
        hits = [
            parse_search(reply, with_scores=(kind == "text"))[1] for kind, reply in zip(kinds, replies, strict=False)
        ]
        if kinds[0] == "similarity" and not one_model(hits[0], fp):
            # The nearest vectors include another model's (a reindex is pending): search again among
            # this model's only. Filtering by model up front would double every search's time, and
            # when the nearest `fetch` are all this model's they are this model's nearest `fetch`.
            hits[0] = parse_search((yield _knn_search(cfg.vector_index_name, scope, fetch, blob, fp)))[1]
        seeds = self._rank(list(zip(kinds, hits, strict=False)), self.k if self.reranker is None else depth)

        if not seeds:
            if self.fallback and session is not None:
                target = memory._backend.store.session(self.user_id, session.session_id)
                recent = yield from stored_plan(target, k=self.k)
                return [_document(self.user_id, self.session_id, s, None, None, "recent") for s in recent]
            return []
        if self.reranker is not None:
            seeds = yield from self._rerank(user, seeds, cipher, query)
        return (yield from self._load(user, seeds, cipher, self.neighbors))

    def _rerank(
        self, user: UserKeys, candidates: list[Seed], cipher: UserCipher | None, query: str
    ) -> Plan[list[Seed]]:
        """The reranker's first ``k`` of the fused candidates, in its order."""
        docs = yield from self._load(user, candidates, cipher, 0)
        by_key = {key: (key, score, dist) for key, score, dist in candidates}
        positions = {}  # what a compressor keeps of a document: its metadata's session_id and seq
        for doc in docs:
            key = (doc.metadata.pop("_sh"), doc.metadata["seq"])
            positions[(doc.metadata["session_id"], doc.metadata["seq"])] = by_key[key]
        ranked = yield Rerank(self.reranker, docs, query)
        out: list[Seed] = []
        for doc in ranked:
            seed = positions.get((doc.metadata.get("session_id"), doc.metadata.get("seq")))
            if seed is not None and seed not in out:
                out.append(seed)
            if len(out) == self.k:
                break
        return out

    def _rank(self, searches: list[tuple[str, list[Hit]]], n: int) -> list[Seed]:
        """Best ``n`` (key, score, distance) from the parsed searches (kind, hits), after threshold and recency."""
        scores: dict[tuple[str, int], float] = {}
        distances: dict[tuple[str, int], float] = {}
        stamps: dict[tuple[str, int], int] = {}
        for kind, hits in searches:
            rank = 0
            for hit in hits:
                _, sh, seq = parse_message_key(hit.key)
                key = (sh, seq)
                stamps[key] = int(float(hit.fields.get("ts", 0) or 0))
                if kind == "similarity":
                    if "dist" not in hit.fields:  # the key expired between the index's match and the read
                        continue
                    dist = float(hit.fields["dist"])
                    if self.distance_threshold is not None and dist > self.distance_threshold:
                        continue
                    distances[key] = dist
                    own = 1.0 - dist
                else:
                    own = hit.score or 0.0
                rank += 1
                weight = self.hybrid_text_weight if kind == "text" else 1.0 - self.hybrid_text_weight
                fused = weight / (RRF_K + rank) if self.search_type == "hybrid" else own
                scores[key] = scores.get(key, 0.0) + fused
        if self.recency_half_life_seconds:
            now_ms = time.time() * 1000
            for key in scores:
                age_s = max(0.0, (now_ms - stamps[key]) / 1000)
                scores[key] *= 0.5 ** (age_s / self.recency_half_life_seconds)
        best = sorted(scores, key=lambda key: scores[key], reverse=True)[:n]
        return [(key, scores[key], distances.get(key)) for key in best]

    def _load(
        self, user: UserKeys, seeds: list[Seed], cipher: UserCipher | None, neighbors: int
    ) -> Plan[list[Document]]:
        """Fetch the seeds, their neighbours and their sessions' ids in one round trip."""
        wanted: dict[tuple[str, int], tuple[str, float | None, float | None]] = {}
        for (sh, seq), score, dist in seeds:
            wanted[(sh, seq)] = ("seed", score, dist)
        for (sh, seq), _, _ in seeds:
            for d in range(-neighbors, neighbors + 1):
                if seq + d >= 1:
                    wanted.setdefault((sh, seq + d), ("neighbor", None, None))
        keys = list(wanted)
        sessions = list(dict.fromkeys(sh for sh, _ in keys))
        # JSON.GET per key, not JSON.MGET: see the READ script (ACL checks only MGET's first key).
        cmds: list[Command] = [Command("JSON.GET", f"{user.messages_of(sh)}{seq}", ".") for sh, seq in keys]
        cmds += [Command("HMGET", user.meta_of(sh), "uid", "sid") for sh in sessions]
        replies = yield Pipeline(cmds)
        session_ids = {}
        for sh, (uid, sid) in zip(sessions, replies[len(keys) :], strict=True):
            if uid is not None and _str(uid) == self.user_id:  # expired sessions and collisions drop out
                session_ids[sh] = _str(sid)
        docs: dict[tuple[str, int], Document] = {}
        for key, raw in zip(keys, replies[: len(keys)], strict=True):
            if raw is None or key[0] not in session_ids:
                continue
            match, seed_score, dist = wanted[key]
            stored = decode_stored(raw, cipher)
            docs[key] = _document(self.user_id, session_ids[key[0]], stored, seed_score, dist, match)
            if self.reranker is not None and not neighbors:
                docs[key].metadata["_sh"] = key[0]
        if self.order == "chronological":
            return sorted(docs.values(), key=lambda d: (d.metadata["timestamp_ms"], d.metadata["seq"]))
        out: list[Document] = []
        placed: set[tuple[str, int]] = set()
        for (sh, seq), _, _ in seeds:
            if (sh, seq) not in docs:
                continue
            # The hit first, then its neighbours in chronological order.
            for d in (0, *(d for d in range(-neighbors, neighbors + 1) if d)):
                key = (sh, seq + d)
                if key in docs and key not in placed:
                    placed.add(key)
                    out.append(docs[key])
        return out


def _knn_search(index: str, scope: Scope, fetch: int, blob: bytes, model_fp: str | None = None) -> Command:
    """The KNN FT.SEARCH command: ``fetch`` nearest in ``scope`` (of model ``model_fp`` only, when given),
    returning their distance, time and model fingerprint."""
    query = knn_query(scope, fetch, model_fp)
    return Command("FT.SEARCH", index, query, "PARAMS", 2, "vec", blob, "SORTBY", "dist", "ASC",
                   "RETURN", 3, "dist", "ts", "m", "LIMIT", 0, fetch, "DIALECT", 2)  # fmt: skip


def _with_config_ids(config: RunnableConfig | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    configurable = (config or {}).get("configurable") or {}
    return {**{k: configurable[k] for k in _IDS if configurable.get(k) is not None}, **kwargs}


def _ms(when: datetime | None) -> int | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp() * 1000)


def _str(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _document(
    user_id: str | None, session_id: str | None, stored: StoredMessage, score: float | None,
    distance: float | None, match: str,
) -> Document:  # fmt: skip
    message = stored.message
    return Document(
        page_content=content_text(message.content),
        metadata={
            "user_id": user_id,
            "session_id": session_id,
            "seq": stored.seq,
            "timestamp": datetime.fromtimestamp(stored.timestamp_ms / 1000, tz=timezone.utc).isoformat(),
            "timestamp_ms": stored.timestamp_ms,
            "type": message.type,
            "role": role_of(message),
            "message_id": message.id,
            "score": score,
            "distance": distance,
            "match": match,
            "message": message_to_dict(message),
        },
    )
