"""The session_info script (session_info.lua), and the session row it shares with list_sessions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from langchain_sessionmem._codec import reply_text
from langchain_sessionmem._keys import SessionKeys
from langchain_sessionmem._ops.steps import Script
from langchain_sessionmem.types import SessionInfo

ROW = 8
"""Fields of a session row (``session_row`` in prelude.lua)."""


def session_info(keys: SessionKeys, user_id: str) -> Script:
    return Script("session_info", [keys.meta], [user_id, keys.session_id, keys.message_prefix])


def _time(ms: str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc)


def info_of(user_id: str, row: Sequence[Any]) -> SessionInfo:
    """A session row: id, created and last active (ms), message count, tokens, title, metadata
    JSON, instructions ('' for none)."""
    sid, created, last, count, tokens, title, meta, instr = (reply_text(v) for v in row)
    metadata = json.loads(meta) if meta else {}
    return SessionInfo(
        user_id, sid, _time(created), _time(last), int(count), int(tokens), title or None, metadata, instr or None
    )


def session(user_id: str, reply: Sequence[Any]) -> SessionInfo | None:
    return info_of(user_id, reply) if reply else None
