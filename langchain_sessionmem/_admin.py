"""The session administration half of ``RedisSessionMemory``: list, look up, update and delete a
user's sessions, system instructions, token counts. Each method is a thin facade over a plan of
``_ops/sessions.py``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_sessionmem._codec import check_messages
from langchain_sessionmem._core import MemoryCore
from langchain_sessionmem._keys import check_id, thread_id_of
from langchain_sessionmem._ops import sessions as sessions_ops
from langchain_sessionmem._ops.steps import call
from langchain_sessionmem._tokens import messages_tokens
from langchain_sessionmem.types import SessionInfo, SessionPage

_UNSET = sessions_ops.UNSET


class SessionAdmin(MemoryCore):
    """A part of ``RedisSessionMemory``; see there."""

    def thread_id(self, user_id: str, session_id: str) -> str:
        """The LangGraph thread id for ``(user_id, session_id)``: scoped to the user, so two users'
        sessions "default" never share a checkpointer thread. The middleware reads the session back
        from it when a run gives no session_id."""
        n = self._store.config.max_id_length
        return thread_id_of(check_id("user_id", user_id, n), check_id("session_id", session_id, n))

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
        return messages_tokens(check_messages(messages), self._store.counter())

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
