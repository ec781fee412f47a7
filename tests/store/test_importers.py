"""Importers: data written by the real langchain_redis / redisvl classes comes back as what they return.

Each test writes with the real source class under a key prefix and index names of its own (derived
from the test node id), imports with plain redis-py, and compares with the source's own reader.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    messages_from_dict,
)
from langchain_redis import RedisChatMessageHistory
from redisvl.extensions.message_history import MessageHistory, SemanticMessageHistory
from redisvl.utils.vectorize import CustomVectorizer

from langchain_sessionmem import importers
from langchain_sessionmem._records import check_record
from langchain_sessionmem.errors import ConfigError, InvalidRecordError
from langchain_sessionmem.importers import from_langchain_redis, from_redisvl
from tests.conftest import drop_prefix
from tests.store.conftest import wait_indexed

pytestmark = [
    # The source classes themselves are deprecated; these tests exist to migrate away from them.
    pytest.mark.filterwarnings("ignore:The class `RedisChatMessageHistory` was deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Role 'llm' is a deprecated value:DeprecationWarning"),
]


@dataclass(frozen=True)
class Names:
    root: str  # every key and index of the test starts with this
    lc_prefix: str
    lc_index: str
    vl_name: str


@pytest.fixture
def names(request: pytest.FixtureRequest, redis_url: str) -> Iterator[Names]:
    tag = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:10]
    root = f"imp{tag}"
    yield Names(root=root, lc_prefix=f"{root}:lc:", lc_index=f"{root}:lc:idx", vl_name=f"{root}vl")
    drop_prefix(redis_url, root)


@pytest.fixture
def lc(raw: redis.Redis, names: Names) -> Callable[[str], RedisChatMessageHistory]:
    """A RedisChatMessageHistory of a session, all sharing this test's prefix and index.

    langchain-redis 0.2.6 with redisvl 0.28 crashes building a second history on an existing index
    unless ``overwrite_index=True`` (it expects FT.INFO as a list), so the index is recreated each
    time and the test waits for it to re-scan the documents already there.
    """

    def make(session_id: str) -> RedisChatMessageHistory:
        history = RedisChatMessageHistory(
            session_id, redis_client=raw, key_prefix=names.lc_prefix, index_name=names.lc_index, overwrite_index=True
        )
        wait_indexed(raw, names.lc_index)
        return history

    return make


def _messages(records: list[dict[str, Any]], session_id: str) -> list[BaseMessage]:
    return messages_from_dict(
        [r["message"] for r in records if r["kind"] == "message" and r["session_id"] == session_id]
    )


def _check_shape(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each session: one session record, then its messages with seq 1..n and non-decreasing ts."""
    sessions: dict[str, list[dict[str, Any]]] = {}
    current: dict[str, Any] | None = None
    for record in records:
        assert record["kind"] in ("session", "message"), record
        if record["kind"] == "session":
            assert record["session_id"] not in sessions, "a session appears twice"
            current = record
            sessions[record["session_id"]] = []
            continue
        assert current is not None and record["session_id"] == current["session_id"]
        assert record["user_id"] == current["user_id"]
        msgs = sessions[record["session_id"]]
        assert record["seq"] == len(msgs) + 1
        assert not msgs or msgs[-1]["ts"] <= record["ts"]
        msgs.append(record)
    for record in records:
        if record["kind"] == "session":
            msgs = sessions[record["session_id"]]
            assert msgs, "a session record without messages"
            assert record["created_at"] == msgs[0]["ts"] and record["last_active"] == msgs[-1]["ts"]
    return sessions


# --- langchain_redis.RedisChatMessageHistory ---------------------------------------------------


def _lc_all_kinds() -> list[BaseMessage]:
    openai_call = {"id": "call_2", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "ß"}'}}
    return [
        SystemMessage("You are terse.", additional_kwargs={"cfg": {"lang": "fr"}}),
        HumanMessage("héllo wörld 👋 — 日本語 \u200b", name="bob", id="h-1"),
        # tool_calls only: the source does not store them (compared with what it returns: none).
        AIMessage("", tool_calls=[{"name": "weather", "args": {"city": "Paris"}, "id": "call_1"}]),
        ToolMessage("18°C", tool_call_id="call_1", artifact={"raw": 1}),
        # OpenAI-form tool calls in additional_kwargs survive, and LangChain rebuilds tool_calls from them.
        AIMessage("", additional_kwargs={"tool_calls": [openai_call]}),
        ToolMessage("boom", tool_call_id="call_2", status="error"),
        AIMessageChunk(content="partial"),
        AIMessage("done", additional_kwargs={"refusal": None, "n": [1, 2.5, True]}, response_metadata={"x": 1}),
    ]


