"""The set_summary script (set_summary.lua): a session's running summary replaced."""

from __future__ import annotations

from langchain_sessionmem._keys import SessionKeys
from langchain_sessionmem._ops.steps import Script


def set_summary(keys: SessionKeys, user_id: str, *, generation: int, sealed: str, upto: int, tokens: int) -> Script:
    """Store ``sealed`` (the summary, sealed when the memory encrypts) as covering the messages up to
    seq ``upto``, if the session's summary generation is still ``generation`` (else the script raises
    ConcurrentUpdateError: another summarize() or a clear() came first)."""
    return Script("set_summary", [keys.meta], [user_id, keys.session_id, generation, sealed, upto, tokens])
