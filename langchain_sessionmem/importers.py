"""Importers from the chat histories people migrate away from, as export records.

They read what the source classes wrote, with plain redis-py (neither ``langchain_redis`` nor
``redisvl`` is imported), and yield the records of :mod:`langchain_sessionmem._records`: for each
source session a ``session`` record, then its ``message`` records with ``seq`` 1..n in the
source's own order (its timestamp, then the key as tie-break). No header or user records.

Sources and their layout:

``langchain_redis.RedisChatMessageHistory`` (deprecated since langchain-redis 0.2.6)
    One RedisJSON document per message at ``{key_prefix}{session_id}:{ULID}`` (default prefix
    ``chat:``)::

        {"type": "human", "message_id": "<ULID>", "session_id": "s1", "timestamp": 1700000000.123456,
         "data": {"content": ..., "additional_kwargs": {...}, "type": "human",
                  "tool_call_id": "...", "status": "success"}}   # the last two on tool messages only

    ``timestamp`` is Unix seconds (float). The message is rebuilt the way the source does:
    ``messages_from_dict([{"type": doc["type"], "data": doc["data"]}])``. The source never stored
    ``name``, ``id``, ``response_metadata``, ``usage_metadata``, a ToolMessage's ``artifact`` or an
    AIMessage's ``tool_calls`` (these come back only when ``additional_kwargs["tool_calls"]`` holds
    them in OpenAI form), so they cannot be recovered.

redisvl ``MessageHistory`` / ``SemanticMessageHistory`` (formerly ``StandardSessionManager`` /
``SemanticSessionManager``)
    One HASH per message at ``{prefix}:{entry_id}`` (``prefix`` defaults to the ``name`` given to
    the class, trailing ``:`` stripped) with fields ``role``, ``content``, ``session_tag``,
    ``timestamp`` (Unix seconds as a float string), ``entry_id`` and, when given, ``tool_call_id``
    and ``metadata`` (a JSON text). The semantic variant adds ``vector_field``, an embedding of the
    content, which is not needed. Roles become: ``user`` -> HumanMessage, ``assistant``/``llm`` ->
    AIMessage, ``system`` -> SystemMessage, ``tool`` with a ``tool_call_id`` -> ToolMessage; a
    ``tool`` role without one and any other role -> ``ChatMessage(role=...)``. ``metadata`` (decoded
    JSON, any type) goes to ``additional_kwargs["metadata"]``, and a ``tool_call_id`` on a role other
    than ``tool`` to ``additional_kwargs["tool_call_id"]``.

Keys are found with ``SCAN`` (``MATCH`` on the prefix, ``TYPE`` of the source's storage), in
batches, to the end of the keyspace. Keys of another type under the prefix are not the source's
(its search index is ``ON JSON`` / ``ON HASH`` and never sees them) and are left alone. The key
names of the selected sessions are collected first; message bodies are then read, checked and
yielded one session at a time, sessions in order of their id. A message that expired or was
deleted between the two passes is skipped, as the source would no longer return it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    messages_from_dict,
)

from langchain_sessionmem._backend import url_of
from langchain_sessionmem._keys import glob_escape
from langchain_sessionmem._records import message_record, session_record
from langchain_sessionmem.errors import ConfigError, InvalidRecordError, redact_url, translate_redis_errors

__all__ = ["LANGCHAIN_REDIS_KEY_PREFIX", "from_langchain_redis", "from_redisvl"]

LANGCHAIN_REDIS_KEY_PREFIX = "chat:"
"""The default ``key_prefix`` of ``langchain_redis.RedisChatMessageHistory``."""

UserIdArg = str | Callable[[str], str]

_SCAN_COUNT = 1000  # keys asked of each SCAN call (a hint to the server)
_READ_BATCH = 500  # documents read per round trip
_VL_FIELDS = ("role", "content", "session_tag", "timestamp", "tool_call_id", "metadata")


@dataclass(frozen=True)
class _Entry:
    ts: float  # Unix seconds, as the source stored it
    key: str
    message: BaseMessage


def from_langchain_redis(
    client: redis.Redis,
    *,
    user_id: UserIdArg,
    session_ids: Iterable[str] | None = None,
    key_prefix: str = LANGCHAIN_REDIS_KEY_PREFIX,
) -> Iterator[dict[str, Any]]:
    """Export records of the histories written by ``langchain_redis.RedisChatMessageHistory``.

    Args:
        client: A redis-py client of the server holding the history (``decode_responses`` either way).
        user_id: The user id of every imported session, or a function from the source session id
            to the user id (the source has no notion of users).
        session_ids: The sessions to import; None imports every session found under ``key_prefix``.
            A listed session with no message yields nothing.
        key_prefix: The ``key_prefix`` the source was created with.

    Returns:
        An iterator of records: per session a ``session`` record, then its ``message`` records.
        Arguments are checked at once; Redis is read while iterating.

    Raises:
        ConfigError: For an unusable argument, or a ``user_id`` function that returns no usable id.
        InvalidRecordError: While iterating, for a document the source could not have read back,
            naming its key.
        RedisUnavailableError: While iterating, if Redis cannot be reached (and the other
            translated Redis errors of :mod:`langchain_sessionmem.errors`).
    """
    _check_client(client)
    resolve = _user_resolver(user_id)
    wanted = _wanted(session_ids, "session_ids")
    if not isinstance(key_prefix, str) or not key_prefix:
        raise ConfigError(f"key_prefix must be a non-empty str, got {key_prefix!r}")
    if wanted is not None and len(wanted) == 1:
        (only,) = wanted
        pattern = glob_escape(key_prefix + only) + ":*"
    else:
        pattern = glob_escape(key_prefix) + "*"
    return _emit(client, resolve, _LangchainRedis(client, pattern, wanted))


def from_redisvl(
    client: redis.Redis,
    *,
    user_id: UserIdArg,
    name: str,
    prefix: str | None = None,
    session_tags: Iterable[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Export records of the histories written by redisvl's ``MessageHistory``.

    Also reads ``SemanticMessageHistory`` and the older ``StandardSessionManager`` /
    ``SemanticSessionManager``, which store messages the same way. redisvl has no default ``name``,
    so it must be given as it was to the source.

    Args:
        client: A redis-py client of the server holding the history (``decode_responses`` either way).
        user_id: The user id of every imported session, or a function from the source
            ``session_tag`` to the user id (the source has no notion of users).
        name: The ``name`` the source was created with (its index name and default key prefix).
        prefix: The ``prefix`` the source was created with; None means ``name``, as in redisvl.
        session_tags: The session tags to import; None imports every session found under the
            prefix. A listed tag with no message yields nothing.

    Returns:
        An iterator of records: per session a ``session`` record (its ``session_id`` is the tag),
        then its ``message`` records. Arguments are checked at once; Redis is read while iterating.

    Raises:
        ConfigError: For an unusable argument, or a ``user_id`` function that returns no usable id.
        InvalidRecordError: While iterating, for a hash the source could not have read back,
            naming its key.
        RedisUnavailableError: While iterating, if Redis cannot be reached (and the other
            translated Redis errors of :mod:`langchain_sessionmem.errors`).
    """
    _check_client(client)
    resolve = _user_resolver(user_id)
    wanted = _wanted(session_tags, "session_tags")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"name must be the non-empty index name given to redisvl, got {name!r}")
    if prefix is not None and not isinstance(prefix, str):
        raise ConfigError(f"prefix must be a str or None, got {type(prefix).__name__}")
    # redisvl: ``prefix or name``, and keys are ``prefix.rstrip(":") + ":" + entry_id``.
    base = (prefix or name).rstrip(":")
    if not base:
        raise ConfigError(f"prefix {prefix!r} has nothing but ':'; its keys cannot be told from any other key")
    if wanted is not None and len(wanted) == 1:
        (only,) = wanted
        pattern = glob_escape(f"{base}:{only}:") + "*"
    else:
        pattern = glob_escape(base + ":") + "*"
    return _emit(client, resolve, _RedisVL(client, pattern, wanted))


