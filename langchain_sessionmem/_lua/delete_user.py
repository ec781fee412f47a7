"""The delete_user script (delete_user.lua): every key of one user."""

from __future__ import annotations

from langchain_sessionmem._keys import UserKeys
from langchain_sessionmem._ops.steps import Script


def delete_user(user: UserKeys, user_id: str) -> Script:
    """The reply is ``[sessions deleted, messages deleted]``."""
    args = [user_id, user.meta_prefix, user.message_prefix, user.vector_prefix, user.ids_prefix]
    return Script("delete_user", [user.sessions, user.user], args)
