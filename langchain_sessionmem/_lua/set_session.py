"""The set_session script (set_session.lua): fields of a session's meta set, the session created if
needed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_sessionmem._keys import SessionKeys
from langchain_sessionmem._ops.steps import Script


def set_session(keys: SessionKeys, user_id: str, *, ttl_ms: int, fields: Mapping[str, Any]) -> Script:
    """``fields``: meta field -> value ('' deletes it): ``title``, ``meta`` (JSON), ``instr`` and
    ``itok`` (instructions and their tokens), ``last_active`` (ms; also moves the session in the
    activity order), ``sum``/``sup``/``stok`` (an imported summary)."""
    args: list[Any] = [user_id, keys.session_id, keys.sh, ttl_ms]
    for name, value in fields.items():
        args += [name, value]
    return Script("set_session", [keys.meta, keys.user.sessions, keys.user.user], args)
