"""Fuzzed messages through the real store (issue 6, item 8).

Hypothesis batches of messages of every type with every field (the strategies of
tests/unit/test_fuzz_codec.py: content as str or content blocks, tool calls, usage metadata,
artifacts, chunks, NULs, long and odd Unicode) go in with ``add_messages`` and must come back
EXACTLY (``assert_exact``: class, equality, value types, float signs and dict order) from
``messages``, ``get_recent``, the retriever's ``metadata["message"]`` and an export/import round
trip, through the sync and the native async API. Numbers are kept to what RedisJSON stores
exactly (64-bit integers, decimals of up to 13 digits): the two bugs beyond that have their own
tests, ``test_integers_beyond_64_bits_round_trip_or_are_refused`` and
``test_floats_round_trip_exactly_or_are_refused``.
"""

from __future__ import annotations

import io
import itertools
from typing import Any, Literal

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
    message_to_dict,
    messages_from_dict,
)

from langchain_sessionmem import RedisSessionMemory
from langchain_sessionmem._codec import content_text
from langchain_sessionmem._ops.history import title_of
from langchain_sessionmem.errors import InvalidMessageError, MessageSerializationError, SessionMemError
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory
from tests.messages import as_stored
from tests.store.conftest import Api
from tests.store.test_adversarial import dump
from tests.unit.test_fuzz_codec import I64, SHORT_FLOAT, assert_exact, message_strategy

_ids = itertools.count()


@pytest.fixture
async def fmemory(make_memory: MakeMemory) -> RedisSessionMemory:
    """A memory with embeddings, so the embedded-document path (``emb`` mark, vectors) is fuzzed too."""
    memory = make_memory(embeddings=HashingEmbeddings(32))
    await memory.asetup()
    return memory


def _embedded(message: BaseMessage) -> bool:
    return message.type in ("human", "ai") and bool(content_text(message.content).strip())


def _first_of_each_id(messages: list[BaseMessage]) -> list[BaseMessage]:
    """What a session keeps of ``messages``: a message whose id came before is not stored again."""
    seen: set[str] = set()
    out = []
    for m in messages:
        if m.id and m.id in seen:
            continue
        seen.add(m.id or "")
        out.append(m)
    return out


stored_messages = message_strategy(st.integers(*I64), SHORT_FLOAT)
batches = st.lists(st.lists(stored_messages, min_size=1, max_size=4), min_size=1, max_size=3)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=batches, k=st.integers(0, 12))
async def test_fuzzed_messages_round_trip_exactly_through_the_store(
    api: Api, fmemory: RedisSessionMemory, batches: list[list[BaseMessage]], k: int
) -> None:
    n = next(_ids)
    user, session = f"fuzz-{n}", f"s-{n}"
    history = fmemory.history(user, session)
    for batch in batches:
        await api(history, "add_messages", batch)
    sent = as_stored(_first_of_each_id([m for batch in batches for m in batch]))

    assert_exact(await api(history, "messages"), sent)
    assert_exact(await api(history, "get_recent", k), sent[-k:] if k else [])
    assert await api(history, "__len__") == len(sent)
    assert await api(history, "token_count") == fmemory.count_tokens(sent)
    info = await api(fmemory, "get_session", user, session)
    # The title comes from the first batch whose first human message has text (NULs, RTL marks... kept).
    title = next((t for t in (title_of(as_stored(b)) for b in batches) if t), None)
    assert (info.title, info.message_count) == (title, len(sent))

    # The retriever rebuilds each embedded message from its stored document.
    retriever = fmemory.as_retriever(user_id=user, k=len(sent))
    docs = retriever.invoke("anything") if api.mode == "sync" else await retriever.ainvoke("anything")
    assert sorted(d.metadata["seq"] for d in docs) == [i + 1 for i, m in enumerate(sent) if _embedded(m)]
    for doc in docs:
        original = sent[doc.metadata["seq"] - 1]
        assert_exact(messages_from_dict([doc.metadata["message"]]), [original])
        assert doc.metadata["message"] == message_to_dict(original)  # read without building the message
        assert list(doc.metadata["message"]["data"]) == list(message_to_dict(original)["data"])
        assert doc.page_content == content_text(original.content)

    # Export, then import over the same session: the JSONL path is lossless too.
    out = io.StringIO()
    await api(fmemory, "export_jsonl", out, user_id=user)
    out.seek(0)
    await api(fmemory, "import_jsonl", out, if_exists="replace")
    assert_exact(await api(history, "messages"), sent)


