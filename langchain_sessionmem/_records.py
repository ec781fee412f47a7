"""The export format: one JSON object per line (JSONL). Pure: no I/O.

A stream is a header, then for each user a ``user`` record, then for each of its sessions a
``session`` record followed by that session's ``message`` records in order::

    {"kind": "header", "format": "langchain-sessionmem", "version": 1}
    {"kind": "user", "user_id": "alice", "instructions": "Answer in French." | null}
    {"kind": "session", "user_id": "alice", "session_id": "s1", "created_at": 1700000000000,
     "last_active": 1700000005000, "title": "..." | null, "metadata": {...},
     "instructions": "..." | null, "summary": {"text": "...", "upto": 12} | null}
    {"kind": "message", "user_id": "alice", "session_id": "s1", "seq": 1, "ts": 1700000000000,
     "message": <langchain_core message_to_dict(message)>}

Times are Unix milliseconds. ``seq`` is the position the session gave the message; ``summary.upto``
is the ``seq`` of the last message the summary covers. Every message line names its user and
session, so a stream can be filtered or split with line tools. ``message`` is LangChain's own
``message_to_dict``, so the stream is lossless and readable without this package.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

from langchain_core.messages import BaseMessage, message_to_dict, messages_from_dict

from langchain_sessionmem.errors import InvalidRecordError

FORMAT = "langchain-sessionmem"
VERSION = 1

_DUMPS = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def header() -> dict[str, Any]:
    return {"kind": "header", "format": FORMAT, "version": VERSION}


def user_record(user_id: str, instructions: str | None) -> dict[str, Any]:
    return {"kind": "user", "user_id": user_id, "instructions": instructions}


def session_record(
    user_id: str,
    session_id: str,
    *,
    created_at: int,
    last_active: int,
    title: str | None = None,
    metadata: dict[str, Any] | None = None,
    instructions: str | None = None,
    summary: tuple[str, int] | None = None,
) -> dict[str, Any]:
    return {
        "kind": "session",
        "user_id": user_id,
        "session_id": session_id,
        "created_at": int(created_at),
        "last_active": int(last_active),
        "title": title,
        "metadata": dict(metadata or {}),
        "instructions": instructions,
        "summary": None if summary is None else {"text": summary[0], "upto": int(summary[1])},
    }


def message_record(user_id: str, session_id: str, seq: int, ts: int, message: BaseMessage) -> dict[str, Any]:
    return {
        "kind": "message",
        "user_id": user_id,
        "session_id": session_id,
        "seq": int(seq),
        "ts": int(ts),
        "message": message_to_dict(message),
    }


Moment = datetime | int


def to_ms(when: Moment, what: str = "time") -> int:
    """Unix milliseconds of a datetime (naive ones are UTC, never the machine's local time) or of
    an int already in milliseconds."""
    if isinstance(when, datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return int(round(when.timestamp() * 1000))
    if isinstance(when, int) and not isinstance(when, bool):
        return when
    raise InvalidRecordError(f"{what} must be a datetime or Unix milliseconds (int), got {when!r:.80}")


def session_records(
    user_id: str,
    session_id: str,
    messages: Sequence[BaseMessage],
    *,
    timestamps: Sequence[Moment] | None = None,
    created_at: Moment | None = None,
    last_active: Moment | None = None,
    title: str | None = None,
    metadata: dict[str, Any] | None = None,
    instructions: str | None = None,
) -> list[dict[str, Any]]:
    """Records for ``RedisSessionMemory.import_records``: one session and its messages, with the
    times they were really written (history from another store, a backfill, test data).

    Args:
        user_id: The session's user.
        session_id: The session.
        messages: Its messages, oldest first.
        timestamps: When each message was written: datetimes (naive ones are read as UTC) or
            Unix milliseconds, one per message. None: every message gets ``created_at``.
        created_at: When the session started; default the first timestamp, else now.
        last_active: When it was last written to; default the last timestamp, else ``created_at``.
        title: Title shown in session lists; None: the first human message, as for live writes.
        metadata: The session's JSON metadata.
        instructions: The session's own system instructions.

    Returns:
        A list of records, to chain with other sessions' records into one ``import_records`` call.

    Raises:
        InvalidRecordError: ``timestamps`` does not match ``messages``, or a time is not a datetime
            or an int.
    """
    messages = list(messages)
    for i, m in enumerate(messages):
        if not isinstance(m, BaseMessage):
            raise InvalidRecordError(f"message #{i} is {type(m).__name__}, not a langchain_core BaseMessage")
    if timestamps is not None and len(timestamps) != len(messages):
        raise InvalidRecordError(f"{len(timestamps)} timestamps for {len(messages)} messages: give one per message")
    stamps = [to_ms(t, f"timestamps[{i}]") for i, t in enumerate(timestamps or ())]
    start = to_ms(created_at, "created_at") if created_at is not None else (stamps[0] if stamps else None)
    if start is None:
        start = int(time.time() * 1000)
    if not stamps:
        stamps = [start] * len(messages)
    end = to_ms(last_active, "last_active") if last_active is not None else max([start, *stamps])
    out = [
        session_record(
            user_id, session_id, created_at=start, last_active=end, title=title, metadata=metadata,
            instructions=instructions,
        )
    ]  # fmt: skip
    pairs = enumerate(zip(stamps, messages, strict=True), 1)
    out += [message_record(user_id, session_id, seq, ts, m) for seq, (ts, m) in pairs]
    return out


def dumps(record: dict[str, Any]) -> str:
    """One JSONL line, without the newline."""
    return _DUMPS(record)


_REQUIRED: dict[str, dict[str, type | tuple[type, ...]]] = {
    "header": {"format": str, "version": int},
    "user": {"user_id": str},
    "session": {"user_id": str, "session_id": str, "created_at": int, "last_active": int},
    "message": {"user_id": str, "session_id": str, "seq": int, "ts": int, "message": dict},
}


def check_record(record: object, where: str) -> dict[str, Any]:
    """Return ``record`` if it is a well-formed record, else raise InvalidRecordError naming ``where``."""
    if not isinstance(record, dict):
        raise InvalidRecordError(f"{where}: expected a JSON object, got {type(record).__name__}")
    kind = record.get("kind")
    fields = _REQUIRED.get(kind)  # type: ignore[arg-type]
    if fields is None:
        raise InvalidRecordError(f"{where}: unknown record kind {kind!r}; expected one of {sorted(_REQUIRED)}")
    for name, typ in fields.items():
        value = record.get(name)
        if not isinstance(value, typ) or isinstance(value, bool):
            raise InvalidRecordError(
                f"{where}: {kind} record needs {name!r} of type {getattr(typ, '__name__', typ)}, got {value!r:.80}"
            )
    if kind == "header" and (record["format"] != FORMAT or record["version"] > VERSION):
        raise InvalidRecordError(
            f"{where}: this is {record['format']!r} version {record['version']}; this package reads "
            f"{FORMAT!r} up to version {VERSION}"
        )
    if kind == "session":
        summary = record.get("summary")
        if summary is not None and not (
            isinstance(summary, dict) and isinstance(summary.get("text"), str) and isinstance(summary.get("upto"), int)
        ):
            raise InvalidRecordError(f"{where}: session summary must be null or {{text, upto}}, got {summary!r:.80}")
        if not isinstance(record.get("metadata") or {}, dict):
            raise InvalidRecordError(f"{where}: session metadata must be an object, got {record['metadata']!r:.80}")
    return record


def message_of(record: dict[str, Any], where: str) -> BaseMessage:
    """The message of a message record, or InvalidRecordError if LangChain cannot rebuild it."""
    try:
        (message,) = messages_from_dict([record["message"]])
    except Exception as exc:  # any shape messages_from_dict rejects
        raise InvalidRecordError(f"{where}: cannot rebuild the message: {exc!r:.200}") from exc
    return message


def parse_lines(lines: Iterable[str | bytes]) -> Iterator[dict[str, Any]]:
    """Records of a JSONL stream, checked one by one; blank lines are skipped."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise InvalidRecordError(f"line {n}: not JSON ({exc})") from exc
        yield check_record(record, f"line {n}")


def check_stream(records: Iterable[dict[str, Any]]) -> tuple[int, list[tuple[str, str]]]:
    """Check a whole stream before anything is imported: every record well-formed, every message
    rebuildable and after its session's record. Returns the number of messages and the
    (user_id, session_id) of every session record."""
    n, current = 0, None
    sessions: list[tuple[str, str]] = []
    for i, record in enumerate(records, 1):
        kind = record["kind"]
        if kind == "session":
            current = (record["user_id"], record["session_id"])
            sessions.append(current)
        elif kind == "user":
            current = None
        elif kind == "message":
            if current != (record["user_id"], record["session_id"]):
                raise InvalidRecordError(f"record {i}: a message record must follow its session's record")
            message_of(record, f"record {i}")
            n += 1
    return n, sessions
