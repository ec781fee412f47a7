"""RedisSessionMemory: the entry point. Owns clients and config, sets up the index, hands out
histories, wires RunnableWithMessageHistory, and administers users and sessions."""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import redis
import redis.asyncio as aredis
from langchain_core.embeddings import Embeddings
from langchain_core.runnables import Runnable
from langchain_core.runnables.history import RunnableWithMessageHistory
from langchain_core.runnables.utils import ConfigurableFieldSpec

from langchain_sessionmem._backend import Backend, Op
from langchain_sessionmem._codec import decode_stored
from langchain_sessionmem._keys import UserKeys, check_id, parse_message_key
from langchain_sessionmem._scripts import PUT_VECTORS
from langchain_sessionmem._search import (
    create_index_args,
    create_vector_index_args,
    expected_signature,
    parse_search,
    schema_signature,
    vector_index_dims,
)
from langchain_sessionmem._steps import Plan, adrive, drive
from langchain_sessionmem._vectors import embed_text, fingerprint, pack
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.errors import IndexSchemaMismatchError, RedisCommandError
from langchain_sessionmem.history import RedisSessionHistory

if TYPE_CHECKING:
    from langchain_sessionmem.retriever import RedisSessionHistoryRetriever

__all__ = ["RedisSessionMemory", "SessionInfo"]


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One session of a user, as listed by ``list_sessions``."""

    user_id: str
    session_id: str
    created_at: datetime
    last_active: datetime
    message_count: int


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _ms_to_dt(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)


def _progress(progress: bool | Callable[[int, int], None]) -> Callable[[int, int], None] | None:
    if callable(progress):
        return progress
    if not progress:
        return None

    def bar(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\rreindex [{'#' * filled}{'.' * (width - filled)}] {done}/{total} messages")
        sys.stderr.flush()

    return bar


def _is_missing_index(exc: Exception) -> bool:
    text = str(exc).lower()
    return isinstance(exc, RedisCommandError) and ("unknown index" in text or "no such index" in text)


class RedisSessionMemory:
    """Per-user, per-session chat memory on Redis (RedisJSON documents + a RediSearch index).

    Setup:
        .. code-block:: bash

            pip install langchain-sessionmem
            make redis-up      # or any Redis 7.4+ with RedisJSON and RediSearch; set REDIS_URL

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

    Constructing the memory and its histories does no I/O; clients connect on first use.
    """

    def __init__(
        self,
        redis_url: str | None = None,
        *,
        client: redis.Redis | None = None,
        async_client: aredis.Redis | None = None,
        config: SessionMemConfig | None = None,
        embeddings: Embeddings | None = None,
    ) -> None:
        """Create the memory; no I/O happens here.

        Args:
            redis_url: Server URL (``redis://``, ``rediss://``, ``unix://``). Defaults to
                ``$REDIS_URL``, then ``redis://localhost:6379/0``. Sync and async clients are
                built from it lazily.
            client: A ``redis.Redis`` to use for the sync API instead of one built from the URL.
            async_client: A ``redis.asyncio.Redis`` for the async API.
            config: Key prefix, index name, TTLs and limits shared by everything this memory makes.
            embeddings: Any LangChain ``Embeddings``; when set, messages are embedded on write
                and ``as_retriever`` can search them by meaning.
        """
        self._backend = Backend(redis_url, client, async_client, config, embeddings)

    @property
    def config(self) -> SessionMemConfig:
        """The settings this memory and its histories use."""
        return self._backend.config

    def __repr__(self) -> str:
        return f"RedisSessionMemory({self._backend.url!r}, index_name={self.config.index_name!r})"

    # -- setup ---------------------------------------------------------------------------------

    def _setup_plan(self) -> Plan[None]:
        cfg = self.config
        # Probe both modules (an unknown command is translated to ModulesMissingError).
        yield ("JSON.TYPE", f"{cfg.key_prefix}probe")
        yield ("FT._LIST",)
        info: Any = None
        try:
            info = yield ("FT.INFO", cfg.index_name)
        except Exception as exc:
            if not _is_missing_index(exc):
                raise
            try:
                yield tuple(create_index_args(cfg))
            except Exception as exc2:  # another process created it first: verify theirs
                if "already exists" not in str(exc2).lower():
                    raise
                info = yield ("FT.INFO", cfg.index_name)
        if info is not None:
            found, want = schema_signature(info), expected_signature(cfg)
            if found != want:
                raise IndexSchemaMismatchError(
                    f"index {cfg.index_name!r} on {self._backend.url} exists with another schema: found "
                    f"{found!r}, this version needs {want!r}. Use another SessionMemConfig.index_name, or drop "
                    f"the old index with `FT.DROPINDEX {cfg.index_name}` (documents are kept) and call setup() again"
                )
        if self._backend.embeddings is None:
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

    def _dims_plan(self) -> Plan[int]:
        if self.config.vector_dims is not None:
            return self.config.vector_dims
        return len((yield (Op.EMBED_QUERY, "dimension probe")))

    def _vector_index_plan(self) -> Plan[tuple[int, str, str] | None]:
        try:
            info = yield ("FT.INFO", self.config.vector_index_name)
        except Exception as exc:
            if not _is_missing_index(exc):
                raise
            return None
        return vector_index_dims(info)

    def _create_vector_index_plan(self, dims: int) -> Plan[None]:
        try:
            yield tuple(create_vector_index_args(self.config, dims))
        except Exception as exc:  # created by another process meanwhile
            if "already exists" not in str(exc).lower():
                raise

    def setup(self) -> None:
        """Check the server has RedisJSON and RediSearch; create the index or verify its schema.

        Idempotent and safe when many processes call it at once.

        With embeddings, also creates or verifies the vector index (one ``embed_query`` call
        measures the dimension unless ``config.vector_dims`` is set).

        Raises:
            ModulesMissingError: The server lacks RedisJSON or RediSearch.
            IndexSchemaMismatchError: An index of this name exists with another schema, or the
                vector index was built for another embedding size (run ``reindex()``).
            RedisUnavailableError: The server cannot be reached.
        """
        drive(self._setup_plan(), self._backend.execute)

    async def asetup(self) -> None:
        """Async twin of ``setup``."""
        await adrive(self._setup_plan(), self._backend.aexecute)

    # -- histories -----------------------------------------------------------------------------

    def history(self, user_id: str, session_id: str) -> RedisSessionHistory:
        """The history of one user's session. No I/O.

        Raises:
            InvalidIdError: An id is not a non-empty str within ``config.max_id_length``.
        """
        return RedisSessionHistory(user_id, session_id, backend=self._backend)

    @property
    def embeddings(self) -> Embeddings | None:
        """The embeddings messages are embedded with on write, if any."""
        return self._backend.embeddings

    def as_retriever(self, **kwargs: Any) -> RedisSessionHistoryRetriever:
        """A retriever over this memory's messages; ``kwargs`` are its fields (``user_id``,
        ``session_id``, ``k``, ``search_type``, ...), see RedisSessionHistoryRetriever."""
        from langchain_sessionmem.retriever import RedisSessionHistoryRetriever

        return RedisSessionHistoryRetriever(memory=self, **kwargs)

    # -- reindex -------------------------------------------------------------------------------

    def _reindex_plan(self, batch_size: int, progress: Callable[[int, int], None] | None) -> Plan[int]:
        cfg, emb = self.config, self._backend.embeddings
        if emb is None:
            self._backend._embedder()  # raises the ConfigError that explains
        dims = yield from self._dims_plan()
        fp = fingerprint(emb, dims, cfg)  # type: ignore[arg-type]
        current = yield from self._vector_index_plan()
        if current != (dims, cfg.vector_dtype, cfg.vector_algorithm):
            if current is not None:
                yield ("FT.DROPINDEX", cfg.vector_index_name)  # vectors are overwritten below
            yield from self._create_vector_index_plan(dims)
        if not cfg.embed_message_types:
            return 0
        types = "|".join(sorted(cfg.embed_message_types))
        query = f"@type:{{{types}}} -@emb:{{{fp}}}"
        done, total, idle = 0, 0, 0
        while idle < 3:
            reply = yield ("FT.SEARCH", cfg.index_name, query, "LIMIT", 0, batch_size, "RETURN", 1, "$", "DIALECT", 2)
            found, hits = parse_search(reply)
            if not hits:
                break
            total = max(total, done + found)
            groups: dict[tuple[str, str], list[tuple[int, str, str]]] = defaultdict(list)
            texts: list[str] = []
            for hit in hits:
                stored = decode_stored(hit.fields["$"])
                when = datetime.fromtimestamp(stored.timestamp_ms / 1000, tz=timezone.utc)
                text = embed_text(stored.message, cfg.embed_template, when)
                uh, sh, seq = parse_message_key(hit.key)
                groups[(uh, sh)].append((seq, stored.message.type, text))
                if text:
                    texts.append(text)
            vectors = iter((yield (Op.EMBED_DOCUMENTS, texts)) if texts else [])
            cmds = []
            for (uh, sh), rows in groups.items():
                user = UserKeys(cfg.key_prefix, "", uh)  # only key names: the raw id is not needed
                args: list[Any] = [user.messages_of(sh), user.vectors_of(sh), uh, sh, fp]
                for seq, mtype, text in rows:
                    args += [seq, mtype, pack(next(vectors), cfg.vector_dtype, dims) if text else ""]
                cmds.append(("EVAL", PUT_VECTORS, 1, user.meta_of(sh), *args))
            stored_now = sum(int(n) for n in (yield (Op.PIPELINE, cmds)))
            done += stored_now
            idle = idle + 1 if stored_now == 0 else 0
            if progress is not None:
                progress(done, total)
        return done

    def reindex(self, *, batch_size: int = 256, progress: bool | Callable[[int, int], None] = True) -> int:
        """Embed every message that has no vector from the current model, in batches.

        Fills in messages whose embedding failed on write (marked pending), messages written
        before embeddings were configured, and, after a change of embedding model, dimension or
        template, every message (the vector index is rebuilt when the dimension changes). Queries
        never mix vectors of two models: each vector is tagged with its model's fingerprint.

        Args:
            batch_size: Messages per ``embed_documents`` call.
            progress: True prints a progress line to stderr; or a callback ``(done, total)``.

        Returns:
            The number of messages embedded.
        """
        return drive(self._reindex_plan(batch_size, _progress(progress)), self._backend.execute)

    async def areindex(self, *, batch_size: int = 256, progress: bool | Callable[[int, int], None] = True) -> int:
        """Async twin of ``reindex`` (uses ``aembed_documents``)."""
        return await adrive(self._reindex_plan(batch_size, _progress(progress)), self._backend.aexecute)

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

    def with_message_history(self, runnable: Runnable[Any, Any], **kwargs: Any) -> RunnableWithMessageHistory:
        """Wrap ``runnable`` so each call reads and extends the configured user's session.

        Args:
            runnable: The chain or model to give memory to.
            **kwargs: Passed to RunnableWithMessageHistory (``input_messages_key``,
                ``history_messages_key``, ``output_messages_key``).
        """
        return RunnableWithMessageHistory(
            runnable,
            self.get_session_history,
            history_factory_config=self.history_factory_config,
            **kwargs,
        )

    # -- administration ------------------------------------------------------------------------

    def _user(self, user_id: str) -> UserKeys:
        return UserKeys.of(self.config.key_prefix, check_id("user_id", user_id, self.config.max_id_length))

    def _user_call(self, user_id: str) -> tuple[list[str], list[Any]]:
        u = self._user(user_id)
        return [u.sessions, u.user], [user_id, u.meta_prefix, u.message_prefix, u.vector_prefix]

    @staticmethod
    def _sessions_of(user_id: str, reply: list[Any]) -> list[SessionInfo]:
        def rows() -> Iterator[SessionInfo]:
            for i in range(0, len(reply), 4):
                sid, created, last, count = reply[i : i + 4]
                yield SessionInfo(user_id, _text(sid), _ms_to_dt(created), _ms_to_dt(last), int(count))

        return list(rows())

    def list_sessions(self, user_id: str) -> list[SessionInfo]:
        """The user's live sessions, most recently active first. One round trip."""
        return self._sessions_of(user_id, self._backend.run("list_sessions", *self._user_call(user_id)))

    async def alist_sessions(self, user_id: str) -> list[SessionInfo]:
        """Async twin of ``list_sessions``."""
        return self._sessions_of(user_id, await self._backend.arun("list_sessions", *self._user_call(user_id)))

    def _delete_session_call(self, user_id: str, session_id: str) -> tuple[str, list[str], list[Any]]:
        return self.history(user_id, session_id)._clear_call(drop_session=True)

    def delete_session(self, user_id: str, session_id: str) -> int:
        """Delete one session and its messages. Returns the number of messages deleted."""
        return int(self._backend.run(*self._delete_session_call(user_id, session_id)))

    async def adelete_session(self, user_id: str, session_id: str) -> int:
        """Async twin of ``delete_session``."""
        return int(await self._backend.arun(*self._delete_session_call(user_id, session_id)))

    def delete_user(self, user_id: str) -> int:
        """Erase every session, message and setting of ``user_id``, and nothing of anyone else.

        Returns:
            The number of messages deleted.
        """
        return int(self._backend.run("delete_user", *self._user_call(user_id))[1])

    async def adelete_user(self, user_id: str) -> int:
        """Async twin of ``delete_user``."""
        return int((await self._backend.arun("delete_user", *self._user_call(user_id)))[1])

    def _drop_plan(self) -> Plan[None]:
        for name in (self.config.index_name, self.config.vector_index_name):
            try:
                yield ("FT.DROPINDEX", name)
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

    def close(self) -> None:
        """Close the clients this memory created (not ones passed in)."""
        self._backend.close()

    async def aclose(self) -> None:
        """Async twin of ``close``."""
        await self._backend.aclose()
