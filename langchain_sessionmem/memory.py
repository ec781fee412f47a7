"""RedisSessionMemory: the entry point. Owns clients and config, sets up the index, hands out
histories, wires RunnableWithMessageHistory, and administers users and sessions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import redis
import redis.asyncio as aredis
from langchain_core.runnables import Runnable
from langchain_core.runnables.history import RunnableWithMessageHistory
from langchain_core.runnables.utils import ConfigurableFieldSpec

from langchain_sessionmem._backend import Backend
from langchain_sessionmem._keys import UserKeys, check_id
from langchain_sessionmem._search import create_index_args, expected_signature, schema_signature
from langchain_sessionmem._steps import Plan, adrive, drive
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.errors import IndexSchemaMismatchError, RedisCommandError
from langchain_sessionmem.history import RedisSessionHistory

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
    ) -> None:
        """Create the memory; no I/O happens here.

        Args:
            redis_url: Server URL (``redis://``, ``rediss://``, ``unix://``). Defaults to
                ``$REDIS_URL``, then ``redis://localhost:6379/0``. Sync and async clients are
                built from it lazily.
            client: A ``redis.Redis`` to use for the sync API instead of one built from the URL.
            async_client: A ``redis.asyncio.Redis`` for the async API.
            config: Key prefix, index name, TTLs and limits shared by everything this memory makes.
        """
        self._backend = Backend(redis_url, client, async_client, config)

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
        try:
            info = yield ("FT.INFO", cfg.index_name)
        except Exception as exc:
            if not _is_missing_index(exc):
                raise
            try:
                yield tuple(create_index_args(cfg))
                return
            except Exception as exc2:  # another process created it first: verify theirs
                if "already exists" not in str(exc2).lower():
                    raise
            info = yield ("FT.INFO", cfg.index_name)
        found, want = schema_signature(info), expected_signature(cfg)
        if found != want:
            raise IndexSchemaMismatchError(
                f"index {cfg.index_name!r} on {self._backend.url} exists with another schema: found "
                f"{found!r}, this version needs {want!r}. Use another SessionMemConfig.index_name, or "
                f"drop the old index with `FT.DROPINDEX {cfg.index_name}` (documents are kept) and call setup() again"
            )

    def setup(self) -> None:
        """Check the server has RedisJSON and RediSearch; create the index or verify its schema.

        Idempotent and safe when many processes call it at once.

        Raises:
            ModulesMissingError: The server lacks RedisJSON or RediSearch.
            IndexSchemaMismatchError: An index of this name exists with another schema.
            RedisUnavailableError: The server cannot be reached.
        """
        drive(self._setup_plan(), self._backend.command)

    async def asetup(self) -> None:
        """Async twin of ``setup``."""
        await adrive(self._setup_plan(), self._backend.acommand)

    # -- histories -----------------------------------------------------------------------------

    def history(self, user_id: str, session_id: str) -> RedisSessionHistory:
        """The history of one user's session. No I/O.

        Raises:
            InvalidIdError: An id is not a non-empty str within ``config.max_id_length``.
        """
        return RedisSessionHistory(user_id, session_id, backend=self._backend)

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
        return [u.sessions, u.user], [user_id, u.meta_prefix, u.message_prefix]

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

    def close(self) -> None:
        """Close the clients this memory created (not ones passed in)."""
        self._backend.close()

    async def aclose(self) -> None:
        """Async twin of ``close``."""
        await self._backend.aclose()
