"""The reseal script (reseal.lua): new sealed content for messages that still exist."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_sessionmem._keys import SessionKeys
from langchain_sessionmem._ops.steps import Script


def reseal(keys: SessionKeys, user_id: str, pairs: Sequence[Any]) -> Script:
    """``pairs``: seq, sealed content, seq, sealed content, ... (see ``_codec.reseal_doc``). The
    reply is how many messages were resealed (a message deleted meanwhile is skipped)."""
    return Script("reseal", [keys.meta], [user_id, keys.session_id, keys.message_prefix, *pairs])
