"""The clear script (clear.lua): a session's messages, vectors and summary removed."""

from __future__ import annotations

from langchain_sessionmem._keys import SessionKeys
from langchain_sessionmem._ops.steps import Script


def clear(keys: SessionKeys, user_id: str, *, drop_session: bool) -> Script:
    """``drop_session``: the session's meta (title, metadata, instructions) goes too, and it leaves
    the user's session list. The reply is the number of messages deleted."""
    args = [user_id, keys.session_id, keys.message_prefix, keys.sh, int(drop_session), keys.vector_prefix]
    return Script("clear", [keys.meta, keys.user.sessions, keys.ids], args)