def test_lc_every_kind_equals_what_the_source_returns(raw: redis.Redis, names: Names, lc: Any) -> None:
    history = lc("s1")
    history.add_messages(_lc_all_kinds()[:4])
    for message in _lc_all_kinds()[4:]:
        history.add_message(message)
    expected = history.messages
    assert len(expected) == 8

    records = list(from_langchain_redis(raw, user_id="alice", key_prefix=names.lc_prefix))

    sessions = _check_shape(records)
    assert list(sessions) == ["s1"] and records[0]["user_id"] == "alice"
    got = _messages(records, "s1")
    assert got == expected
    assert [type(m) for m in got] == [type(m) for m in expected]
    assert got[4].tool_calls[0]["args"] == {"q": "ß"}  # rebuilt from additional_kwargs
    assert got[2].tool_calls == []  # lost by the source, not by the importer
    assert isinstance(got[5], ToolMessage) and got[5].status == "error"
    # ts is the source's timestamp (Unix seconds) in ms, in the source's order
    docs = sorted((raw.json().get(k) for k in raw.scan_iter(match=f"{names.lc_prefix}*")), key=lambda d: d["timestamp"])
    assert [r["ts"] for r in sessions["s1"]] == [math.floor(d["timestamp"] * 1000) for d in docs]


def test_lc_orders_by_timestamp_then_key(raw: redis.Redis, names: Names, lc: Any) -> None:
    history = lc("o")
    history.add_messages([HumanMessage(f"m{i}") for i in range(5)])
    keys = sorted(raw.scan_iter(match=f"{names.lc_prefix}o:*"))
    # timestamps that disagree with key order: by time the order is m3 m0 m4 m1, m2 ties with m1
    for key, ts in zip(keys, [20.0, 40.0, 40.0, 10.0, 30.0], strict=True):
        raw.json().set(key, "$.timestamp", 1_700_000_000 + ts)
    by_source = [m.content for m in history.messages]
    records = list(from_langchain_redis(raw, user_id="u", key_prefix=names.lc_prefix))
    got = [m.content for m in _messages(records, "o")]
    assert got == ["m3", "m0", "m4", "m1", "m2"]  # the tie in key order
    assert sorted(by_source[3:]) == ["m1", "m2"] and by_source[:3] == got[:3]  # the source breaks ties arbitrarily
    assert [r["ts"] for r in records[1:]] == [1_700_000_010_000, 1_700_000_020_000, 1_700_000_030_000] + [
        1_700_000_040_000
    ] * 2


