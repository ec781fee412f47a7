"""What the session administration API returns (re-exported by ``langchain_sessionmem``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["IndexStats", "ServerStats", "SessionInfo", "SessionPage", "TransferStats"]


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


@dataclass(frozen=True, slots=True)
class IndexStats:
    """One of the memory's RediSearch indexes, as ``server_stats`` finds it (FT.INFO)."""

    name: str
    docs: int
    """Documents in the index: one per stored message (in the vector index, per embedded message)."""
    indexing: bool
    """The index is still scanning the keys that existed when it was created; ``docs`` grows until it ends."""
    percent_indexed: float
    """How far that scan is, from 0.0 to 1.0."""


@dataclass(frozen=True, slots=True)
class ServerStats:
    """What ``RedisSessionMemory.server_stats`` reports: the memory's indexes and the server's memory use."""

    search_available: bool
    """False on a Redis Cluster whose RediSearch does not search across shards (no coordinator):
    the indexes are then not read, and ``index`` and ``vector_index`` are None."""
    index: IndexStats | None
    """The message index (``config.index_name``); None when it does not exist (``setup()`` creates it)."""
    vector_index: IndexStats | None
    """The vector index (``config.vector_index_name``); None when it does not exist (``setup()``
    with embeddings, or ``reindex()``, creates it)."""
    used_memory: int
    """Bytes the server uses (INFO ``used_memory``); on a Redis Cluster, the sum over every primary."""
    used_memory_human: str
    """``used_memory`` as Redis writes it, like ``1.05M``: the server's own ``used_memory_human``;
    the sum in MiB over a Redis Cluster of several primaries."""
    primaries: int
    """How many servers were asked: 1, or the primaries of a Redis Cluster."""
