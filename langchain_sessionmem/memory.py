"""RedisSessionMemory: the entry point. Owns clients and config, sets up the index, hands out
histories, wires RunnableWithMessageHistory, and administers users and sessions."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.runnables import Runnable
from langchain_core.runnables.history import RunnableWithMessageHistory
from langchain_core.runnables.utils import ConfigurableFieldSpec
from pydantic import ValidationError

from langchain_sessionmem._admin import SessionAdmin
from langchain_sessionmem._data import DataTransfer
from langchain_sessionmem._ops import index as index_ops
from langchain_sessionmem._ops import stats as stats_ops
from langchain_sessionmem.errors import (
    ConfigError,
)
from langchain_sessionmem.history import ContextWindow, RedisSessionHistory
from langchain_sessionmem.retriever import RedisSessionHistoryRetriever, option_error
from langchain_sessionmem.types import ServerStats, SessionInfo, SessionPage, TransferStats

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from langchain_sessionmem.agents import SessionMemoryMiddleware

__all__ = ["RedisSessionMemory", "SessionInfo", "SessionPage", "TransferStats"]


_DEFAULT_WINDOW = ContextWindow()


class RedisSessionMemory(SessionAdmin, DataTransfer):
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

    def as_retriever(self, **kwargs: Any) -> RedisSessionHistoryRetriever:
        """A retriever over this memory's messages; ``kwargs`` are its fields (``user_id``,
        ``session_id``, ``k``, ``search_type``, ...), see RedisSessionHistoryRetriever. An option
        that cannot work raises ConfigError."""
        try:
            return RedisSessionHistoryRetriever(memory=self, **kwargs)
        except ValidationError as exc:
            raise option_error(exc) from exc

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
