"""RedisSessionMemory: the entry point. Owns clients and config, sets up the index, hands out
histories, wires RunnableWithMessageHistory, and administers users and sessions."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TextIO

import redis
import redis.asyncio as aredis
from langchain_core.embeddings import Embeddings
from langchain_core.messages import BaseMessage, SystemMessage
from langchain_core.runnables import Runnable
from langchain_core.runnables.history import RunnableWithMessageHistory
from langchain_core.runnables.utils import ConfigurableFieldSpec
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from langchain_sessionmem import _cluster
from langchain_sessionmem._backend import Backend
from langchain_sessionmem._codec import check_messages
from langchain_sessionmem._keys import DIGEST_HEX, UserKeys, check_id, thread_id_of
from langchain_sessionmem._ops.server import policy_plan
from langchain_sessionmem._ops.steps import Command, EmbedQuery, Plan, Script, adrive, call, drive
from langchain_sessionmem._records import check_stream, dumps, parse_lines
from langchain_sessionmem._search import (
    MIGRATIONS,
    check_index,
    check_vector_index,
    create_index_args,
    create_vector_index_args,
    expected_signature,
    parse_search,
    schema_signature,
    vector_index_dims,
)
from langchain_sessionmem._tokens import messages_tokens, text_counter
from langchain_sessionmem._transfer import (
    IfExists,
    TransferStats,
    export_plan,
    import_plan,
    progress_bar,
    refuse_existing_plan,
    reindex_plan,
    rotate_plan,
    users_plan,
)
from langchain_sessionmem._vectors import fingerprint
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption
from langchain_sessionmem.errors import (
    ConfigError,
    EvictionPolicyWarning,
    IdCollisionError,
    IndexMissingError,
    IndexSchemaMismatchError,
    MissingVectorsWarning,
)
from langchain_sessionmem.history import ContextWindow, RedisSessionHistory, Snapshot, _check_count

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from langchain_sessionmem.agents import SessionMemoryMiddleware
    from langchain_sessionmem.retriever import RedisSessionHistoryRetriever

__all__ = ["RedisSessionMemory", "SessionInfo", "SessionPage", "TransferStats"]


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One session of a user, as listed by ``list_sessions`` and ``get_session``."""

    user_id: str
    session_id: str
    created_at: datetime
    last_active: datetime
    message_count: int
    token_count: int = 0
    """Tokens of the stored messages (``config.tokenizer``), maintained on write."""
    title: str | None = None
    """Set by ``update_session``, else the start of the first human message."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form JSON metadata set by ``update_session``."""
    instructions: str | None = None
    """The session's own system instructions (not the user's default)."""


class SessionPage(list[SessionInfo]):
    """A page of ``list_sessions``: a list of SessionInfo, plus the cursor of the next page."""

    next_cursor: str | None
    """Pass to ``list_sessions(cursor=...)`` for the next page; None on the last page."""

    def __init__(self, sessions: list[SessionInfo], next_cursor: str | None) -> None:
        super().__init__(sessions)
        self.next_cursor = next_cursor


_UNSET: Any = object()
_DEFAULT_WINDOW = ContextWindow()


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _ms_to_dt(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)


@contextmanager
def _text_file(target: str | os.PathLike[str] | TextIO, mode: str) -> Iterator[TextIO]:
    if isinstance(target, (str, os.PathLike)):
        with open(target, mode, encoding="utf-8", newline="\n") as fp:
            yield fp  # type: ignore[misc]
    else:
        yield target


def _writer(fp: TextIO) -> Callable[[dict[str, Any]], None]:
    def write(record: dict[str, Any]) -> None:
        fp.write(dumps(record) + "\n")

    return write


def _parse_cursor(cursor: str | None) -> tuple[str, str]:
    if cursor is None:
        return "", ""
    score, _, sh = cursor.partition(".") if isinstance(cursor, str) else ("", "", "")
    if not (score.isdigit() and len(sh) == DIGEST_HEX and all(c in "0123456789abcdef" for c in sh)):
        raise ConfigError(f"cursor {cursor!r:.80} is not one list_sessions returned; pass its next_cursor or None")
    return score, sh


def _metadata_json(metadata: Any, max_bytes: int) -> str:
    if metadata is None:
        return ""
    if not isinstance(metadata, dict) or not all(isinstance(k, str) for k in metadata):
        raise ConfigError(f"metadata must be a dict with str keys or None, got {metadata!r:.80}")
    try:
        raw = json.dumps(metadata, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        raw.encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"metadata must be JSON-serialisable: {exc}") from exc
    if len(raw.encode("utf-8")) > max_bytes:
        raise ConfigError(f"metadata encodes to {len(raw.encode())} bytes, above max_message_bytes={max_bytes}")
    return raw if metadata else ""


def _is_missing_index(exc: Exception) -> bool:
    return isinstance(exc, IndexMissingError)


