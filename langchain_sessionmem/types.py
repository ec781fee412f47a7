"""What the session administration API returns (re-exported by ``langchain_sessionmem``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["SessionInfo", "SessionPage", "TransferStats"]


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


@dataclass(frozen=True, slots=True)
class TransferStats:
    """What an export or an import moved."""

    users: int
    sessions: int
    messages: int
    skipped_sessions: int = 0