# --- shared machinery -------------------------------------------------------------------------


class _Source:
    """One source layout: which keys are its messages, their session, and the messages themselves."""

    redis_type: str  # the SCAN TYPE of the source's documents

    def __init__(self, client: redis.Redis, pattern: str, wanted: frozenset[str] | None) -> None:
        self.client = client
        self.pattern = pattern
        self.wanted = wanted

    def sessions_of(self, keys: Sequence[Any]) -> list[str | None]:
        """The session of each key (None for a key gone since SCAN); one round trip."""
        raise NotImplementedError

    def entries(self, session_id: str, keys: Sequence[Any]) -> list[_Entry]:
        """The messages at ``keys`` (at most one batch), checked to belong to ``session_id``."""
        raise NotImplementedError


def _emit(client: redis.Redis, resolve: Callable[[str], str], source: _Source) -> Iterator[dict[str, Any]]:
    url = redact_url(url_of(client))
    with translate_redis_errors(url):
        by_session = _group_keys(source)
    for session_id in sorted(by_session):
        keys = by_session.pop(session_id)  # free the key names as we go
        entries: list[_Entry] = []
        with translate_redis_errors(url):
            for i in range(0, len(keys), _READ_BATCH):
                entries.extend(source.entries(session_id, keys[i : i + _READ_BATCH]))
        if not entries:  # every message expired since the scan
            continue
        entries.sort(key=lambda e: (e.ts, e.key))
        uid = resolve(session_id)
        yield session_record(uid, session_id, created_at=_ms(entries[0].ts), last_active=_ms(entries[-1].ts))
        for seq, entry in enumerate(entries, 1):
            yield message_record(uid, session_id, seq, _ms(entry.ts), entry.message)