def test_lc_recovers_list_content_the_source_index_drops(raw: redis.Redis, names: Names, lc: Any) -> None:
    """A message whose content is a list is stored, but the source's index (content is a TEXT field)
    fails to index it, so the source's own reader silently leaves it out. The importer reads Redis."""
    multimodal = HumanMessage([{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": "data:x"}}])
    history = lc("mm")
    history.add_messages([HumanMessage("before"), multimodal, AIMessage("after")])
    assert [m.content for m in history.messages] == ["before", "after"]
    records = list(from_langchain_redis(raw, user_id="u", key_prefix=names.lc_prefix))
    assert _messages(records, "mm") == [HumanMessage("before"), multimodal, AIMessage("after")]


def test_lc_sessions_user_callable_and_filter(raw: redis.Redis, names: Names, lc: Any) -> None:
    contents = {"a": ["a1", "a2"], "a:b": ["ab1"], "b": ["b1", "b2", "b3"], "ü/*?[x]": ["weird"]}
    histories = {}
    for sid, texts in contents.items():
        histories[sid] = lc(sid)
        for i, text in enumerate(texts):
            histories[sid].add_message(HumanMessage(text) if i % 2 == 0 else AIMessage(text))

    def owner(sid: str) -> str:
        return "user-" + sid[0]

    records = list(from_langchain_redis(raw, user_id=owner, key_prefix=names.lc_prefix))
    sessions = _check_shape(records)
    assert list(sessions) == sorted(contents)
    for sid in contents:
        assert _messages(records, sid) == histories[sid].messages
        assert {r["user_id"] for r in sessions[sid]} == {owner(sid)}

    # one id: a narrow MATCH; "a" must not take the keys of "a:b", which the pattern a:* also matches
    only = list(from_langchain_redis(raw, user_id="u", session_ids=["a"], key_prefix=names.lc_prefix))
    assert list(_check_shape(only)) == ["a"] and _messages(only, "a") == histories["a"].messages
    odd = list(from_langchain_redis(raw, user_id="u", session_ids=["ü/*?[x]"], key_prefix=names.lc_prefix))
    assert list(_check_shape(odd)) == ["ü/*?[x]"]
    # several ids, one unknown: only those found
    some = list(from_langchain_redis(raw, user_id="u", session_ids={"b", "a:b", "nope"}, key_prefix=names.lc_prefix))
    assert list(_check_shape(some)) == ["a:b", "b"]
    assert list(from_langchain_redis(raw, user_id="u", session_ids=[], key_prefix=names.lc_prefix)) == []


def test_lc_empty_source(raw: redis.Redis, names: Names, lc: Any) -> None:
    assert list(from_langchain_redis(raw, user_id="u", key_prefix=names.lc_prefix)) == []
    lc("s")  # an index but no message
    assert list(from_langchain_redis(raw, user_id="u", key_prefix=names.lc_prefix)) == []


def test_lc_session_ids_are_case_sensitive_unlike_the_source(raw: redis.Redis, names: Names, lc: Any) -> None:
    upper, lower = lc("Alice"), lc("alice")
    upper.add_message(HumanMessage("from Alice"))
    lower.add_message(HumanMessage("from alice"))
    # The source's TAG filter is case-insensitive: each history returns both sessions' messages.
    assert [m.content for m in upper.messages] == ["from Alice", "from alice"]
    records = list(from_langchain_redis(raw, user_id="u", key_prefix=names.lc_prefix))
    assert [m.content for m in _messages(records, "Alice")] == ["from Alice"]
    assert [m.content for m in _messages(records, "alice")] == ["from alice"]


def test_lc_pages_through_everything(raw: redis.Redis, names: Names, lc: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importers, "_SCAN_COUNT", 3)
    monkeypatch.setattr(importers, "_READ_BATCH", 2)
    histories = {sid: lc(sid) for sid in ("p", "q", "r")}
    for sid, history in histories.items():
        history.add_messages([HumanMessage(f"{sid}{i}") for i in range(11)])
    records = list(from_langchain_redis(raw, user_id="u", key_prefix=names.lc_prefix))
    assert len(records) == 3 + 33
    for sid, history in histories.items():
        assert _messages(records, sid) == history.messages


def test_lc_with_decode_responses_client(redis_url: str, names: Names, lc: Any) -> None:
    history = lc("d")
    history.add_messages([HumanMessage("ça va ?"), AIMessage("oui ✓")])
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        records = list(from_langchain_redis(client, user_id="u", key_prefix=names.lc_prefix))
    finally:
        client.close()
    assert _messages(records, "d") == history.messages


def test_lc_is_lazy(raw: redis.Redis, names: Names, lc: Any) -> None:
    records = from_langchain_redis(raw, user_id="u", key_prefix=names.lc_prefix)
    lc("late").add_message(HumanMessage("written after the call, before iterating"))
    assert [m.content for m in _messages(list(records), "late")] == ["written after the call, before iterating"]


def test_lc_malformed_documents_raise_naming_the_key(raw: redis.Redis, names: Names, lc: Any) -> None:
    lc("ok").add_message(HumanMessage("fine"))
    good = {"type": "human", "message_id": "x", "session_id": "bad", "timestamp": 1.5, "data": {"content": "c"}}
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("nodata", {k: v for k, v in good.items() if k != "data"}, "'data'"),
        ("badts", {**good, "timestamp": "yesterday"}, "timestamp"),
        ("nots", {k: v for k, v in good.items() if k != "timestamp"}, "timestamp"),
        ("badtype", {**good, "type": "martian"}, "martian"),
        ("nosession", {k: v for k, v in good.items() if k != "session_id"}, "session_id"),
    ]
    for suffix, doc, words in cases:
        key = f"{names.lc_prefix}bad:{suffix}"
        raw.json().set(key, "$", doc)
        with pytest.raises(InvalidRecordError, match=words) as info:
            list(from_langchain_redis(raw, user_id="u", key_prefix=names.lc_prefix))
        assert key in str(info.value)
        raw.delete(key)
    # a message type the source stores but cannot read back (a ChatMessage loses its role)
    broken = lc("chat")
    broken.add_message(ChatMessage("hi", role="critic"))
    with pytest.raises(Exception, match="role"):
        broken.messages  # noqa: B018 - the source fails too
    with pytest.raises(InvalidRecordError, match=f"{names.lc_prefix}chat:"):
        list(from_langchain_redis(raw, user_id="u", key_prefix=names.lc_prefix))
    broken.clear()
    # keys of another type under the prefix are outside the source's JSON index: left alone
    raw.hset(f"{names.lc_prefix}ok:some-hash", mapping={"a": "b"})
    raw.set(f"{names.lc_prefix}plain", "x")
    records = list(from_langchain_redis(raw, user_id="u", key_prefix=names.lc_prefix))
    assert [m.content for m in _messages(records, "ok")] == ["fine"]


# --- redisvl MessageHistory ------------------------------------------------------------------------


def _as_redisvl(message: BaseMessage) -> dict[str, Any]:
    """Our message in the shape redisvl's get_recent returns (the inverse of the importer's mapping)."""
    roles = {HumanMessage: "user", AIMessage: "assistant", SystemMessage: "system", ToolMessage: "tool"}
    role = message.role if isinstance(message, ChatMessage) else roles[type(message)]
    extra = dict(message.additional_kwargs)
    assert set(extra) <= {"metadata", "tool_call_id"}, extra
    out: dict[str, Any] = {"role": role, "content": message.content}
    tool_call_id = message.tool_call_id if isinstance(message, ToolMessage) else extra.get("tool_call_id")
    if tool_call_id is not None:
        out["tool_call_id"] = tool_call_id
    if "metadata" in extra:
        out["metadata"] = extra["metadata"]
    return out


def _source_view(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """get_recent's dicts with the deprecated role "llm" read as its replacement "assistant"."""
    out = []
    for entry in entries:
        role = str(getattr(entry["role"], "value", entry["role"]))
        out.append({**entry, "role": "assistant" if role == "llm" else role})
    return out


_VL_MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Wetter in Köln? 🌧", "metadata": {"lang": "de", "n": [1, 2.5, None]}},
    {"role": "assistant", "content": "", "tool_call_id": "call_9"},  # tool_call_id on a non-tool role
    {"role": "tool", "content": '{"temp": 7}', "tool_call_id": "call_9", "metadata": "raw"},
    {"role": "tool", "content": "orphan result"},  # a tool role without a tool_call_id
    {"role": "llm", "content": "7 °C."},
    {"role": "user", "content": "", "metadata": 0},
]


def test_vl_every_role_equals_what_the_source_returns(raw: redis.Redis, names: Names) -> None:
    history = MessageHistory(names.vl_name, session_tag="t1", redis_client=raw)
    history.add_messages(_VL_MESSAGES)
    history.store("prompt ✓", "response ✓")
    expected = _source_view(history.get_recent(top_k=100))
    assert len(expected) == 9

    records = list(from_redisvl(raw, user_id="bob", name=names.vl_name))

    assert list(_check_shape(records)) == ["t1"] and records[0]["user_id"] == "bob"
    got = _messages(records, "t1")
    assert [_as_redisvl(m) for m in got] == expected
    assert history.messages == history.get_recent(top_k=100)  # .messages reads the same
    # the mapping itself, pinned
    assert got[0] == SystemMessage("Be brief.")
    assert got[1] == HumanMessage(
        "Wetter in Köln? 🌧", additional_kwargs={"metadata": {"lang": "de", "n": [1, 2.5, None]}}
    )
    assert got[2] == AIMessage("", additional_kwargs={"tool_call_id": "call_9"})
    assert got[3] == ToolMessage('{"temp": 7}', tool_call_id="call_9", additional_kwargs={"metadata": "raw"})
    assert got[4] == ChatMessage("orphan result", role="tool")
    assert got[5] == AIMessage("7 °C.")
    assert got[6] == HumanMessage("", additional_kwargs={"metadata": 0})
    assert got[7:] == [HumanMessage("prompt ✓"), AIMessage("response ✓")]
    stamps = sorted(float(raw.hget(k, "timestamp")) for k in raw.scan_iter(match=f"{names.vl_name}:*"))
    assert [r["ts"] for r in records[1:]] == [math.floor(s * 1000) for s in stamps]


def test_vl_orders_by_timestamp_then_key(raw: redis.Redis, names: Names) -> None:
    history = MessageHistory(names.vl_name, session_tag="o", redis_client=raw)
    history.add_messages([{"role": "user", "content": f"m{i}"} for i in range(5)])
    keys = sorted(raw.scan_iter(match=f"{names.vl_name}:*"))
    by_content = {raw.hget(k, "content").decode(): k for k in keys}
    # by time the order is m3 m0 m4, then m1 and m2 tie: in key order (the keys carry a random suffix)
    for content, ts in zip([f"m{i}" for i in range(5)], ["20", "40", "40", "10", "30.25"], strict=True):
        raw.hset(by_content[content], "timestamp", f"17000000{ts}")
    by_source = [e["content"] for e in history.get_recent(top_k=10)]
    records = list(from_redisvl(raw, user_id="u", name=names.vl_name))
    got = [m.content for m in _messages(records, "o")]
    tie = sorted(["m1", "m2"], key=lambda c: by_content[c])
    assert got == ["m3", "m0", "m4", *tie]
    assert by_source[:3] == got[:3] and sorted(by_source[3:]) == ["m1", "m2"]
    assert [r["ts"] for r in records[1:]] == [1_700_000_010_000, 1_700_000_020_000, 1_700_000_030_250] + [
        1_700_000_040_000
    ] * 2


def test_vl_sessions_prefix_callable_and_filter(raw: redis.Redis, names: Names) -> None:
    prefix = f"{names.root}:custom:"  # a trailing ':' is stripped by redisvl
    history = MessageHistory(f"{names.root}idx2", prefix=prefix, redis_client=raw)
    tags = {"x": 2, "x:y": 1, "Y": 3, "日本": 2}
    for tag, n in tags.items():
        history.add_messages([{"role": "user", "content": f"{tag}-{i}"} for i in range(n)], session_tag=tag)
    # the default-prefix history of the fixture's name must not be picked up
    MessageHistory(names.vl_name, session_tag="elsewhere", redis_client=raw).store("p", "r")

    def owner(tag: str) -> str:
        return f"owner:{len(tag)}"

    records = list(from_redisvl(raw, user_id=owner, name=f"{names.root}idx2", prefix=prefix))
    sessions = _check_shape(records)
    assert list(sessions) == sorted(tags)
    for tag in tags:
        assert [_as_redisvl(m) for m in _messages(records, tag)] == _source_view(
            history.get_recent(top_k=100, session_tag=tag)
        )
        assert {r["user_id"] for r in sessions[tag]} == {owner(tag)}
    only = list(from_redisvl(raw, user_id="u", name="ignored", prefix=prefix, session_tags=["x"]))
    assert list(_check_shape(only)) == ["x"]
    some = list(from_redisvl(raw, user_id="u", name="n", prefix=prefix, session_tags=("x:y", "Y", "zzz")))
    assert list(_check_shape(some)) == ["Y", "x:y"]
    assert list(from_redisvl(raw, user_id="u", name=names.vl_name)) == [*_default_records(raw, names)]


def _default_records(raw: redis.Redis, names: Names) -> list[dict[str, Any]]:
    records = list(from_redisvl(raw, user_id="u", name=names.vl_name, prefix=names.vl_name + ":"))
    assert [m.content for m in _messages(records, "elsewhere")] == ["p", "r"]
    return records


def test_vl_empty_source(raw: redis.Redis, names: Names) -> None:
    assert list(from_redisvl(raw, user_id="u", name=names.vl_name)) == []
    MessageHistory(names.vl_name, redis_client=raw)
    assert list(from_redisvl(raw, user_id="u", name=names.vl_name)) == []


def test_vl_semantic_history_with_decode_responses(redis_url: str, raw: redis.Redis, names: Names) -> None:
    """SemanticMessageHistory adds a binary vector field, which must not be read as text."""
    vectorizer = CustomVectorizer(embed=lambda text: [float(len(text)), 1.0, 0.5])
    history = SemanticMessageHistory(names.vl_name, session_tag="sem", redis_client=raw, vectorizer=vectorizer)
    history.add_messages([{"role": "user", "content": "héllo"}, {"role": "assistant", "content": "¡hola!"}])
    assert raw.hget(next(raw.scan_iter(match=f"{names.vl_name}:*")), "vector_field")
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        records = list(from_redisvl(client, user_id="u", name=names.vl_name))
    finally:
        client.close()
    got = _messages(records, "sem")
    assert [_as_redisvl(m) for m in got] == _source_view(history.get_recent(top_k=10))
    assert got == [HumanMessage("héllo"), AIMessage("¡hola!")]


def test_vl_pages_through_everything(raw: redis.Redis, names: Names, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importers, "_SCAN_COUNT", 2)
    monkeypatch.setattr(importers, "_READ_BATCH", 3)
    history = MessageHistory(names.vl_name, redis_client=raw)
    for tag in ("s1", "s2", "s3", "s4"):
        history.add_messages([{"role": "user", "content": f"{tag}/{i}"} for i in range(7)], session_tag=tag)
    records = list(from_redisvl(raw, user_id="u", name=names.vl_name))
    assert len(records) == 4 + 28
    for tag in ("s1", "s2", "s3", "s4"):
        assert [m.content for m in _messages(records, tag)] == [f"{tag}/{i}" for i in range(7)]


def test_vl_malformed_hashes_raise_naming_the_key(raw: redis.Redis, names: Names) -> None:
    MessageHistory(names.vl_name, session_tag="ok", redis_client=raw).store("p", "r")
    good = {"role": "user", "content": "c", "session_tag": "bad", "timestamp": "1700000000.5", "entry_id": "e"}
    cases: list[tuple[dict[str, str], str]] = [
        ({k: v for k, v in good.items() if k != "timestamp"}, "timestamp"),
        ({**good, "timestamp": "soon"}, "timestamp"),
        ({**good, "timestamp": "nan"}, "finite"),
        ({k: v for k, v in good.items() if k != "content"}, "content"),
        ({**good, "metadata": "{not json"}, "metadata"),
        ({k: v for k, v in good.items() if k != "session_tag"}, "session_tag"),
        ({**good, "role": ""}, "role"),
    ]
    for i, (mapping, words) in enumerate(cases):
        key = f"{names.vl_name}:bad:{i}"
        raw.hset(key, mapping=mapping)
        with pytest.raises(InvalidRecordError, match=words) as info:
            list(from_redisvl(raw, user_id="u", name=names.vl_name))
        assert key in str(info.value)
        raw.delete(key)
    raw.hset(f"{names.vl_name}:bad:bytes", mapping={**good, "content": b"\xff\xfe"})
    with pytest.raises(InvalidRecordError, match="UTF-8"):
        list(from_redisvl(raw, user_id="u", name=names.vl_name))
    raw.delete(f"{names.vl_name}:bad:bytes")
    # keys of another type under the prefix are outside the source's HASH index: left alone
    raw.json().set(f"{names.vl_name}:json", "$", {"role": "user"})
    assert [m.content for m in _messages(list(from_redisvl(raw, user_id="u", name=names.vl_name)), "ok")] == [
        "p",
        "r",
    ]


# --- both ----------------------------------------------------------------------------------------


def test_every_record_passes_check_record(raw: redis.Redis, names: Names, lc: Any) -> None:
    for sid in ("one", "two"):
        lc(sid).add_messages(_lc_all_kinds())
    history = MessageHistory(names.vl_name, redis_client=raw)
    for tag in ("one", "two"):
        history.add_messages(_VL_MESSAGES, session_tag=tag)
    records = [
        *from_langchain_redis(raw, user_id=lambda s: f"u-{s}", key_prefix=names.lc_prefix),
        *from_redisvl(raw, user_id="v", name=names.vl_name),
    ]
    assert len(records) == 2 * (1 + 8) + 2 * (1 + 7)
    for n, record in enumerate(records):
        assert check_record(json.loads(json.dumps(record)), f"record {n}") == record


def test_bad_arguments_raise_config_error(raw: redis.Redis, names: Names, lc: Any) -> None:
    with pytest.raises(ConfigError, match="session_ids"):
        from_langchain_redis(raw, user_id="u", session_ids="abc")  # a str is an Iterable[str]: refused at run time
    with pytest.raises(ConfigError, match="session_tags"):
        from_redisvl(raw, user_id="u", name="n", session_tags=["ok", ""])
    with pytest.raises(ConfigError, match="user_id"):
        from_langchain_redis(raw, user_id="")
    with pytest.raises(ConfigError, match="user_id"):
        from_redisvl(raw, user_id=42, name="n")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="key_prefix"):
        from_langchain_redis(raw, user_id="u", key_prefix="")
    with pytest.raises(ConfigError, match="prefix"):
        from_redisvl(raw, user_id="u", name="n", prefix=":::")
    with pytest.raises(ConfigError, match="client"):
        from_redisvl("redis://localhost", user_id="u", name="n")  # type: ignore[arg-type]
    lc("s").add_message(HumanMessage("x"))
    with pytest.raises(ConfigError, match="returned None for session 's'"):
        list(from_langchain_redis(raw, user_id=lambda s: None, key_prefix=names.lc_prefix))  # type: ignore[arg-type,return-value]
