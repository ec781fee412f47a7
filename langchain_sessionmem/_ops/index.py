"""Setting up a memory's server side: modules, eviction policy, the message index and the vector
index (created, verified, migrated, dropped). Plans over a ``Store`` (see target.py)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from langchain_sessionmem import _cluster
from langchain_sessionmem._ops.server import policy_plan
from langchain_sessionmem._ops.steps import Command, EmbedQuery, Pause, Plan
from langchain_sessionmem._ops.target import Store
from langchain_sessionmem._search import (
    MIGRATIONS,
    check_index,
    check_vector_index,
    create_index_args,
    create_vector_index_args,
    expected_signature,
    parse_search,
    schema_signature,
    still_indexing,
    vector_index_dims,
)
from langchain_sessionmem._vectors import fingerprint
from langchain_sessionmem.errors import (
    EvictionPolicyWarning,
    IndexExistsError,
    IndexFieldExistsError,
    IndexMissingError,
    IndexSchemaMismatchError,
    MissingVectorsWarning,
)

SCAN_POLLS = 100  # x 0.05 s: how long setup() waits for a new index to scan the existing keys


def setup_plan(store: Store) -> Plan[list[Warning]]:
    """Check the modules, create or verify (and migrate) the indexes; what the caller should warn about."""
    cfg, facts = store.config, store.facts
    found: list[Warning] = []
    # A cluster: modules and eviction policy of every primary, and search across shards.
    cluster, policy = yield from _cluster.setup_plan(facts)
    if not cluster:
        # Probe RedisJSON (an unknown command is translated to ModulesMissingError); FT.INFO below
        # probes RediSearch. Not FT._LIST: an admin command on Redis 8 that lists every index.
        yield Command("JSON.TYPE", f"{cfg.key_prefix}probe")
        policy = yield from policy_plan(facts)
    if policy is not None and (
        policy.startswith("allkeys") or (policy.startswith("volatile") and (cfg.ttl_ms or cfg.max_age_ms))
    ):
        found.append(
            EvictionPolicyWarning(
                f"Redis at {facts.url} has maxmemory-policy {policy}: when it reaches maxmemory it "
                f"deletes keys{' that have a TTL' if policy.startswith('volatile') else ''}, chat history "
                "included, without telling anyone. Set `maxmemory-policy noeviction` (redis.conf, or CONFIG "
                "SET maxmemory-policy noeviction) so a full server refuses writes with an error instead, or "
                "give the history a server of its own"
            )
        )
    info: Any = None
    try:
        info = yield Command("FT.INFO", cfg.index_name)
    except IndexMissingError:
        try:
            yield Command(*create_index_args(cfg))
        except IndexExistsError:  # another process created it first: verify theirs
            info = yield Command("FT.INFO", cfg.index_name)
    if info is not None:
        have, want = schema_signature(info), expected_signature(cfg)
        if have[:2] == want[:2] and have[2] in MIGRATIONS:  # an older version's index: add the new fields
            with suppress(IndexFieldExistsError):  # another process migrated it first
                yield Command("FT.ALTER", cfg.index_name, *MIGRATIONS[have[2]])
            info = yield Command("FT.INFO", cfg.index_name)
        check_index(info, cfg)
    facts.index_checked = True
    if store.embeddings is None:
        return found
    dims = yield from dims_plan(store)
    current = yield from vector_index_plan(store)
    if current is None:
        current = yield from create_vector_index_plan(store, dims)
    if current != (dims, cfg.vector_dtype, cfg.vector_algorithm):
        raise IndexSchemaMismatchError(
            f"vector index {cfg.vector_index_name!r} holds {current!r} (dims, type, algorithm) but the "
            f"embeddings and config give {(dims, cfg.vector_dtype, cfg.vector_algorithm)!r}: the embedding model "
            "changed. Run memory.reindex(), which rebuilds the vector index and re-embeds every message"
        )
    missing = yield from missing_vectors_plan(store, dims)
    if missing:
        found.append(
            MissingVectorsWarning(
                f"{missing} stored message{'s' if missing != 1 else ''} under key_prefix {cfg.key_prefix!r} "
                f"{'have' if missing != 1 else 'has'} no vector from this embedding model (written before "
                "embeddings were configured, while the embedding call failed, or with another model), so "
                "similarity search cannot find them. "
                "Run memory.reindex() (or await memory.areindex()) once to embed them"
            )
        )
    return found


def missing_vectors_plan(store: Store, dims: int) -> Plan[int]:
    """How many stored messages have no vector from this model (embeddings added to a memory that
    had none, failed embedding calls, a new model): search cannot find them yet."""
    cfg = store.config
    if not cfg.embed_message_types:
        return 0
    fp = fingerprint(store.embedder(), dims, cfg)
    types = "|".join(sorted(cfg.embed_message_types))
    # An index just created (or an old one migrated) scans the existing keys in the background:
    # counted before the scan ends, missing vectors would go unreported. Wait for it, briefly.
    for _ in range(SCAN_POLLS):
        if not still_indexing((yield Command("FT.INFO", cfg.index_name))):
            break
        yield Pause(0.05)
    query = f"@type:{{{types}}} -@emb:{{{fp}}}"
    reply = yield Command("FT.SEARCH", cfg.index_name, query, "LIMIT", 0, 0, "DIALECT", 2)
    return parse_search(reply, no_content=True)[0]


def dims_plan(store: Store) -> Plan[int]:
    """The embedding size: ``config.vector_dims``, else measured with one ``embed_query``."""
    if store.config.vector_dims is not None:
        return store.config.vector_dims
    return len((yield EmbedQuery("dimension probe")))


def vector_index_plan(store: Store) -> Plan[tuple[int, str, str] | None]:
    """(dims, type, algorithm) of the vector index, None when there is none."""
    try:
        info = yield Command("FT.INFO", store.config.vector_index_name)
    except IndexMissingError:
        return None
    check_vector_index(info, store.config)  # never rebuild (drop) another memory's vector index
    return vector_index_dims(info)


def create_vector_index_plan(store: Store, dims: int) -> Plan[tuple[int, str, str] | None]:
    """Create the vector index; (dims, type, algorithm) of the index now there."""
    try:
        yield Command(*create_vector_index_args(store.config, dims))
    except IndexExistsError:  # another process created it first: verify theirs
        return (yield from vector_index_plan(store))
    return dims, store.config.vector_dtype, store.config.vector_algorithm


def drop_plan(store: Store) -> Plan[None]:
    for name in (store.config.index_name, store.config.vector_index_name):
        with suppress(IndexMissingError):
            yield Command("FT.DROPINDEX", name)
