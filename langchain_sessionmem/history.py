"""RedisSessionHistory: the chat history of one (user_id, session_id) pair, and SessionContext:
what a chain sees of it. Thin facades over the plans in ``_ops/history.py``."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import redis
import redis.asyncio as aredis
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from langchain_sessionmem._backend import Backend
from langchain_sessionmem._codec import StoredMessage
from langchain_sessionmem._keys import SessionKeys
from langchain_sessionmem._lua.clear import clear
from langchain_sessionmem._ops import history as ops
from langchain_sessionmem._ops.history import SUMMARY_PREFIX as SUMMARY_PREFIX
from langchain_sessionmem._ops.history import SUMMARY_PROMPT, check_count
from langchain_sessionmem._ops.steps import Plan, call
from langchain_sessionmem._ops.target import Session
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption
from langchain_sessionmem.errors import ConfigError

__all__ = ["ContextWindow", "RedisSessionHistory", "SessionContext"]


@dataclass(frozen=True, slots=True)
class ContextWindow:
    """What a chain sees of a session: see ``RedisSessionHistory.get_context``.

    ``memory.context(user_id, session_id, window)`` (what ``memory.with_message_history`` uses) is a
    ``SessionContext`` whose ``messages`` is this context; ``add_messages`` appends to the history.
    """

    max_tokens: int | None = None
    """Token budget of the whole context (instructions and summary included); None: no limit."""
    k: int | None = None
    """At most this many stored messages; None: no limit."""
    instructions: bool = True
    """Prepend the effective system instructions (the session's, else the user's), if any."""
    summary: bool = True
    """Prepend the running summary, if any, and show only the messages after it."""

    def __post_init__(self) -> None:
        check_count("max_tokens", self.max_tokens, optional=True)
        check_count("k", self.k, optional=True)


class RedisSessionHistory(BaseChatMessageHistory):
    """Chat history of one user's session, one RedisJSON document per message.

    Setup:
        Install ``langchain-sessionmem`` and run a Redis with RedisJSON and RediSearch
        (Redis Stack 7.4+ or Redis 8); pass its URL or set ``REDIS_URL``.

    Instantiate:
        .. code-block:: python

            from langchain_sessionmem import RedisSessionMemory

            memory = RedisSessionMemory("redis://localhost:6379/0")
            history = memory.history("alice@example.com", "trip-planning")

        Creating a history does no I/O; it is cheap enough to do on every request.

    Usage:
        .. code-block:: python

            history.add_messages([HumanMessage("hi"), AIMessage("hello")])
            history.messages          # every stored message, oldest first
            history.get_stored(after=0, limit=100)  # with their sequence numbers and times
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
        client: redis.Redis | RedisCluster | None = None,
        async_client: aredis.Redis | AsyncRedisCluster | None = None,
        config: SessionMemConfig | None = None,
        embeddings: Embeddings | None = None,
        window: ContextWindow | None = None,
        encryption: ContentEncryption | None = None,
        backend: Backend | None = None,
    ) -> None:
        """Create a history handle; no I/O happens here.

        Args:
            user_id: The user's id: any non-empty str up to ``config.max_id_length`` characters,
                compared exactly (case, whitespace and Unicode form matter).
            session_id: The conversation's id, same rules; scoped to the user.
            redis_url: Server URL (``redis+cluster://host:port`` for a Redis Cluster); defaults to
                ``$REDIS_URL``, then ``redis://localhost:6379/0``.
            client: A ``redis.Redis`` (or ``redis.cluster.RedisCluster``) to use instead of one
                built from the URL.
            async_client: A ``redis.asyncio.Redis`` (or its ``RedisCluster``) for the async methods.
            config: Shared settings; must match the other processes using the same data.
            embeddings: When set, messages are embedded on write (one ``embed_documents`` call
                per batch) so the retriever can find them.
            window: Deprecated: use ``memory.context(user_id, session_id, window)`` (a
                ``SessionContext``), whose ``messages`` is that context. Given here, ``messages``
                returns the context instead of what is stored, as before.
            encryption: Seal message content and summaries at rest (see ``encryption.py``).
            backend: Internal: the memory's shared clients. Prefer ``RedisSessionMemory.history``.

        Raises:
            InvalidIdError: An id is not a non-empty str within the length limit.
        """
        self._backend = backend or Backend(redis_url, client, async_client, config, embeddings, encryption)
        self._session = self._backend.store.session(user_id, session_id)
        self.user_id, self.session_id = self._session.user_id, self._session.session_id
        if window is not None:
            if not isinstance(window, ContextWindow):
                raise ConfigError(f"window must be a ContextWindow, got {type(window).__name__}")
            warnings.warn(
                "RedisSessionHistory(window=...) is deprecated: a history's messages are what is stored. For "
                "what a chain sees, use memory.context(user_id, session_id, window), a SessionContext",
                DeprecationWarning,
                stacklevel=3,
            )
        self.window = window

    def __repr__(self) -> str:
        return f"RedisSessionHistory(user_id={self.user_id!r}, session_id={self.session_id!r})"

    @property
    def _keys(self) -> SessionKeys:
        return self._session.keys

    def _messages_plan(self) -> Plan[list[BaseMessage]]:
        return ops.view_plan(self._session) if self.window is None else _context_plan(self._session, self.window)

    def _recent_plan(self, k: int) -> Plan[list[BaseMessage]]:
        return ops.view_plan(self._session, ops.View(check_count("k", k)))

    def _window_plan(self, max_tokens: int | None, k: int | None) -> Plan[list[BaseMessage]]:
        return ops.view_plan(self._session, ops.View(k, max_tokens, window=True))

    def _context_plan(self, max_tokens: int | None, k: int | None) -> Plan[list[BaseMessage]]:
        return _context_plan(self._session, ContextWindow(max_tokens, k))

    def _stored_plan(self, after: int, limit: int | None) -> Plan[list[StoredMessage]]:
        return ops.stored_plan(self._session, check_count("after", after), check_count("limit", limit, optional=True))

    # -- sync ----------------------------------------------------------------------------------

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """Every stored message of the session, oldest first, in one round trip."""
        return self._backend.run(self._messages_plan())

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append a batch atomically, in one round trip.

        Raises:
            InvalidMessageError: An item is not a BaseMessage (nothing is stored).
            MessageSerializationError: A message cannot be stored as JSON (nothing is stored).
        """
        self._backend.run(ops.append_plan(self._session, messages))

    def clear(self) -> None:
        """Delete the session's messages and summary (its instructions, title and metadata stay)."""
        self._backend.run(call(clear(self._session.keys, self.user_id, drop_session=False)))

    def get_recent(self, k: int) -> list[BaseMessage]:
        """The last ``k`` messages, oldest first; reads only those ``k``."""
        return self._backend.run(self._recent_plan(k))

    def get_window(self, max_tokens: int | None = None, *, k: int | None = None) -> list[BaseMessage]:
        """The most recent messages that fit ``max_tokens`` (and ``k``), as ``trim_messages`` cuts.

        Same result as ``trim_messages(history.messages, max_tokens=..., strategy="last",
        include_system=True, start_on="human", token_counter=<this package's counter>)``: a leading
        system message is kept and counted, the window starts on a human message (so a tool result
        never loses the AI tool call it answers), nothing is split. Reads only the window, in one
        round trip: the cut is found by binary search over stored running token totals.
        """
        return self._backend.run(self._window_plan(max_tokens, k))

    def get_context(self, max_tokens: int | None = None, *, k: int | None = None) -> list[BaseMessage]:
        """What to send the model: the effective instructions and the running summary as system
        messages, then the ``get_window`` of the messages after the summary, all within
        ``max_tokens``. One round trip."""
        return self._backend.run(self._context_plan(max_tokens, k))

    def get_stored(self, after: int = 0, limit: int | None = None) -> list[StoredMessage]:
        """The stored messages with a sequence number above ``after``, oldest first, each with its
        ``seq`` and ``timestamp_ms`` (the server's time when it was stored, or the original time of an
        imported message); at most ``limit`` of them (None: all). Page through a long session with
        ``after=page[-1].seq``. One round trip per call."""
        return self._backend.run(self._stored_plan(after, limit))

    def token_count(self) -> int:
        """Tokens of the stored messages (``config.tokenizer``), kept up to date on write: O(1)."""
        return self._backend.run(ops.state_plan(self._session)).tokens

    def summarize(
        self,
        model: BaseChatModel,
        *,
        keep_tokens: int | None = None,
        keep_last: int | None = None,
        prompt: str = SUMMARY_PROMPT,
    ) -> str | None:
        """Fold the messages older than the recent window into the stored running summary.

        The recent window is what ``get_window(keep_tokens, k=keep_last)`` keeps of the messages
        after the current summary; everything between the summary and that window is sent to
        ``model`` with the current summary, and the reply becomes the new summary. The messages
        themselves stay stored (``messages``, the retriever), only the context shrinks.

        Returns:
            The summary now stored (unchanged when nothing was old enough), or None.

        Raises:
            ConcurrentUpdateError: Another summarize() or a clear() changed the session meanwhile.
            SummarizationError: The model returned an empty reply.
        """
        return self._backend.run(ops.summarize_plan(self._session, model, keep_tokens, keep_last, prompt))

    def __len__(self) -> int:
        """Number of stored messages. One round trip, no message is read."""
        return self._backend.run(ops.state_plan(self._session)).count

    # -- async ---------------------------------------------------------------------------------

    async def aget_messages(self) -> list[BaseMessage]:
        """Async twin of ``messages``."""
        return await self._backend.arun(self._messages_plan())

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Async twin of ``add_messages``."""
        await self._backend.arun(ops.append_plan(self._session, messages))

    async def aclear(self) -> None:
        """Async twin of ``clear``."""
        await self._backend.arun(call(clear(self._session.keys, self.user_id, drop_session=False)))

    async def aget_recent(self, k: int) -> list[BaseMessage]:
        """Async twin of ``get_recent``."""
        return await self._backend.arun(self._recent_plan(k))

    async def aget_window(self, max_tokens: int | None = None, *, k: int | None = None) -> list[BaseMessage]:
        """Async twin of ``get_window``."""
        return await self._backend.arun(self._window_plan(max_tokens, k))

    async def aget_context(self, max_tokens: int | None = None, *, k: int | None = None) -> list[BaseMessage]:
        """Async twin of ``get_context``."""
        return await self._backend.arun(self._context_plan(max_tokens, k))

    async def aget_stored(self, after: int = 0, limit: int | None = None) -> list[StoredMessage]:
        """Async twin of ``get_stored``."""
        return await self._backend.arun(self._stored_plan(after, limit))

    async def atoken_count(self) -> int:
        """Async twin of ``token_count``."""
        return (await self._backend.arun(ops.state_plan(self._session))).tokens

    async def asummarize(
        self,
        model: BaseChatModel,
        *,
        keep_tokens: int | None = None,
        keep_last: int | None = None,
        prompt: str = SUMMARY_PROMPT,
    ) -> str | None:
        """Async twin of ``summarize`` (calls ``model.ainvoke``)."""
        return await self._backend.arun(ops.summarize_plan(self._session, model, keep_tokens, keep_last, prompt))

    async def alen(self) -> int:
        """Async twin of ``len(history)``."""
        return (await self._backend.arun(ops.state_plan(self._session))).count


def _context_plan(s: Session, w: ContextWindow) -> Plan[list[BaseMessage]]:
    return ops.view_plan(s, ops.View(w.k, w.max_tokens, window=True, instructions=w.instructions, summary=w.summary))


class SessionContext(BaseChatMessageHistory):
    """What a chain sees of a session: ``messages`` is the ``ContextWindow`` of its history (the
    effective instructions and running summary as system messages, then the recent window within
    the token budget), while ``add_messages`` and ``clear`` act on the history itself.

    ``RedisSessionMemory.with_message_history`` gives ``RunnableWithMessageHistory`` one of these;
    build one with ``memory.context(user_id, session_id, window)``. ``history`` is the literal
    history of the same session.
    """

    def __init__(self, history: RedisSessionHistory, window: ContextWindow) -> None:
        if not isinstance(window, ContextWindow):
            raise ConfigError(f"window must be a ContextWindow, got {type(window).__name__}")
        self.history = history
        self.window = window

    def __repr__(self) -> str:
        h = self.history
        return f"SessionContext(user_id={h.user_id!r}, session_id={h.session_id!r}, window={self.window!r})"

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """The context, in one round trip (see ``RedisSessionHistory.get_context``)."""
        return self.history._backend.run(_context_plan(self.history._session, self.window))

    async def aget_messages(self) -> list[BaseMessage]:
        """Async twin of ``messages``."""
        return await self.history._backend.arun(_context_plan(self.history._session, self.window))

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append to the session's history (see ``RedisSessionHistory.add_messages``)."""
        self.history.add_messages(messages)

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Async twin of ``add_messages``."""
        await self.history.aadd_messages(messages)

    def clear(self) -> None:
        """Clear the session's history (see ``RedisSessionHistory.clear``)."""
        self.history.clear()

    async def aclear(self) -> None:
        """Async twin of ``clear``."""
        await self.history.aclear()