class RedisSessionMemory:
    """Per-user, per-session chat memory on Redis (RedisJSON documents + a RediSearch index).

    Setup:
        .. code-block:: bash

            pip install .      # from the source folder; then a Redis Stack 7.4+ or Redis 8
            export REDIS_URL=redis://localhost:6379/0   # a server with RedisJSON and RediSearch

    Instantiate:
        .. code-block:: python

            from langchain_sessionmem import RedisSessionMemory, SessionMemConfig

            memory = RedisSessionMemory("redis://localhost:6379/0", config=SessionMemConfig(ttl_seconds=86400))
            memory.setup()     # once per deployment; idempotent, safe to run from many processes

    Use with RunnableWithMessageHistory:
        .. code-block:: python

            chain = memory.with_message_history(prompt | model, input_messages_key="question",
                                                history_messages_key="history")
            chain.invoke({"question": "hi"},
                         config={"configurable": {"user_id": "alice", "session_id": "s1"}})

    Constructing the memory and its histories does no I/O; clients connect on first use. The
    async API works on any event loop (each ``asyncio.run``, a loop per thread): a memory built
    from a URL opens one async client per loop. ``with RedisSessionMemory(url) as memory:`` (or
    ``async with``) closes what it opened on exit.
    """

    def __init__(
        self,
        redis_url: str | None = None,
        *,
        client: redis.Redis | RedisCluster | None = None,
        async_client: aredis.Redis | AsyncRedisCluster | None = None,
        config: SessionMemConfig | None = None,
        embeddings: Embeddings | None = None,
        encryption: ContentEncryption | None = None,
    ) -> None:
        """Create the memory; no I/O happens here.

        Args:
            redis_url: Server URL (``redis://``, ``rediss://``, ``unix://``; for a Redis Cluster
                ``redis+cluster://host:port`` or ``rediss+cluster://``, any node). Defaults to
                ``$REDIS_URL``, then ``redis://localhost:6379/0``. Sync and async clients are
                built from it lazily.
            client: A ``redis.Redis`` (or ``redis.cluster.RedisCluster``) to use for the sync API
                instead of one built from the URL.
            async_client: A ``redis.asyncio.Redis`` (or ``redis.asyncio.cluster.RedisCluster``)
                for the async API. A redis.asyncio client belongs to one event loop: this one is
                used on the loop it is first used on, and a call from another loop raises
                ConfigError. Pass ``redis_url`` to use the async API on several loops.
            config: Key prefix, index name, TTLs and limits shared by everything this memory makes.
            embeddings: Any LangChain ``Embeddings``; when set, messages are embedded on write
                and ``as_retriever`` can search them by meaning.
            encryption: Seal message content and summaries at rest with per-user keys
                (``langchain_sessionmem.encryption``); full-text search is then unavailable.
        """
        self._backend = Backend(redis_url, client, async_client, config, embeddings, encryption)

    @property
    def config(self) -> SessionMemConfig:
        """The settings this memory and its histories use."""
        return self._backend.config

    def __repr__(self) -> str:
        return f"RedisSessionMemory({self._backend.url!r}, index_name={self.config.index_name!r})"

    # -- setup ---------------------------------------------------------------------------------

    def _setup_plan(self) -> Plan[None]:
        cfg = self.config
        # A cluster: modules and eviction policy of every primary, and search across shards.
        cluster, policy = yield from _cluster.setup_plan(self._backend.store.facts)
        if not cluster:
            # Probe RedisJSON (an unknown command is translated to ModulesMissingError); FT.INFO below
            # probes RediSearch. Not FT._LIST: an admin command on Redis 8 that lists every index.
            yield Command("JSON.TYPE", f"{cfg.key_prefix}probe")
            policy = yield from policy_plan(self._backend.store.facts)
        if policy is not None and (
            policy.startswith("allkeys") or (policy.startswith("volatile") and (cfg.ttl_ms or cfg.max_age_ms))
        ):
            warnings.warn(
                EvictionPolicyWarning(
                    f"Redis at {self._backend.url} has maxmemory-policy {policy}: when it reaches maxmemory it "
                    f"deletes keys{' that have a TTL' if policy.startswith('volatile') else ''}, chat history "
                    "included, without telling anyone. Set `maxmemory-policy noeviction` (redis.conf, or CONFIG "
                    "SET maxmemory-policy noeviction) so a full server refuses writes with an error instead, or "
                    "give the history a server of its own"
                ),
                stacklevel=4,
            )
        info: Any = None
        try:
            info = yield Command("FT.INFO", cfg.index_name)
        except Exception as exc:
            if not _is_missing_index(exc):
                raise
            try:
                yield Command(*create_index_args(cfg))
            except Exception as exc2:  # another process created it first: verify theirs
                if "already exists" not in str(exc2).lower():
                    raise
                info = yield Command("FT.INFO", cfg.index_name)
        if info is not None:
            found, want = schema_signature(info), expected_signature(cfg)
            if found[:2] == want[:2] and found[2] in MIGRATIONS:  # an older version's index: add the new fields
                try:
                    yield Command("FT.ALTER", cfg.index_name, *MIGRATIONS[found[2]])
                except Exception as exc:  # another process migrated it first
                    if "duplicate" not in str(exc).lower():
                        raise
                info = yield Command("FT.INFO", cfg.index_name)
            check_index(info, cfg)
        self._backend.store.facts.index_checked = True
        if self._backend.store.embeddings is None:
            return
        dims = yield from self._dims_plan()
        current = yield from self._vector_index_plan()
        if current is None:
            yield from self._create_vector_index_plan(dims)
        elif current != (dims, cfg.vector_dtype, cfg.vector_algorithm):
            raise IndexSchemaMismatchError(
                f"vector index {cfg.vector_index_name!r} holds {current!r} (dims, type, algorithm) but the "
                f"embeddings and config give {(dims, cfg.vector_dtype, cfg.vector_algorithm)!r}: the embedding model "
                "changed. Run memory.reindex(), which rebuilds the vector index and re-embeds every message"
            )
        yield from self._missing_vectors_plan(dims)

    def _missing_vectors_plan(self, dims: int) -> Plan[None]:
        """Warn when stored messages have no vector from this model (embeddings added to a memory
        that had none, failed embedding calls, a new model): search cannot find them yet."""
        cfg = self.config
        if not cfg.embed_message_types:
            return
        fp = fingerprint(self._backend.store.embedder(), dims, cfg)
        types = "|".join(sorted(cfg.embed_message_types))
        reply = yield Command(
            "FT.SEARCH", cfg.index_name, f"@type:{{{types}}} -@emb:{{{fp}}}", "LIMIT", 0, 0, "DIALECT", 2
        )
        missing, _ = parse_search(reply, no_content=True)
        if missing:
            warnings.warn(
                MissingVectorsWarning(
                    f"{missing} stored message{'s' if missing != 1 else ''} under key_prefix {cfg.key_prefix!r} "
                    f"{'have' if missing != 1 else 'has'} no vector from this embedding model (written before "
                    "embeddings were configured, while the embedding call failed, or with another model), so "
                    "similarity search cannot find them. "
                    "Run memory.reindex() (or await memory.areindex()) once to embed them"
                ),
                stacklevel=4,
            )

    def _dims_plan(self) -> Plan[int]:
        if self.config.vector_dims is not None:
            return self.config.vector_dims
        return len((yield EmbedQuery("dimension probe")))

    def _vector_index_plan(self) -> Plan[tuple[int, str, str] | None]:
        try:
            info = yield Command("FT.INFO", self.config.vector_index_name)
        except Exception as exc:
            if not _is_missing_index(exc):
                raise
            return None
        check_vector_index(info, self.config)  # never rebuild (drop) another memory's vector index
        return vector_index_dims(info)

    def _create_vector_index_plan(self, dims: int) -> Plan[None]:
        try:
            yield Command(*create_vector_index_args(self.config, dims))
        except Exception as exc:  # created by another process meanwhile
            if "already exists" not in str(exc).lower():
                raise

    def setup(self) -> None:
        """Check the server has RedisJSON and RediSearch; create the index or verify its schema.

        Idempotent and safe when many processes call it at once.

        With embeddings, also creates or verifies the vector index (one ``embed_query`` call
        measures the dimension unless ``config.vector_dims`` is set).

        On a Redis Cluster, checks every primary, and creates the indexes once when the server
        coordinates search across shards (Redis 8, Redis Software / Cloud).

        Raises:
            ModulesMissingError: The server lacks RedisJSON or RediSearch.
            IndexSchemaMismatchError: An index of this name exists with another schema, or the
                vector index was built for another embedding size (run ``reindex()``).
            RedisUnavailableError: The server cannot be reached.
            ClusterClientError: A plain client (``redis://`` URL) points at a Redis Cluster node.
            SearchUnavailableError: A Redis Cluster whose RediSearch cannot search across shards
                (Redis Stack 7.x); the history works there without ``setup()``.
        """
        drive(self._setup_plan(), self._backend.execute)

    async def asetup(self) -> None:
        """Async twin of ``setup``."""
        await adrive(self._setup_plan(), self._backend.aexecute)

    # -- histories -----------------------------------------------------------------------------

    def history(self, user_id: str, session_id: str, *, window: ContextWindow | None = None) -> RedisSessionHistory:
        """The history of one user's session. No I/O.

        Args:
            user_id: The user.
            session_id: The session, scoped to the user.
            window: When set, the history's ``messages`` is this context (instructions, summary
                and the trimmed recent window) instead of every message.

        Raises:
            InvalidIdError: An id is not a non-empty str within ``config.max_id_length``.
        """
        return RedisSessionHistory(user_id, session_id, window=window, backend=self._backend)

    @property
    def embeddings(self) -> Embeddings | None:
        """The embeddings messages are embedded with on write, if any."""
        return self._backend.store.embeddings

    def as_retriever(self, **kwargs: Any) -> RedisSessionHistoryRetriever:
        """A retriever over this memory's messages; ``kwargs`` are its fields (``user_id``,
        ``session_id``, ``k``, ``search_type``, ...), see RedisSessionHistoryRetriever."""
        from langchain_sessionmem.retriever import RedisSessionHistoryRetriever

        return RedisSessionHistoryRetriever(memory=self, **kwargs)

    # -- LangChain 1.x agents (the ``agents`` extra) -------------------------------------------

    def middleware(self, **options: Any) -> SessionMemoryMiddleware:
        """A ``create_agent`` middleware giving the agent this memory, per user and session:
        ``create_agent(model, tools, middleware=[memory.middleware(max_tokens=4000)])``.
        ``options`` are ``SessionMemoryMiddleware``'s (``max_tokens``, ``k``, ``recall``,
        ``search_tool``, ``summary_model``, ...). Needs ``langchain>=1.5`` (extra ``agents``)."""
        from langchain_sessionmem.agents import SessionMemoryMiddleware

        return SessionMemoryMiddleware(self, **options)

    def search_tool(self, **retriever_options: Any) -> BaseTool:
        """A LangChain tool that searches the current user's earlier messages (``search_memory``).

        The user and session come from each run (context, ``config["configurable"]`` or the
        thread), never from the model's arguments. It returns the hits as text and the documents
        as the tool message's artifact. ``retriever_options`` are the retriever's fields (``k``,
        ``search_type``, ``neighbors``, ...). Needs ``langchain>=1.5`` (extra ``agents``)."""
        from langchain_sessionmem.agents import make_search_tool

        return make_search_tool(self, **retriever_options)

    def thread_id(self, user_id: str, session_id: str) -> str:
        """The LangGraph thread id for ``(user_id, session_id)``: scoped to the user, so two users'
        sessions "default" never share a checkpointer thread. The middleware reads the session back
        from it when a run gives no session_id."""
        n = self.config.max_id_length
        return thread_id_of(check_id("user_id", user_id, n), check_id("session_id", session_id, n))

    # -- reindex -------------------------------------------------------------------------------

    def reindex(
        self, *, batch_size: int = 256, progress: bool | Callable[[int, int], None] = True, verify: bool = False
    ) -> int:
        """Embed every message that has no vector from the current model, in batches.

        Fills in messages whose embedding failed on write (marked pending), messages written
        before embeddings were configured, and, after a change of embedding model, dimension or
        template, every message (the vector index is rebuilt when the dimension changes). Queries
        never mix vectors of two models: each vector is tagged with its model's fingerprint.

        Each vector is also marked with a digest of the text it was made from. ``verify=True``
        then reads every message once more and re-embeds those whose vector was not made from
        their own text. Run it once after upgrading from 0.1.0, whose ``reindex()`` could give
        the messages of a batch that spanned sessions each other's vectors: vectors written
        before this version carry no digest, so that first run re-embeds all of them; later runs
        call the model only for vectors that do not match. Messages stored with encryption get
        no digest (it would let anyone who reads Redis confirm a guessed message).

        Args:
            batch_size: Messages per ``embed_documents`` call.
            progress: True prints a progress line to stderr; or a callback ``(done, total)``
                (with ``verify``, the check then reports ``(checked, total)``).
            verify: Also check every vector of the current model against its message's text.

        Returns:
            The number of messages embedded (or re-embedded).
        """
        plan = reindex_plan(self, batch_size, progress_bar(progress, "reindex"), verify)
        return drive(plan, self._backend.execute)

    async def areindex(
        self, *, batch_size: int = 256, progress: bool | Callable[[int, int], None] = True, verify: bool = False
    ) -> int:
        """Async twin of ``reindex`` (uses ``aembed_documents``)."""
        plan = reindex_plan(self, batch_size, progress_bar(progress, "reindex"), verify)
        return await adrive(plan, self._backend.aexecute)

    def get_session_history(self, user_id: str, session_id: str) -> RedisSessionHistory:
        """Factory for RunnableWithMessageHistory; its parameter names match the field specs."""
        return self.history(user_id, session_id)

    @property
    def history_factory_config(self) -> list[ConfigurableFieldSpec]:
        """The ``user_id`` and ``session_id`` fields a chain is configured with."""
        return [
            ConfigurableFieldSpec(
                id="user_id",
                annotation=str,
                name="User ID",
                description="Unique identifier of the user whose memory is used.",
                default="",
                is_shared=True,
            ),
            ConfigurableFieldSpec(
                id="session_id",
                annotation=str,
                name="Session ID",
                description="Identifier of the conversation, unique per user.",
                default="",
                is_shared=True,
            ),
        ]

    def with_message_history(
        self, runnable: Runnable[Any, Any], *, window: ContextWindow | None = _DEFAULT_WINDOW, **kwargs: Any
    ) -> RunnableWithMessageHistory:
        """Wrap ``runnable`` so each call reads and extends the configured user's session.

        Args:
            runnable: The chain or model to give memory to.
            window: What the chain sees of the session. The default prepends the effective
                instructions and the running summary (when there are any) to every message after
                the summary; ``ContextWindow(max_tokens=3000)`` also trims to a token budget;
                None passes every stored message and nothing else.
            **kwargs: Passed to RunnableWithMessageHistory (``input_messages_key``,
                ``history_messages_key``, ``output_messages_key``).
        """
        if window is not None and not isinstance(window, ContextWindow):
            raise ConfigError(f"window must be a ContextWindow or None, got {type(window).__name__}")

        def factory(user_id: str, session_id: str) -> RedisSessionHistory:
            return self.history(user_id, session_id, window=window)

        return RunnableWithMessageHistory(
            runnable,
            factory,
            history_factory_config=self.history_factory_config,
            **kwargs,
        )

    # -- administration ------------------------------------------------------------------------

    def _user(self, user_id: str) -> UserKeys:
        return UserKeys.of(self.config.key_prefix, check_id("user_id", user_id, self.config.max_id_length))

    def _user_call(self, user_id: str) -> Script:
        u = self._user(user_id)
        args = [user_id, u.meta_prefix, u.message_prefix, u.vector_prefix, u.ids_prefix]
        return Script("delete_user", [u.sessions, u.user], args)

    def _list_call(self, user_id: str, limit: int | None, cursor: str | None) -> Script:
        u = self._user(user_id)
        n = _check_count("limit", limit, optional=True)
        if n == 0:
            raise ConfigError("limit must be None or an int >= 1, got 0")
        score, sh = _parse_cursor(cursor)
        return Script("list_sessions", [u.sessions, u.user], [user_id, u.meta_prefix, u.message_prefix, score, sh, n])

    @staticmethod
    def _info(user_id: str, row: list[Any]) -> SessionInfo:
        sid, created, last, count, tokens, title, meta, instr = (_text(v) for v in row)
        return SessionInfo(
            user_id,
            sid,
            _ms_to_dt(created),
            _ms_to_dt(last),
            int(count),
            int(tokens),
            title or None,
            json.loads(meta) if meta else {},
            instr or None,
        )

    @classmethod
    def _page_of(cls, user_id: str, reply: list[Any]) -> SessionPage:
        score, sh = _text(reply[0]), _text(reply[1])
        rows = [cls._info(user_id, reply[i : i + 8]) for i in range(2, len(reply), 8)]
        return SessionPage(rows, f"{int(float(score))}.{sh}" if score else None)

    def list_sessions(self, user_id: str, *, limit: int | None = None, cursor: str | None = None) -> SessionPage:
        """The user's live sessions, most recently active first. One round trip.

        Args:
            user_id: Whose sessions.
            limit: Page size; None returns every session.
            cursor: ``next_cursor`` of the previous page. Sessions that become active while you
                page move to the front, so they show up again on a new first page, not later.

        Returns:
            A list of SessionInfo with a ``next_cursor`` attribute (None on the last page).
        """
        return self._page_of(user_id, self._backend.run(call(self._list_call(user_id, limit, cursor))))

    async def alist_sessions(self, user_id: str, *, limit: int | None = None, cursor: str | None = None) -> SessionPage:
        """Async twin of ``list_sessions``."""
        return self._page_of(user_id, await self._backend.arun(call(self._list_call(user_id, limit, cursor))))

    def _session_call(self, user_id: str, session_id: str) -> Script:
        h = self.history(user_id, session_id)
        return Script("session_info", [h._keys.meta], h._ids())

    def get_session(self, user_id: str, session_id: str) -> SessionInfo | None:
        """One session's SessionInfo, or None if it does not exist. One round trip."""
        row = self._backend.run(call(self._session_call(user_id, session_id)))
        return self._info(user_id, row) if row else None

    async def aget_session(self, user_id: str, session_id: str) -> SessionInfo | None:
        """Async twin of ``get_session``."""
        row = await self._backend.arun(call(self._session_call(user_id, session_id)))
        return self._info(user_id, row) if row else None

    def _set_session_call(self, user_id: str, session_id: str, fields: dict[str, Any]) -> Script:
        keys = self.history(user_id, session_id)._keys
        args: list[Any] = [user_id, session_id, keys.sh, self.config.ttl_ms]
        for name, value in fields.items():
            args += [name, value]
        return Script("set_session", [keys.meta, keys.user.sessions, keys.user.user], args)

    def _update_fields(self, title: Any, metadata: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if title is not _UNSET:
            if title is not None and (not isinstance(title, str) or not title.strip()):
                raise ConfigError(f"title must be a non-empty str or None, got {title!r}")
            fields["title"] = title or ""
        if metadata is not _UNSET:
            fields["meta"] = _metadata_json(metadata, self.config.max_message_bytes)
        return fields

    def update_session(
        self, user_id: str, session_id: str, *, title: str | None = _UNSET, metadata: dict[str, Any] | None = _UNSET
    ) -> None:
        """Set a session's title and/or metadata (creating the session if needed). History is untouched.

        Args:
            user_id: The session's user.
            session_id: The session.
            title: A title to show in lists; None goes back to the automatic one (the first human
                message of later writes).
            metadata: A JSON-serialisable dict replacing the current metadata; None or {} clears it.

        Raises:
            ConfigError: A value is of the wrong type, not JSON, or above ``config.max_message_bytes``.
        """
        fields = self._update_fields(title, metadata)
        if fields:
            self._backend.run(call(self._set_session_call(user_id, session_id, fields)))

    async def aupdate_session(
        self, user_id: str, session_id: str, *, title: str | None = _UNSET, metadata: dict[str, Any] | None = _UNSET
    ) -> None:
        """Async twin of ``update_session``."""
        fields = self._update_fields(title, metadata)
        if fields:
            await self._backend.arun(call(self._set_session_call(user_id, session_id, fields)))

    # -- system instructions -------------------------------------------------------------------

    def _instructions_call(self, user_id: str, instructions: str | None, session_id: str | None) -> Script:
        if instructions is not None:
            if not isinstance(instructions, str) or not instructions.strip():
                raise ConfigError(f"instructions must be a non-empty str (None clears them), got {instructions!r:.80}")
            size = len(instructions.encode("utf-8", "surrogatepass"))
            if size > self.config.max_message_bytes:
                raise ConfigError(
                    f"instructions are {size} bytes, above max_message_bytes={self.config.max_message_bytes}"
                )
        text = instructions or ""
        tokens = self.count_tokens([SystemMessage(text)]) if text else ""
        if session_id is not None:
            return self._set_session_call(user_id, session_id, {"instr": text, "itok": tokens})
        u = self._user(user_id)
        return Script("set_user", [u.user, u.sessions], [user_id, text, tokens])

    def set_instructions(self, user_id: str, instructions: str | None, *, session_id: str | None = None) -> None:
        """Set (or with None clear) system instructions: the user's default, or one session's override.

        A session uses its own instructions if it has some, else its user's. They are stored
        beside the history, never in it: changing them rewrites nothing, and the next
        ``get_context`` (or chain call through ``with_message_history``) uses the new text. The
        user's default outlives the TTL of the user's sessions; ``delete_user`` erases it.

        Raises:
            ConfigError: ``instructions`` is not a non-empty str or None, or is too large.
        """
        self._backend.run(call(self._instructions_call(user_id, instructions, session_id)))

    async def aset_instructions(self, user_id: str, instructions: str | None, *, session_id: str | None = None) -> None:
        """Async twin of ``set_instructions``."""
        await self._backend.arun(call(self._instructions_call(user_id, instructions, session_id)))

    def clear_instructions(self, user_id: str, *, session_id: str | None = None) -> None:
        """Remove the user's default instructions, or one session's override."""
        self.set_instructions(user_id, None, session_id=session_id)

    async def aclear_instructions(self, user_id: str, *, session_id: str | None = None) -> None:
        """Async twin of ``clear_instructions``."""
        await self.aset_instructions(user_id, None, session_id=session_id)

    def _get_instructions_plan(self, user_id: str, session_id: str | None) -> Plan[str | None]:
        if session_id is not None:
            h = self.history(user_id, session_id)
            return Snapshot.of((yield h._read_call(0, flags="i"))).instructions
        u = self._user(user_id)
        owner, text = yield Command("HMGET", u.user, "uid", "instr")
        if owner is not None and _text(owner) != user_id:
            raise IdCollisionError("two different user ids map to the same Redis keys; nothing was read")
        return _text(text) if text is not None else None

    def get_instructions(self, user_id: str, session_id: str | None = None) -> str | None:
        """The instructions in effect: the session's own, else the user's default; None if neither.
        Without ``session_id``, the user's default."""
        return drive(self._get_instructions_plan(user_id, session_id), self._backend.execute)

    async def aget_instructions(self, user_id: str, session_id: str | None = None) -> str | None:
        """Async twin of ``get_instructions``."""
        return await adrive(self._get_instructions_plan(user_id, session_id), self._backend.aexecute)

    def count_tokens(self, messages: Sequence[BaseMessage]) -> int:
        """Tokens of ``messages`` as this memory counts them (``config.tokenizer``). No I/O."""
        return messages_tokens(check_messages(messages), text_counter(self.config.tokenizer))

    def _delete_session_call(self, user_id: str, session_id: str) -> Script:
        return self.history(user_id, session_id)._clear_call(drop_session=True)

    def delete_session(self, user_id: str, session_id: str, *, checkpointer: Any = None) -> int:
        """Delete one session and its messages. Returns the number of messages deleted.

        Args:
            checkpointer: A LangGraph checkpointer (``InMemorySaver``, ``RedisSaver``, ...): its
                thread ``thread_id(user_id, session_id)`` is deleted too.
        """
        n = int(self._backend.run(call(self._delete_session_call(user_id, session_id))))
        if checkpointer is not None:
            checkpointer.delete_thread(self.thread_id(user_id, session_id))
        return n

    async def adelete_session(self, user_id: str, session_id: str, *, checkpointer: Any = None) -> int:
        """Async twin of ``delete_session`` (calls the checkpointer's ``adelete_thread``)."""
        n = int(await self._backend.arun(call(self._delete_session_call(user_id, session_id))))
        if checkpointer is not None:
            await checkpointer.adelete_thread(self.thread_id(user_id, session_id))
        return n

    def delete_user(self, user_id: str, *, checkpointer: Any = None) -> int:
        """Erase every session, message and setting of ``user_id``, and nothing of anyone else.

        Args:
            checkpointer: A LangGraph checkpointer: the threads ``thread_id(user_id, s)`` of the
                user's stored sessions ``s`` are deleted too.

        Returns:
            The number of messages deleted.
        """
        sessions = [] if checkpointer is None else [s.session_id for s in self.list_sessions(user_id)]
        n = int(self._backend.run(call(self._user_call(user_id)))[1])
        for session_id in sessions:
            checkpointer.delete_thread(self.thread_id(user_id, session_id))
        return n

    async def adelete_user(self, user_id: str, *, checkpointer: Any = None) -> int:
        """Async twin of ``delete_user`` (calls the checkpointer's ``adelete_thread``)."""
        sessions = [] if checkpointer is None else [s.session_id for s in await self.alist_sessions(user_id)]
        n = int((await self._backend.arun(call(self._user_call(user_id))))[1])
        for session_id in sessions:
            await checkpointer.adelete_thread(self.thread_id(user_id, session_id))
        return n

    def rotate_encryption(self, user_id: str) -> int:
        """Reseal the user's stored messages and summaries with the current key of its KeyRing
        (also sealing what was stored before encryption was turned on). Online: reads and writes
        go on meanwhile. Afterwards the user's older keys can leave the ring.

        Returns:
            How many messages and summaries were resealed.
        """
        return drive(rotate_plan(self, user_id), self._backend.execute)

    async def arotate_encryption(self, user_id: str) -> int:
        """Async twin of ``rotate_encryption``."""
        return await adrive(rotate_plan(self, user_id), self._backend.aexecute)

    # -- export / import -----------------------------------------------------------------------

    def list_users(self) -> list[str]:
        """Every user id with data under this memory's key prefix, sorted (a SCAN, O(keys))."""
        return drive(users_plan(self), self._backend.execute)

    async def alist_users(self) -> list[str]:
        """Async twin of ``list_users``."""
        return await adrive(users_plan(self), self._backend.aexecute)

    def export_jsonl(
        self,
        target: str | os.PathLike[str] | TextIO,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        progress: bool | Callable[[int, int], None] = False,
    ) -> TransferStats:
        """Write users, sessions and messages as JSON lines, streaming, without loss.

        Args:
            target: A file path, or a text file object (e.g. ``sys.stdout``).
            user_id: Only this user; None exports every user under the key prefix.
            session_id: Only this session of ``user_id``.
            progress: True draws a progress bar on stderr; or a ``(done, total)`` callback.

        Returns:
            How many users, sessions and messages were written.

        The format (one header, then per user a ``user`` record, per session a ``session``
        record and its ``message`` records, each message as ``message_to_dict``) is documented
        in the README and read back by ``import_jsonl``.
        """
        with _text_file(target, "w") as fp:
            plan = export_plan(self, _writer(fp), user_id, session_id, progress_bar(progress, "export"))
            return drive(plan, self._backend.execute)

    async def aexport_jsonl(
        self,
        target: str | os.PathLike[str] | TextIO,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        progress: bool | Callable[[int, int], None] = False,
    ) -> TransferStats:
        """Async twin of ``export_jsonl`` (Redis I/O is async; file writes are local and blocking)."""
        with _text_file(target, "w") as fp:
            plan = export_plan(self, _writer(fp), user_id, session_id, progress_bar(progress, "export"))
            return await adrive(plan, self._backend.aexecute)

    def import_records(
        self,
        records: Iterable[dict[str, Any]],
        *,
        if_exists: IfExists = "error",
        batch_size: int = 500,
        progress: bool | Callable[[int, int], None] = False,
    ) -> TransferStats:
        """Import records (from ``export_jsonl``, or an importer in ``langchain_sessionmem.importers``).

        Messages keep their order and original timestamps, and are embedded on the way in when
        this memory has embeddings. Sessions keep their creation and last-activity times, title,
        metadata, instructions and summary.

        Args:
            records: Record dicts, in stream order.
            if_exists: What to do with a session that already exists: ``"error"`` (raise before
                touching it), ``"skip"``, ``"replace"`` (delete it first) or ``"append"``.
            batch_size: Messages per append (one round trip, one ``embed_documents`` call).
            progress: True draws a progress bar on stderr; or a ``(done, total)`` callback.

        Raises:
            InvalidRecordError: A malformed record; what came before it is imported.
            ConfigError: A session exists and ``if_exists="error"``.
        """
        plan = import_plan(self, records, if_exists, batch_size, progress_bar(progress, "import"))
        return drive(plan, self._backend.execute)

    async def aimport_records(
        self,
        records: Iterable[dict[str, Any]],
        *,
        if_exists: IfExists = "error",
        batch_size: int = 500,
        progress: bool | Callable[[int, int], None] = False,
    ) -> TransferStats:
        """Async twin of ``import_records``."""
        plan = import_plan(self, records, if_exists, batch_size, progress_bar(progress, "import"))
        return await adrive(plan, self._backend.aexecute)

    def _import_file_plan(
        self, fp: TextIO, if_exists: IfExists, batch_size: int, progress: bool | Callable[[int, int], None]
    ) -> Plan[TransferStats]:
        total = 0
        if fp.seekable():  # check the whole file first: a bad line or a conflict imports nothing
            start = fp.tell()
            total, sessions = check_stream(parse_lines(fp))
            fp.seek(start)
            if if_exists == "error":
                yield from refuse_existing_plan(self, sessions)
        plan = import_plan(self, parse_lines(fp), if_exists, batch_size, progress_bar(progress, "import"), total)
        return (yield from plan)

    def import_jsonl(
        self,
        source: str | os.PathLike[str] | TextIO,
        *,
        if_exists: IfExists = "error",
        batch_size: int = 500,
        progress: bool | Callable[[int, int], None] = False,
    ) -> TransferStats:
        """Import a stream written by ``export_jsonl``. A file (anything seekable) is checked
        whole first, so a malformed line, or with ``if_exists="error"`` a session that already
        exists, imports nothing; a pipe is imported as it streams. Arguments as for
        ``import_records``."""
        with _text_file(source, "r") as fp:
            return drive(self._import_file_plan(fp, if_exists, batch_size, progress), self._backend.execute)

    async def aimport_jsonl(
        self,
        source: str | os.PathLike[str] | TextIO,
        *,
        if_exists: IfExists = "error",
        batch_size: int = 500,
        progress: bool | Callable[[int, int], None] = False,
    ) -> TransferStats:
        """Async twin of ``import_jsonl``."""
        with _text_file(source, "r") as fp:
            return await adrive(self._import_file_plan(fp, if_exists, batch_size, progress), self._backend.aexecute)

    def _drop_plan(self) -> Plan[None]:
        for name in (self.config.index_name, self.config.vector_index_name):
            try:
                yield Command("FT.DROPINDEX", name)
            except Exception as exc:
                if not _is_missing_index(exc):
                    raise

    def drop_indexes(self) -> None:
        """Drop this memory's RediSearch indexes; every message and vector is kept.

        ``setup()`` creates them again and RediSearch re-indexes the stored documents. Use it to
        move to a new index schema, or in teardown code.
        """
        drive(self._drop_plan(), self._backend.execute)

    async def adrop_indexes(self) -> None:
        """Async twin of ``drop_indexes``."""
        await adrive(self._drop_plan(), self._backend.aexecute)

    # -- closing -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every client this memory created, and never one passed in.

        That is the sync client and the async client of each event loop the memory was used
        on (see ``_loops.py``): those of loops still open are closed on their loop. A loop that
        ``asyncio.run`` ran closes its client as it ends anyway. The memory stays usable: a later
        call opens new connections. Called again, it does nothing.
        """
        self._backend.close()

    async def aclose(self) -> None:
        """Async twin of ``close``: the running loop's client is closed before it returns."""
        await self._backend.aclose()

    def __enter__(self) -> RedisSessionMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> RedisSessionMemory:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def backend_of(memory: RedisSessionMemory) -> Backend:
    """Internal hook, not public API: the Backend (clients and shared state) of ``memory``, which
    the retrievers built on it keep, so they run their searches through it."""
    return memory._backend
