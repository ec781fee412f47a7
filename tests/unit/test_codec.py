from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
    message_to_dict,
    messages_from_dict,
)

from langchain_sessionmem._codec import (
    _CLASSES,
    REBUILDABLE,
    content_text,
    decode_messages,
    decode_stored,
    decode_stored_dict,
    encode_message,
    encode_messages,
)
from langchain_sessionmem.errors import InvalidMessageError, MessageSerializationError, MessageTooLargeError
from tests.messages import as_stored, every_kind

LIMIT = 4 * 1024 * 1024


def _stored(raw: bytes, seq: int = 1, ts: int = 5) -> bytes:
    """What the append script makes of the encoded bytes."""
    return b'{"seq":%d,"ts":%d,' % (seq, ts) + raw[1:]


@pytest.mark.parametrize("message", every_kind(), ids=lambda m: f"{type(m).__name__}-{m.id}")
def test_every_message_kind_round_trips_exactly(message: BaseMessage) -> None:
    raw = encode_message(message, "u" * 32, "s" * 32, LIMIT)
    (back,) = decode_messages([_stored(raw)])
    (want,) = as_stored([message])  # a chunk comes back as the message it adds up to
    assert type(back) is type(want)
    assert back == want
    assert back.model_dump() == want.model_dump()


@pytest.mark.parametrize("message", every_kind(), ids=lambda m: f"{type(m).__name__}-{m.id}")
def test_the_retrievers_dict_is_message_to_dict_of_the_message(message: BaseMessage) -> None:
    """decode_stored_dict skips building the message: its dict must be message_to_dict's, keys in
    the same order, and hold no default container shared with another message."""
    stored = _stored(encode_message(message, "u" * 32, "s" * 32, LIMIT), seq=3, ts=99)
    seq, ts, got = decode_stored_dict(stored)
    want = message_to_dict(as_stored([message])[0])
    assert (seq, ts, got) == (3, 99, want)
    assert list(got["data"]) == list(want["data"])
    _, _, again = decode_stored_dict(stored)
    for name, value in got["data"].items():
        if isinstance(value, (dict, list)):
            assert value is not again["data"][name], name


def test_the_retrievers_dict_keeps_extra_fields_last_and_refuses_unknown_types() -> None:
    message = HumanMessage("hi", role="chef", mood={"x": 1})  # pydantic keeps extra fields
    _, _, got = decode_stored_dict(_stored(encode_message(message, "u", "s", LIMIT)))
    assert got == message_to_dict(message) and list(got["data"]) == list(message_to_dict(message)["data"])
    bad = b'{"seq":1,"ts":2,"uh":"u","sh":"s","type":"robot","text":"x"}'
    with pytest.raises(ValueError, match="unexpected message type: robot"):
        decode_stored_dict(bad)
    with pytest.raises(ValueError, match="unexpected message type: robot"):
        decode_stored(bad)


def test_stored_types_map_to_the_classes_messages_from_dict_rebuilds() -> None:
    for type_, cls in _CLASSES.items():
        data = {"content": "", "tool_call_id": "t", "role": "r", "name": "n", "id": "i"}
        assert type(messages_from_dict([{"type": type_, "data": data}])[0]) is cls, type_
    assert set(_CLASSES) == REBUILDABLE


def test_document_holds_index_fields_and_no_default_noise() -> None:
    doc = json.loads(encode_message(HumanMessage("hello"), "ab" * 16, "cd" * 16, LIMIT))
    assert doc == {"uh": "ab" * 16, "sh": "cd" * 16, "type": "human", "text": "hello"}


def test_list_content_is_kept_and_its_text_is_indexed() -> None:
    msg = every_kind()[8]
    doc = json.loads(encode_message(msg, "u", "s", LIMIT))
    assert doc["text"] == "Is this ripe?\na bare string part"
    assert json.loads(doc["data"])["content"] == msg.content


