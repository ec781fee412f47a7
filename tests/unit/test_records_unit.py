"""The export format's checks without a server: what a well-formed stream is, and the error a
library user gets (naming the line or record) for each way a file can be wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langchain_sessionmem import InvalidRecordError
from langchain_sessionmem._records import (
    check_record,
    check_stream,
    dumps,
    header,
    message_record,
    parse_lines,
    session_record,
    user_record,
)


def stream() -> list[dict[str, Any]]:
    return [
        header(),
        user_record("alice", "Answer in French."),
        session_record("alice", "s1", created_at=1, last_active=2, summary=("They met.", 1)),
        message_record("alice", "s1", 1, 1, HumanMessage("hi")),
        message_record("alice", "s1", 2, 2, AIMessage("salut")),
        session_record("alice", "s2", created_at=3, last_active=3),
    ]


def test_a_written_stream_reads_back_and_counts_its_messages_and_sessions() -> None:
    lines = [dumps(r) for r in stream()]
    records = list(parse_lines(["", *lines, "   "]))  # blank lines are skipped
    assert records == stream()
    assert check_stream(records) == (2, [("alice", "s1"), ("alice", "s2")])
    assert all("\n" not in line for line in lines)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([1], "expected a JSON object, got list"),
        ({"kind": "nope"}, "unknown record kind 'nope'"),
        ({"kind": "user"}, "user record needs 'user_id' of type str"),
        ({**message_record("a", "s", 1, 1, HumanMessage("x")), "seq": True}, "needs 'seq' of type int"),
        ({**header(), "version": 99}, "reads 'langchain-sessionmem' up to version 1"),
        ({**header(), "format": "other"}, "this is 'other' version 1"),
        ({**session_record("a", "s", created_at=1, last_active=1), "summary": "x"}, "summary must be null or"),
        ({**session_record("a", "s", created_at=1, last_active=1), "metadata": [1]}, "metadata must be an object"),
    ],
)
def test_each_malformed_record_is_named_with_its_place(record: Any, message: str) -> None:
    with pytest.raises(InvalidRecordError, match=rf"^record 7: .*{message}"):
        check_record(record, "record 7")


def test_a_line_that_is_not_json_is_named_by_its_number() -> None:
    lines = [dumps(header()), "{not json"]
    with pytest.raises(InvalidRecordError, match=r"^line 2: not JSON"):
        list(parse_lines(lines))


def test_a_message_must_follow_its_own_session_and_be_rebuildable() -> None:
    orphan = [*stream()[:2], message_record("alice", "s1", 1, 1, HumanMessage("hi"))]
    with pytest.raises(InvalidRecordError, match=r"^record 3: a message record must follow its session"):
        check_stream(orphan)
    other = [*stream()[:3], message_record("bob", "s1", 1, 1, HumanMessage("hi"))]
    with pytest.raises(InvalidRecordError, match=r"^record 4: "):
        check_stream(other)
    broken = [*stream()[:3], {**message_record("alice", "s1", 1, 1, HumanMessage("hi")), "message": {"type": "?"}}]
    with pytest.raises(InvalidRecordError, match=r"^record 4: cannot rebuild the message"):
        check_stream(broken)


def test_records_keep_non_ascii_text_as_is() -> None:
    line = dumps(message_record("zoë", "s", 1, 1, HumanMessage("café ☕")))
    assert "café ☕" in line and json.loads(line)["user_id"] == "zoë"
