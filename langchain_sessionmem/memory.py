"""RedisSessionMemory: the entry point. Owns clients and config, sets up the index, hands out
histories, wires RunnableWithMessageHistory, and administers users and sessions."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

import redis
import redis.asyncio as aredis
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.embeddings import Embeddings
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable
from langchain_core.runnables.history import RunnableWithMessageHistory
from langchain_core.runnables.utils import ConfigurableFieldSpec
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from langchain_sessionmem._backend import Backend
from langchain_sessionmem._codec import check_messages
from langchain_sessionmem._keys import check_id, thread_id_of
from langchain_sessionmem._ops import index as index_ops
from langchain_sessionmem._ops import sessions as sessions_ops
from langchain_sessionmem._ops import stats as stats_ops
from langchain_sessionmem._ops.steps import Plan, call
from langchain_sessionmem._ops.target import Session
from langchain_sessionmem._ops.transfer import (
    IfExists,
    TransferStats,
    export_plan,
    import_plan,
    refuse_existing_plan,
    reindex_plan,
    rotate_plan,
    users_plan,
)
from langchain_sessionmem._records import check_stream, dumps, parse_lines
from langchain_sessionmem._tokens import messages_tokens, text_counter
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption
from langchain_sessionmem.errors import (
    ConfigError,
)
from langchain_sessionmem.history import ContextWindow, RedisSessionHistory, SessionContext
from langchain_sessionmem.progress import Progress, progress_callback
from langchain_sessionmem.types import ServerStats, SessionInfo, SessionPage

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from langchain_sessionmem.agents import SessionMemoryMiddleware
    from langchain_sessionmem.retriever import RedisSessionHistoryRetriever

__all__ = ["RedisSessionMemory", "SessionInfo", "SessionPage", "TransferStats"]


_DEFAULT_WINDOW = ContextWindow()


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


_UNSET = sessions_ops.UNSET


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
        self._store = self._backend.store

    @property
    def config(self) -> SessionMemConfig:
        """The settings this memory and its histories use."""
        return self._backend.config

    def __repr__(self) -> str:
        return f"RedisSessionMemory({self._backend.url!r}, index_name={self.config.index_name!r})"

    # -- setup ---------------------------------------------------------------------------------

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
        for warning in self._backend.run(index_ops.setup_plan(self._store)):
            warnings.warn(warning, stacklevel=2)

    async def asetup(self) -> None:
        """Async twin of ``setup``."""
        for warning in await self._backend.arun(index_ops.setup_plan(self._store)):
            warnings.warn(warning, stacklevel=2)

    # -- histories -----------------------------------------------------------------------------

    def history(self, user_id: str, session_id: str, *, window: ContextWindow | None = None) -> RedisSessionHistory:
        """The history of one user's session: ``messages`` is what is stored. No I/O.

        Args:
            user_id: The user.
            session_id: The session, scoped to the user.
            window: Deprecated (a DeprecationWarning): use ``context(user_id, session_id, window)``.

        Raises:
            InvalidIdError: An id is not a non-empty str within ``config.max_id_length``.
        """
        return RedisSessionHistory(user_id, session_id, window=window, backend=self._backend)

    def context(self, user_id: str, session_id: str, window: ContextWindow | None = None) -> SessionContext:
        """What a chain sees of one user's session: a ``SessionContext`` whose ``messages`` is the
        ``window`` (default ``ContextWindow()``: the effective instructions and the running summary,
        then every message after the summary) and whose ``add_messages`` appends to the history. No I/O.

        Raises:
            InvalidIdError: An id is not a non-empty str within ``config.max_id_length``.
            ConfigError: ``window`` is not a ContextWindow.
        """
        return SessionContext(self.history(user_id, session_id), window or ContextWindow())

    def _session(self, user_id: str, session_id: str) -> Session:
        return self._store.session(user_id, session_id)

    @property
    def embeddings(self) -> Embeddings | None:
        """The embeddings messages are embedded with on write, if any."""
        return self._store.embeddings

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
        self, *, batch_size: int = 256, progress: Callable[[int, int], None] | None = None, verify: bool = False
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
            progress: A callback ``(done, total)``, called after each batch (with ``verify``,
                the check then reports ``(checked, total)``); ``ProgressBar("reindex")`` from
                ``langchain_sessionmem.progress`` draws a bar on stderr. None (the default)
                reports nothing (0.1.0 drew a bar by default; a bool still works until the next
                release, with a DeprecationWarning).
            verify: Also check every vector of the current model against its message's text.

        Returns:
            The number of messages embedded (or re-embedded).
        """
        plan = reindex_plan(self._store, batch_size, progress_callback(progress, "reindex"), verify)
        return self._backend.run(plan)

    async def areindex(
        self, *, batch_size: int = 256, progress: Callable[[int, int], None] | None = None, verify: bool = False
    ) -> int:
        """Async twin of ``reindex`` (uses ``aembed_documents``)."""
        plan = reindex_plan(self._store, batch_size, progress_callback(progress, "reindex"), verify)
        return await self._backend.arun(plan)

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

        def factory(user_id: str, session_id: str) -> BaseChatMessageHistory:
            return self.history(user_id, session_id) if window is None else self.context(user_id, session_id, window)

        return RunnableWithMessageHistory(
            runnable,
            factory,
            history_factory_config=self.history_factory_config,
            **kwargs,
        )

    # -- administration ------------------------------------------------------------------------

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
        return self._backend.run(sessions_ops.list_plan(self._store, user_id, limit, cursor))

    async def alist_sessions(self, user_id: str, *, limit: int | None = None, cursor: str | None = None) -> SessionPage:
        """Async twin of ``list_sessions``."""
        return await self._backend.arun(sessions_ops.list_plan(self._store, user_id, limit, cursor))

    def get_session(self, user_id: str, session_id: str) -> SessionInfo | None:
        """One session's SessionInfo, or None if it does not exist. One round trip."""
        return self._backend.run(sessions_ops.get_plan(self._store, user_id, session_id))

    async def aget_session(self, user_id: str, session_id: str) -> SessionInfo | None:
        """Async twin of ``get_session``."""
        return await self._backend.arun(sessions_ops.get_plan(self._store, user_id, session_id))

    def update_session(
        self,
        user_id: str,
        session_id: str,
        *,
        title: str | None = _UNSET,
        metadata: dict[str, Any] | None = _UNSET,
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
        self._backend.run(sessions_ops.update_plan(self._store, user_id, session_id, title, metadata))

    async def aupdate_session(
        self,
        user_id: str,
        session_id: str,
        *,
        title: str | None = _UNSET,
        metadata: dict[str, Any] | None = _UNSET,
    ) -> None:
        """Async twin of ``update_session``."""
        await self._backend.arun(sessions_ops.update_plan(self._store, user_id, session_id, title, metadata))

    # -- system instructions -------------------------------------------------------------------

    def set_instructions(self, user_id: str, instructions: str | None, *, session_id: str | None = None) -> None:
        """Set (or with None clear) system instructions: the user's default, or one session's override.

        A session uses its own instructions if it has some, else its user's. They are stored
        beside the history, never in it: changing them rewrites nothing, and the next
        ``get_context`` (or chain call through ``with_message_history``) uses the new text. The
        user's default outlives the TTL of the user's sessions; ``delete_user`` erases it.

        Raises:
            ConfigError: ``instructions`` is not a non-empty str or None, or is too large.
        """
        step = sessions_ops.set_instructions(self._store, user_id, instructions, session_id)
        self._backend.run(call(step))

    async def aset_instructions(self, user_id: str, instructions: str | None, *, session_id: str | None = None) -> None:
        """Async twin of ``set_instructions``."""
        await self._backend.arun(call(sessions_ops.set_instructions(self._store, user_id, instructions, session_id)))

    def clear_instructions(self, user_id: str, *, session_id: str | None = None) -> None:
        """Remove the user's default instructions, or one session's override."""
        self.set_instructions(user_id, None, session_id=session_id)

    async def aclear_instructions(self, user_id: str, *, session_id: str | None = None) -> None:
        """Async twin of ``clear_instructions``."""
        await self.aset_instructions(user_id, None, session_id=session_id)

    def get_instructions(self, user_id: str, session_id: str | None = None) -> str | None:
        """The instructions in effect: the session's own, else the user's default; None if neither.
        Without ``session_id``, the user's default."""
        return self._backend.run(sessions_ops.instructions_plan(self._store, user_id, session_id))

    async def aget_instructions(self, user_id: str, session_id: str | None = None) -> str | None:
        """Async twin of ``get_instructions``."""
        return await self._backend.arun(sessions_ops.instructions_plan(self._store, user_id, session_id))

    def count_tokens(self, messages: Sequence[BaseMessage]) -> int:
        """Tokens of ``messages`` as this memory counts them (``config.tokenizer``). No I/O."""
        return messages_tokens(check_messages(messages), text_counter(self.config.tokenizer))

    def delete_session(self, user_id: str, session_id: str, *, checkpointer: Any = None) -> int:
        """Delete one session and its messages. Returns the number of messages deleted.

        Args:
            checkpointer: A LangGraph checkpointer (``InMemorySaver``, ``RedisSaver``, ...): its
                thread ``thread_id(user_id, session_id)`` is deleted too.
        """
        n = int(self._backend.run(call(sessions_ops.delete_session(self._store, user_id, session_id))))
        if checkpointer is not None:
            checkpointer.delete_thread(self.thread_id(user_id, session_id))
        return n

    async def adelete_session(self, user_id: str, session_id: str, *, checkpointer: Any = None) -> int:
        """Async twin of ``delete_session`` (calls the checkpointer's ``adelete_thread``)."""
        n = int(await self._backend.arun(call(sessions_ops.delete_session(self._store, user_id, session_id))))
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
        n = self._backend.run(sessions_ops.delete_user_plan(self._store, user_id))
        for session_id in sessions:
            checkpointer.delete_thread(self.thread_id(user_id, session_id))
        return n

    async def adelete_user(self, user_id: str, *, checkpointer: Any = None) -> int:
        """Async twin of ``delete_user`` (calls the checkpointer's ``adelete_thread``)."""
        sessions = [] if checkpointer is None else [s.session_id for s in await self.alist_sessions(user_id)]
        n = await self._backend.arun(sessions_ops.delete_user_plan(self._store, user_id))
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
        return self._backend.run(rotate_plan(self._store, user_id))

    async def arotate_encryption(self, user_id: str) -> int:
        """Async twin of ``rotate_encryption``."""
        return await self._backend.arun(rotate_plan(self._store, user_id))

    # -- export / import -----------------------------------------------------------------------

    def list_users(self) -> list[str]:
        """Every user id with data under this memory's key prefix, sorted (a SCAN, O(keys))."""
        return self._backend.run(users_plan(self._store))

    async def alist_users(self) -> list[str]:
        """Async twin of ``list_users``."""
        return await self._backend.arun(users_plan(self._store))

    def export_jsonl(
        self,
        target: str | os.PathLike[str] | TextIO,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> TransferStats:
        """Write users, sessions and messages as JSON lines, streaming, without loss.

        Args:
            target: A file path, or a text file object (e.g. ``sys.stdout``).
            user_id: Only this user; None exports every user under the key prefix.
            session_id: Only this session of ``user_id``.
            progress: A callback ``(done, total)`` called after each page of messages, e.g.
                ``ProgressBar("export")`` from ``langchain_sessionmem.progress``; None (the
                default) reports nothing.

        Returns:
            How many users, sessions and messages were written.

        The format (one header, then per user a ``user`` record, per session a ``session``
        record and its ``message`` records, each message as ``message_to_dict``) is documented
        in the README and read back by ``import_jsonl``.
        """
        report = progress_callback(progress, "export")
        with _text_file(target, "w") as fp:
            return self._backend.run(export_plan(self._store, _writer(fp), user_id, session_id, report))

    async def aexport_jsonl(
        self,
        target: str | os.PathLike[str] | TextIO,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> TransferStats:
        """Async twin of ``export_jsonl`` (Redis I/O is async; file writes are local and blocking)."""
        report = progress_callback(progress, "export")
        with _text_file(target, "w") as fp:
            return await self._backend.arun(export_plan(self._store, _writer(fp), user_id, session_id, report))

    def import_records(
        self,
        records: Iterable[dict[str, Any]],
        *,
        if_exists: IfExists = "error",
        batch_size: int = 500,
        progress: Callable[[int, int], None] | None = None,
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
            progress: A callback ``(done, total)`` called after each batch (``total`` is 0 when
                not known in advance), e.g. ``ProgressBar("import")`` from
                ``langchain_sessionmem.progress``; None (the default) reports nothing.

        Raises:
            InvalidRecordError: A malformed record; what came before it is imported.
            ConfigError: A session exists and ``if_exists="error"``.
        """
        plan = import_plan(self._store, records, if_exists, batch_size, progress_callback(progress, "import"))
        return self._backend.run(plan)

    async def aimport_records(
        self,
        records: Iterable[dict[str, Any]],
        *,
        if_exists: IfExists = "error",
        batch_size: int = 500,
        progress: Callable[[int, int], None] | None = None,
    ) -> TransferStats:
        """Async twin of ``import_records``."""
        plan = import_plan(self._store, records, if_exists, batch_size, progress_callback(progress, "import"))
        return await self._backend.arun(plan)

    def _import_file_plan(
        self, fp: TextIO, if_exists: IfExists, batch_size: int, progress: Progress | None
    ) -> Plan[TransferStats]:
        total = 0
        if fp.seekable():  # check the whole file first: a bad line or a conflict imports nothing
            start = fp.tell()
            total, sessions = check_stream(parse_lines(fp))
            fp.seek(start)
            if if_exists == "error":
                yield from refuse_existing_plan(self._store, sessions)
        plan = import_plan(self._store, parse_lines(fp), if_exists, batch_size, progress, total)
        return (yield from plan)

    def import_jsonl(
        self,
        source: str | os.PathLike[str] | TextIO,
        *,
        if_exists: IfExists = "error",
        batch_size: int = 500,
        progress: Callable[[int, int], None] | None = None,
    ) -> TransferStats:
        """Import a stream written by ``export_jsonl``. A file (anything seekable) is checked
        whole first, so a malformed line, or with ``if_exists="error"`` a session that already
        exists, imports nothing; a pipe is imported as it streams. Arguments as for
        ``import_records``."""
        report = progress_callback(progress, "import")
        with _text_file(source, "r") as fp:
            return self._backend.run(self._import_file_plan(fp, if_exists, batch_size, report))

    async def aimport_jsonl(
        self,
        source: str | os.PathLike[str] | TextIO,
        *,
        if_exists: IfExists = "error",
        batch_size: int = 500,
        progress: Callable[[int, int], None] | None = None,
    ) -> TransferStats:
        """Async twin of ``import_jsonl``."""
        report = progress_callback(progress, "import")
        with _text_file(source, "r") as fp:
            return await self._backend.arun(self._import_file_plan(fp, if_exists, batch_size, report))

    def drop_indexes(self) -> None:
        """Drop this memory's RediSearch indexes; every message and vector is kept.

        ``setup()`` creates them again and RediSearch re-indexes the stored documents. Use it to
        move to a new index schema, or in teardown code.
        """
        self._backend.run(index_ops.drop_plan(self._store))

    async def adrop_indexes(self) -> None:
        """Async twin of ``drop_indexes``."""
        await self._backend.arun(index_ops.drop_plan(self._store))

    def server_stats(self) -> ServerStats:
        """Document counts of this memory's indexes and the server's memory use (what ``sessionmem stats`` shows).

        Reads FT.INFO of both indexes and INFO memory (of every primary on a Redis Cluster); it
        writes nothing and needs no ``setup()``: an index that does not exist is None.

        Returns:
            The indexes (None where missing, or where a Redis Cluster cannot search across shards:
            ``search_available`` is then False) and ``used_memory``.
        """
        return self._backend.run(stats_ops.server_stats_plan(self._store))

    async def aserver_stats(self) -> ServerStats:
        """Async twin of ``server_stats``."""
        return await self._backend.arun(stats_ops.server_stats_plan(self._store))

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
