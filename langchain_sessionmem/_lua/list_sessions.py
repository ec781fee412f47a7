"""The list_sessions script (list_sessions.lua): a page of a user's sessions, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_sessionmem._codec import reply_text
from langchain_sessionmem._keys import DIGEST_HEX, UserKeys
from langchain_sessionmem._lua.session_info import ROW, info_of
from langchain_sessionmem._ops.steps import Script
from langchain_sessionmem.errors import ConfigError
from langchain_sessionmem.types import SessionPage


def parse_cursor(cursor: str | None) -> tuple[str, str]:
    """A ``next_cursor`` as the script's (score, session digest); ('', '') for the first page."""
    if cursor is None:
        return "", ""
    score, _, sh = cursor.partition(".") if isinstance(cursor, str) else ("", "", "")
    if not (score.isdigit() and len(sh) == DIGEST_HEX and all(c in "0123456789abcdef" for c in sh)):
        raise ConfigError(f"cursor {cursor!r:.80} is not one list_sessions returned; pass its next_cursor or None")
    return score, sh


def list_sessions(user: UserKeys, user_id: str, *, limit: int, cursor: str | None) -> Script:
    """``limit`` sessions (-1: all) after ``cursor`` (None: from the most recently active)."""
    score, sh = parse_cursor(cursor)
    args = [user_id, user.meta_prefix, user.message_prefix, score, sh, limit]
    return Script("list_sessions", [user.sessions, user.user], args)


def page(user_id: str, reply: Sequence[Any]) -> SessionPage:
    score, sh = reply_text(reply[0]), reply_text(reply[1])
    rows = [info_of(user_id, reply[i : i + ROW]) for i in range(2, len(reply), ROW)]
    return SessionPage(rows, f"{int(float(score))}.{sh}" if score else None)
