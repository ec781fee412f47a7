"""RedisSessionHistory: the chat history of one (user_id, session_id) pair."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import redis
import redis.asyncio as aredis
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.embeddings import Embeddings
from langchain_core.messages import BaseMessage

from langchain_sessionmem._backend import Backend, Op
from langchain_sessionmem._codec import check_messages, decode_messages, encode_messages, mark_embedded
from langchain_sessionmem._keys import SessionKeys, check_id
from langchain_sessionmem._steps import Plan, adrive, drive
from langchain_sessionmem._vectors import PENDING, fingerprint, pack, to_embed
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.errors import ConfigError

__all__ = ["RedisSessionHistory"]

logger = logging.getLogger(__name__)

Call = tuple[str, list[str], list[Any]]


def _check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ConfigError(f"k must be an int >= 0, got {k!r}")
    return k


class RedisSessionHistory(BaseChatMessageHistory):
    """Chat history of one user's session, one RedisJSON document per message.

    Setup:
        Install ``langchain-sessionmem`` and run a Redis with RedisJSON and RediSearch
        (``make redis-up`` starts one; ``REDIS_URL`` points at another).

    Instantiate:
        .. code-block:: python

            from langchain_sessionmem import RedisSessionMemory

            memory = RedisSessionMemory("redis://localhost:6379/0")
            history = memory.history("alice@example.com", "trip-planning")

        Creating a history does no I/O; it is cheap enough to do on every request.

    Usage:
        .. code-block:: python

            history.add_messages([HumanMessage("hi"), AIMessage("hello")])
            history.messages          # every message, oldest first
            history.get_recent(10)    # the last 10, read in O(10)
            len(history)              # message count, one round trip
            await history.aget_messages()   # native async twins on redis.asyncio

    Order is the order the server accepted the writes in; a batch is stored atomically (all or
    nothing) and its messages stay contiguous. ``clear()`` removes the messages but keeps the
    session's settings; ``RedisSessionMemory.delete_session`` removes everything.
    """

    def __init__(
        self,
        user_id: str,
        session_id: str,
        *,
        redis_url: str | None = None,
        client: redis.Redis | None = None,
        async_client: aredis.Redis | None = None,
        config: SessionMemConfig | None = None,
        embeddings: Embeddings | None = None,
        backend: Backend | None = None,
    ) -> None:
        """Create a history handle; no I/O happens here.

        Args:
            user_id: The user's id: any non-empty str up to ``config.max_id_length`` characters,
                compared exactly (case, whitespace and Unicode form matter).
            session_id: The conversation's id, same rules; scoped to the user.
            redis_url: Server URL; defaults to ``$REDIS_URL``, then ``redis://localhost:6379/0``.
            client: A ``redis.Redis`` to use instead of one built from the URL.
            async_client: A ``redis.asyncio.Redis`` for the async methods.
            config: Shared settings; must match the other processes using the same data.
            embeddings: When set, messages are embedded on write (one ``embed_documents`` call
                per batch) so the retriever can find them.
            backend: Internal: the memory's shared clients. Prefer ``RedisSessionMemory.history``.

        Raises:
            InvalidIdError: An id is not a non-empty str within the length limit.
        """
        self._backend = backend or Backend(redis_url, client, async_client, config, embeddings)
        cfg = self._backend.config
        self.user_id = check_id("user_id", user_id, cfg.max_id_length)
        self.session_id = check_id("session_id", session_id, cfg.max_id_length)
        self._keys = SessionKeys.of(cfg.key_prefix, user_id, session_id)

    def __repr__(self) -> str:
        return f"RedisSessionHistory(user_id={self.user_id!r}, session_id={self.session_id!r})"

    # -- planning: pure, shared by the sync and async twins ------------------------------------

    def _ids(self) -> list[Any]:
        return [self.user_id, self.session_id, self._keys.message_prefix]

    def _append_plan(self, messages: Sequence[BaseMessage]) -> Plan[None]:
        """Validate and encode, embed what is embeddable (one call), then append in one script.

        A failed embedding call does not lose the batch: its messages are stored marked
        ``pending`` and ``RedisSessionMemory.reindex()`` embeds them later.
        """
        cfg, backend, keys = self._backend.config, self._backend, self._keys
        msgs = check_messages(messages)
        docs = encode_messages(msgs, keys.user.uh, keys.sh, cfg.max_message_bytes)
        if not docs:
            return
        plain, fp = list(docs), ""
        blobs: list[bytes | str] = [""] * len(docs)
        positions, texts = to_embed(msgs, cfg) if backend.embeddings is not None else ([], [])
        if positions:
            try:
                vectors = yield (Op.EMBED_DOCUMENTS, texts)
                if len(vectors) != len(texts):
                    raise ValueError(f"{len(texts)} texts were sent, {len(vectors)} vectors came back")
                dims = len(vectors[0])
                fp = fingerprint(backend.embeddings, dims, cfg)  # type: ignore[arg-type]
                for i, vector in zip(positions, vectors, strict=True):
                    blobs[i] = pack(vector, cfg.vector_dtype, dims)
                    docs[i] = mark_embedded(plain[i], fp)
            except Exception as exc:  # the provider's failure must not lose the conversation
                logger.warning(
                    "embedding %d message(s) of session %r failed (%r); they are stored and marked "
                    "pending: run memory.reindex() to embed them",
                    len(positions),
                    self.session_id,
                    exc,
                )
                for i in positions:
                    blobs[i] = ""
                    docs[i] = mark_embedded(plain[i], PENDING)
        script_keys = [keys.meta, keys.user.sessions, keys.user.user]
        args = [*self._ids(), keys.sh, cfg.ttl_ms, cfg.max_age_ms, keys.vector_prefix, keys.user.uh, fp, len(docs)]
        args += docs
        for m, blob in zip(msgs, blobs, strict=True):
            args += [m.type, blob]
        yield (Op.SCRIPT, "append", script_keys, args)

    def _read_call(self, k: int = -1, after_seq: int = 0) -> Call:
        return "read", [self._keys.meta], [*self._ids(), k, after_seq]

    def _clear_call(self, drop_session: bool) -> Call:
        keys = [self._keys.meta, self._keys.user.sessions]
        return "clear", keys, [*self._ids(), self._keys.sh, int(drop_session), self._keys.vector_prefix]

    @staticmethod
    def _messages_of(reply: list[Any]) -> list[BaseMessage]:
        return decode_messages(reply[3:])

    @staticmethod
    def _count_of(reply: list[Any]) -> int:
        return int(reply[2]) - int(reply[1]) + 1 if reply else 0

    # -- sync ----------------------------------------------------------------------------------

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """Every stored message of the session, oldest first. One round trip."""
        return self._messages_of(self._backend.run(*self._read_call()))

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append a batch atomically, in one round trip.

        Raises:
            InvalidMessageError: An item is not a BaseMessage (nothing is stored).
            MessageSerializationError: A message cannot be stored as JSON (nothing is stored).
        """
        drive(self._append_plan(messages), self._backend.execute)

    def clear(self) -> None:
        """Delete the session's messages (its settings and metadata stay)."""
        self._backend.run(*self._clear_call(drop_session=False))

    def get_recent(self, k: int) -> list[BaseMessage]:
        """The last ``k`` messages, oldest first; reads only those ``k``."""
        return self._messages_of(self._backend.run(*self._read_call(_check_k(k))))

    def __len__(self) -> int:
        """Number of stored messages. One round trip, no message is read."""
        return self._count_of(self._backend.run(*self._read_call(0)))

    # -- async ---------------------------------------------------------------------------------

    async def aget_messages(self) -> list[BaseMessage]:
        """Async twin of ``messages``."""
        return self._messages_of(await self._backend.arun(*self._read_call()))

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Async twin of ``add_messages``."""
        await adrive(self._append_plan(messages), self._backend.aexecute)

    async def aclear(self) -> None:
        """Async twin of ``clear``."""
        await self._backend.arun(*self._clear_call(drop_session=False))

    async def aget_recent(self, k: int) -> list[BaseMessage]:
        """Async twin of ``get_recent``."""
        return self._messages_of(await self._backend.arun(*self._read_call(_check_k(k))))

    async def alen(self) -> int:
        """Async twin of ``len(history)``."""
        return self._count_of(await self._backend.arun(*self._read_call(0)))