def _group_keys(source: _Source) -> dict[str, list[Any]]:
    """One SCAN pass over the source's keys, grouped by session (key names only)."""
    groups: dict[str, dict[Any, None]] = {}  # insertion-ordered sets: SCAN may repeat a key
    batch: list[Any] = []

    def flush() -> None:
        for key, session_id in zip(batch, source.sessions_of(batch), strict=True):
            if session_id is not None and (source.wanted is None or session_id in source.wanted):
                groups.setdefault(session_id, {})[key] = None
        batch.clear()

    for key in source.client.scan_iter(match=source.pattern, count=_SCAN_COUNT, _type=source.redis_type):
        batch.append(key)
        if len(batch) >= _SCAN_COUNT:
            flush()
    flush()
    return {session_id: list(keys) for session_id, keys in groups.items()}


def _check_client(client: object) -> None:
    if not isinstance(client, redis.Redis):
        raise ConfigError(f"client must be a redis.Redis (sync client), got {type(client).__name__}")


def _user_resolver(user_id: UserIdArg) -> Callable[[str], str]:
    if isinstance(user_id, str):
        if not user_id:
            raise ConfigError("user_id must be a non-empty str or a function from session id to user id")
        fixed = user_id
        return lambda _session_id: fixed
    if not callable(user_id):
        raise ConfigError(f"user_id must be a str or a callable, got {type(user_id).__name__}")
    func = user_id

    def resolve(session_id: str) -> str:
        uid = func(session_id)
        if not isinstance(uid, str) or not uid:
            raise ConfigError(
                f"user_id function returned {uid!r} for session {session_id!r}; it must return a non-empty str"
            )
        return uid

    return resolve


def _wanted(ids: Iterable[str] | None, what: str) -> frozenset[str] | None:
    if ids is None:
        return None
    if isinstance(ids, (str, bytes)):
        raise ConfigError(f"{what} must be an iterable of ids, not a single {type(ids).__name__}; wrap it in a list")
    out = frozenset(ids)
    bad = [i for i in out if not isinstance(i, str) or not i]
    if bad:
        raise ConfigError(f"{what} must hold non-empty str ids, got {bad[0]!r}")
    return out


