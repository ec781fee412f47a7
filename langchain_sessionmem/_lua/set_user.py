"""The set_user script (set_user.lua): a user's default instructions."""

from __future__ import annotations

from langchain_sessionmem._keys import UserKeys
from langchain_sessionmem._ops.steps import Script


def set_user(user: UserKeys, user_id: str, *, instructions: str, tokens: int | str) -> Script:
    """``instructions`` '' (and ``tokens`` '') clears them."""
    return Script("set_user", [user.user, user.sessions], [user_id, instructions, tokens])