def test_decode_stored_carries_sequence_and_time() -> None:
    stored = decode_stored(_stored(encode_message(AIMessage("a"), "u", "s", LIMIT), seq=7, ts=1234))
    assert (stored.seq, stored.timestamp_ms, stored.message) == (7, 1234, AIMessage("a"))


@pytest.mark.parametrize("bad", [None, "text", {"role": "user"}, 3])
def test_non_messages_are_refused_with_their_position(bad: object) -> None:
    with pytest.raises(InvalidMessageError, match="message #1"):
        encode_messages([HumanMessage("ok"), bad], "u", "s", LIMIT)  # type: ignore[list-item]


@pytest.mark.parametrize("whole", [None, HumanMessage("single"), "text"])
def test_a_non_sequence_batch_is_refused(whole: object) -> None:
    with pytest.raises(InvalidMessageError, match="sequence of BaseMessage"):
        encode_messages(whole, "u", "s", LIMIT)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "message",
    [
        AIMessage("x", additional_kwargs={"obj": object()}),
        AIMessage("x", response_metadata={"nan": math.nan}),
        ToolMessage("x", tool_call_id="c", artifact={1j}),
        HumanMessage("lone surrogate \udc80"),
    ],
)
def test_unserialisable_content_gets_a_typed_error(message: BaseMessage) -> None:
    with pytest.raises(MessageSerializationError, match="nothing was stored"):
        encode_message(message, "u", "s", LIMIT)


def test_size_limit_is_enforced_on_the_encoded_document() -> None:
    with pytest.raises(MessageTooLargeError, match="max_message_bytes=1000"):
        encode_message(HumanMessage("é" * 600), "u", "s", 1000)
    encode_message(HumanMessage("e" * 600), "u", "s", 1000)


def test_content_text_of_odd_lists() -> None:
    assert content_text([{"type": "image_url"}, {"text": 5}, "s", {"type": "text", "text": "t"}]) == "s\nt"


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    content=st.text(max_size=200) | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": st.text()})),
    kwargs=st.dictionaries(st.text(max_size=10), _json, max_size=3),
    name=st.none() | st.text(max_size=10),
    msg_id=st.none() | st.text(max_size=10),
    kind=st.sampled_from(["human", "ai", "tool", "system"]),
)
def test_generated_messages_round_trip(
    content: str | list[dict[str, str]], kwargs: dict[str, object], name: str | None, msg_id: str | None, kind: str
) -> None:
    common = {"content": content, "additional_kwargs": kwargs, "name": name, "id": msg_id}
    if kind == "human":
        msg: BaseMessage = HumanMessage(**common)
    elif kind == "ai":
        msg = AIMessage(**common, response_metadata={"m": kwargs})
    elif kind == "tool":
        msg = ToolMessage(**common, tool_call_id=name or "c", artifact=kwargs)
    else:
        from langchain_core.messages import SystemMessage

        msg = SystemMessage(**common)
    raw = encode_message(msg, "u", "s", LIMIT)
    assert decode_messages([_stored(raw)]) == [msg]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_vectors_with_nan_or_infinity_are_refused(bad: float) -> None:
    from langchain_sessionmem._vectors import pack

    with pytest.raises(ValueError, match="NaN or infinite"):
        pack([0.1, bad, 0.2], "FLOAT32", 3)
    assert len(pack([0.1, 0.5, 0.2], "FLOAT16", 3)) == 6


@pytest.mark.parametrize("message", every_kind(), ids=lambda m: f"{type(m).__name__}-{m.id}")
def test_role_read_from_the_dict_is_the_messages_role(message: BaseMessage) -> None:
    from langchain_sessionmem._vectors import role_in, role_of

    (stored,) = as_stored([message])
    assert role_in(message_to_dict(stored)) == role_of(stored)
    extra = HumanMessage("hi", role="chef")
    assert role_in(message_to_dict(extra)) == role_of(extra) == "chef"