def _text(value: Any, key: str, field: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRecordError(f"{key}: field {field!r} is not UTF-8 text ({exc})") from exc
    if isinstance(value, str):
        return value
    raise InvalidRecordError(f"{key}: field {field!r} should be text, got {type(value).__name__} {value!r:.80}")


def _key_text(key: Any) -> str:
    return key.decode("utf-8", "backslashreplace") if isinstance(key, bytes) else str(key)


def _seconds(value: Any, key: str) -> float:
    if isinstance(value, (bytes, str)):
        try:
            value = float(value)
        except ValueError:
            raise InvalidRecordError(f"{key}: timestamp {value!r:.80} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidRecordError(f"{key}: timestamp must be a finite number of Unix seconds, got {value!r:.80}")
    return float(value)


def _ms(seconds: float) -> int:
    return math.floor(seconds * 1000)


def _session_of(value: Any, key: str, field: str) -> str:
    if value is None:
        raise InvalidRecordError(f"{key}: has no {field!r}; the source cannot place it in a session")
    session_id = _text(value, key, field)
    if not session_id:
        raise InvalidRecordError(f"{key}: {field!r} is empty")
    return session_id


# --- langchain_redis.RedisChatMessageHistory -------------------------------------------------


class _LangchainRedis(_Source):
    redis_type = "ReJSON-RL"

    def sessions_of(self, keys: Sequence[Any]) -> list[str | None]:
        if not keys:
            return []
        found: list[Any] = self.client.json().mget(list(keys), "$.session_id")
        out: list[str | None] = []
        for key, value in zip(keys, found, strict=True):
            if value is None:  # gone since SCAN
                out.append(None)
            else:
                out.append(_session_of(value[0] if value else None, _key_text(key), "session_id"))
        return out

    def entries(self, session_id: str, keys: Sequence[Any]) -> list[_Entry]:
        docs: list[Any] = self.client.json().mget(list(keys), "$")
        out: list[_Entry] = []
        for raw_key, found in zip(keys, docs, strict=True):
            if not found:  # gone since SCAN
                continue
            key = _key_text(raw_key)
            doc = found[0]
            if not isinstance(doc, dict):
                raise InvalidRecordError(f"{key}: expected a JSON object, got {type(doc).__name__}")
            if doc.get("session_id") != session_id:
                raise InvalidRecordError(
                    f"{key}: session_id changed from {session_id!r} to {doc.get('session_id')!r} during the import"
                )
            out.append(_Entry(_seconds(doc.get("timestamp"), key), key, self._message(doc, key)))
        return out

    @staticmethod
    def _message(doc: dict[str, Any], key: str) -> BaseMessage:
        mtype, data = doc.get("type"), doc.get("data")
        if not isinstance(mtype, str) or not mtype:
            raise InvalidRecordError(f"{key}: 'type' must be a message type such as 'human', got {mtype!r:.80}")
        if not isinstance(data, dict) or "content" not in data:
            raise InvalidRecordError(f"{key}: 'data' must be an object with 'content', got {data!r:.120}")
        try:
            (message,) = messages_from_dict([{"type": mtype, "data": data}])
        except Exception as exc:  # whatever messages_from_dict rejects (unknown type, missing field)
            raise InvalidRecordError(
                f"{key}: LangChain cannot rebuild this {mtype!r} message, nor can the source: {exc!r:.300}"
            ) from exc
        return message


# --- redisvl MessageHistory -------------------------------------------------------------------


class _RedisVL(_Source):
    redis_type = "hash"

    def sessions_of(self, keys: Sequence[Any]) -> list[str | None]:
        if not keys:
            return []
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.hget(key, "session_tag")
        out: list[str | None] = []
        for key, (tag, exists) in zip(keys, _execute(pipe, keys), strict=True):
            out.append(_session_of(tag, _key_text(key), "session_tag") if exists else None)
        return out

    def entries(self, session_id: str, keys: Sequence[Any]) -> list[_Entry]:
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(key, list(_VL_FIELDS))
        out: list[_Entry] = []
        for raw_key, (row, exists) in zip(keys, _execute(pipe, keys), strict=True):
            if not exists:  # gone since SCAN
                continue
            key = _key_text(raw_key)
            role, content, tag, ts, tool_call_id, metadata = row
            if tag is None or _text(tag, key, "session_tag") != session_id:
                raise InvalidRecordError(f"{key}: session_tag changed from {session_id!r} during the import")
            if role is None or content is None or ts is None:
                missing = [f for f, v in (("role", role), ("content", content), ("timestamp", ts)) if v is None]
                raise InvalidRecordError(f"{key}: a redisvl message needs {missing} (the hash has none)")
            message = self._message(
                key,
                _text(role, key, "role"),
                _text(content, key, "content"),
                None if tool_call_id is None else _text(tool_call_id, key, "tool_call_id"),
                None if metadata is None else _text(metadata, key, "metadata"),
            )
            out.append(_Entry(_seconds(ts, key), key, message))
        return out

    @staticmethod
    def _message(key: str, role: str, content: str, tool_call_id: str | None, metadata: str | None) -> BaseMessage:
        extra: dict[str, Any] = {}
        if metadata is not None:
            try:
                extra["metadata"] = json.loads(metadata)
            except ValueError as exc:
                raise InvalidRecordError(f"{key}: metadata is not JSON ({exc}): {metadata!r:.80}") from exc
        if role == "tool" and tool_call_id is not None:
            return ToolMessage(content=content, tool_call_id=tool_call_id, additional_kwargs=extra)
        if tool_call_id is not None:
            extra["tool_call_id"] = tool_call_id
        if role == "user":
            return HumanMessage(content=content, additional_kwargs=extra)
        if role in ("assistant", "llm"):
            return AIMessage(content=content, additional_kwargs=extra)
        if role == "system":
            return SystemMessage(content=content, additional_kwargs=extra)
        if not role:
            raise InvalidRecordError(f"{key}: role is empty")
        return ChatMessage(content=content, role=role, additional_kwargs=extra)


def _execute(pipe: Any, keys: Sequence[Any]) -> list[tuple[Any, bool]]:
    """Run ``pipe`` (one command per key) and EXISTS of each key: (reply, exists) per key, in order.

    A hash never exists without fields, but HGET/HMGET answer None both for a missing field and a
    missing key; EXISTS tells a malformed hash from one that expired since the scan.
    """
    for key in keys:
        pipe.exists(key)
    try:
        replies: list[Any] = pipe.execute()
    except UnicodeDecodeError as exc:  # a decode_responses=True client meeting non-UTF-8 bytes
        raise InvalidRecordError(
            f"one of the keys {_key_text(keys[0])} .. {_key_text(keys[-1])} holds text that is not UTF-8 "
            f"({exc}); read it with a client made with decode_responses=False to find which"
        ) from exc
    n = len(keys)
    return [(reply, bool(exists)) for reply, exists in zip(replies[:n], replies[n:], strict=True)]
