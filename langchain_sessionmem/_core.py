"""The part of ``RedisSessionMemory`` every other part builds on: its clients and settings, and the
histories and contexts it hands out. The retriever depends on this, not on memory.py."""

from __future__ import annotations

import redis
import redis.asyncio as aredis
from langchain_core.embeddings import Embeddings
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from langchain_sessionmem._backend import Backend
from langchain_sessionmem._ops.target import Session
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption
from langchain_sessionmem.history import ContextWindow, RedisSessionHistory, SessionContext


class MemoryCore:
    """The base of ``RedisSessionMemory``; see there."""

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

    @property
    def backend(self) -> Backend:
        """The clients and the plan runner this memory shares with the histories, retrievers and
        agent middleware it makes. Internal to the package: not a stable API."""
        return self._backend

    def __repr__(self) -> str:
        return f"RedisSessionMemory({self._backend.url!r}, index_name={self.config.index_name!r})"

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
