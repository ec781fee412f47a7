"""The operations on a user's sessions and settings: list, look up, update, instructions, delete.
Plans over a ``Store`` (see target.py), shared by ``RedisSessionMemory`` and import/export."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import SystemMessage

from langchain_sessionmem._codec import optional_text, reply_text
from langchain_sessionmem._keys import UserKeys, check_id
from langchain_sessionmem._lua.clear import clear
from langchain_sessionmem._lua.delete_user import delete_user
from langchain_sessionmem._lua.list_sessions import list_sessions, page
from langchain_sessionmem._lua.session_info import session, session_info
from langchain_sessionmem._lua.set_session import set_session
from langchain_sessionmem._lua.set_user import set_user
from langchain_sessionmem._ops.history import check_count, state_plan
from langchain_sessionmem._ops.steps import Command, Plan, Script
from langchain_sessionmem._ops.target import Store
from langchain_sessionmem._tokens import message_tokens
from langchain_sessionmem.errors import ConfigError, IdCollisionError
from langchain_sessionmem.types import SessionInfo, SessionPage

UNSET: Any = object()
"""An update_session argument not given (None is a value: it clears)."""


def user_keys(store: Store, user_id: str) -> UserKeys:
    return UserKeys.of(store.config.key_prefix, check_id("user_id", user_id, store.config.max_id_length))


def list_plan(store: Store, user_id: str, limit: int | None, cursor: str | None) -> Plan[SessionPage]:
    n = check_count("limit", limit, optional=True)
    if n == 0:
        raise ConfigError("limit must be None or an int >= 1, got 0")
    return page(user_id, (yield list_sessions(user_keys(store, user_id), user_id, limit=n, cursor=cursor)))


def all_plan(store: Store, user_id: str) -> Plan[list[SessionInfo]]:
    """Every live session of the user, newest first, a page of 200 per round trip."""
    out: list[SessionInfo] = []
    cursor = None
    while True:
        found = yield from list_plan(store, user_id, 200, cursor)
        out += found
        if (cursor := found.next_cursor) is None:
            return out


def get_plan(store: Store, user_id: str, session_id: str) -> Plan[SessionInfo | None]:
    return session(user_id, (yield session_info(store.session(user_id, session_id).keys, user_id)))


def set_fields(store: Store, user_id: str, session_id: str, fields: dict[str, Any]) -> Script:
    return set_session(store.session(user_id, session_id).keys, user_id, ttl_ms=store.config.ttl_ms, fields=fields)


def metadata_json(metadata: Any, max_bytes: int) -> str:
    """Session metadata as stored: compact JSON, '' for none; ConfigError when it cannot be."""
    if metadata is None:
        return ""
    if not isinstance(metadata, dict) or not all(isinstance(k, str) for k in metadata):
        raise ConfigError(f"metadata must be a dict with str keys or None, got {metadata!r:.80}")
    try:
        raw = json.dumps(metadata, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        size = len(raw.encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"metadata must be JSON-serialisable: {exc}") from exc
    if size > max_bytes:
        raise ConfigError(f"metadata encodes to {size} bytes, above max_message_bytes={max_bytes}")
    return raw if metadata else ""


def update_plan(store: Store, user_id: str, session_id: str, title: Any, metadata: Any) -> Plan[None]:
    fields: dict[str, Any] = {}
    if title is not UNSET:
        if title is not None and (not isinstance(title, str) or not title.strip()):
            raise ConfigError(f"title must be a non-empty str or None, got {title!r}")
        fields["title"] = title or ""
    if metadata is not UNSET:
        fields["meta"] = metadata_json(metadata, store.config.max_message_bytes)
    if fields:
        yield set_fields(store, user_id, session_id, fields)


def set_instructions(store: Store, user_id: str, instructions: str | None, session_id: str | None) -> Script:
    """The script call setting (None: clearing) the user's default instructions, or one session's."""
    if instructions is not None:
        if not isinstance(instructions, str) or not instructions.strip():
            raise ConfigError(f"instructions must be a non-empty str (None clears them), got {instructions!r:.80}")
        size, limit = len(instructions.encode("utf-8", "surrogatepass")), store.config.max_message_bytes
        if size > limit:
            raise ConfigError(f"instructions are {size} bytes, above max_message_bytes={limit}")
    body = instructions or ""
    tokens: int | str = message_tokens(SystemMessage(body), store.counter()) if body else ""
    if session_id is not None:
        return set_fields(store, user_id, session_id, {"instr": body, "itok": tokens})
    return set_user(user_keys(store, user_id), user_id, instructions=body, tokens=tokens)


def instructions_plan(store: Store, user_id: str, session_id: str | None) -> Plan[str | None]:
    """The instructions in effect for a session (its own, else the user's); without ``session_id``
    the user's default."""
    if session_id is not None:
        state = yield from state_plan(store.session(user_id, session_id), instructions=True)
        return state.instructions
    owner, body = yield Command("HMGET", user_keys(store, user_id).user, "uid", "instr")
    if owner is not None and reply_text(owner) != user_id:
        raise IdCollisionError("two different user ids map to the same Redis keys; nothing was read")
    return optional_text(body)


def delete_session(store: Store, user_id: str, session_id: str) -> Script:
    """The reply is the number of messages deleted."""
    return clear(store.session(user_id, session_id).keys, user_id, drop_session=True)


def delete_user_plan(store: Store, user_id: str) -> Plan[int]:
    """Every key of the user; the number of messages deleted."""
    _, messages = yield delete_user(user_keys(store, user_id), user_id)
    return int(messages)