@pytest.mark.parametrize(
    "value",
    [
        2**63 - 1,
        -(2**63),
        2**64 - 1,  # RedisJSON keeps unsigned 64-bit integers too
        2**64,
        -(2**63) - 1,
        10**30,
    ],
)
@pytest.mark.parametrize("where", ["additional_kwargs", "tool_args", "artifact"])
async def test_integers_beyond_64_bits_round_trip_or_are_refused(
    api: Api, fmemory: RedisSessionMemory, raw: redis.Redis, value: int, where: str
) -> None:
    """BUG: Python's JSON writes any integer, RedisJSON stores those outside [-2**63, 2**64) as a
    double, so ``{"n": 2**64}`` reads back as ``{"n": 1.8446744073709552e19}``: the message is
    stored, and comes back different. It must round-trip exactly, or be refused with
    MessageSerializationError and nothing stored."""
    message = {
        "additional_kwargs": AIMessage("n", additional_kwargs={"n": value}),
        "tool_args": AIMessage("", tool_calls=[{"name": "f", "args": {"n": [value]}, "id": "c"}]),
        "artifact": ToolMessage("n", tool_call_id="c", artifact={"rows": [value]}),
    }[where]
    history = fmemory.history("u", f"big-{where}")
    before = dump(raw, fmemory.config.key_prefix)
    try:
        await api(history, "add_messages", [HumanMessage("q"), message])
    except MessageSerializationError:
        assert dump(raw, fmemory.config.key_prefix) == before
        return
    assert_exact(await api(history, "messages"), [HumanMessage("q"), message])


FLOAT_BUG = (
    "BUG: RedisJSON 2.8 does not parse floats correctly rounded: a float with a long mantissa or a small "
    "exponent is stored 1 ulp off (-94.54749075992981 reads back as -94.5474907599298; about 1 in 10 "
    "random doubles), so response_metadata logprobs, scores or artifact numbers come back different"
)


@pytest.mark.parametrize(
    "value", [-94.54749075992981, -0.24739348353826673, 9.12068543778499e-20, 1.0133671905019353e147, 2.0**53 - 1]
)
async def test_floats_round_trip_exactly_or_are_refused(
    api: Api, fmemory: RedisSessionMemory, raw: redis.Redis, value: float
) -> None:
    message = AIMessage("x", response_metadata={"logprobs": [value]}, additional_kwargs={"score": value})
    history = fmemory.history("u", "floats")
    before = dump(raw, fmemory.config.key_prefix)
    try:
        await api(history, "add_messages", [message])
    except MessageSerializationError:
        assert dump(raw, fmemory.config.key_prefix) == before
        return
    assert_exact(await api(history, "messages"), [message])


@pytest.mark.parametrize("value", [0.1, -0.0, 5e-324, 1.7976931348623157e308, 123456789.123, 1e16, 0.5])
async def test_floats_redisjson_keeps_round_trip(api: Api, fmemory: RedisSessionMemory, value: float) -> None:
    message = AIMessage("x", response_metadata={"logprobs": [value]}, additional_kwargs={"score": value})
    await api(fmemory.history("u", "floats"), "add_messages", [message])
    assert_exact(await api(fmemory.history("u", "floats"), "messages"), [message])


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


async def test_values_nested_as_deep_as_redisjson_allows_round_trip(api: Api, fmemory: RedisSessionMemory) -> None:
    message = AIMessage("deep", additional_kwargs={"v": _nested(120)})  # document depth 124 of RedisJSON's 128
    await api(fmemory.history("u", "deep"), "add_messages", [message])
    assert_exact(await api(fmemory.history("u", "deep"), "messages"), [message])


async def test_a_message_nested_too_deep_is_refused_and_stores_nothing(
    api: Api, fmemory: RedisSessionMemory, raw: redis.Redis
) -> None:
    history = fmemory.history("u", "s")
    await api(history, "add_messages", [HumanMessage("first avocado")])
    before = dump(raw, fmemory.config.key_prefix)
    batch = [HumanMessage("second avocado"), AIMessage("third", additional_kwargs={"v": _nested(130)})]
    with pytest.raises(SessionMemError):
        await api(history, "add_messages", batch)
    assert dump(raw, fmemory.config.key_prefix) == before
    assert await api(history, "messages") == [HumanMessage("first avocado")]


class CustomMessage(BaseMessage):
    """An application's own message class, whose type ``messages_from_dict`` does not know."""

    type: Literal["custom"] = "custom"


async def test_a_message_the_store_cannot_read_back_is_refused(
    api: Api, fmemory: RedisSessionMemory, raw: redis.Redis
) -> None:
    history = fmemory.history("u", "custom")
    await api(history, "add_messages", [HumanMessage("before")])
    before = dump(raw, fmemory.config.key_prefix)
    try:
        await api(history, "add_messages", [CustomMessage("hello")])
    except (InvalidMessageError, MessageSerializationError):
        assert dump(raw, fmemory.config.key_prefix) == before
        assert await api(history, "messages") == [HumanMessage("before")]
        return
    assert_exact(await api(history, "messages"), [HumanMessage("before"), CustomMessage("hello")])
