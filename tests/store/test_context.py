"""Context-window tools against a real Redis: token counts, token-budget windows (checked against
langchain_core's own trim_messages), system instructions, running summaries, and the context a
chain wrapped by with_message_history sees."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel, GenericFakeChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    trim_messages,
)
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from langchain_sessionmem import (
    ConcurrentUpdateError,
    ConfigError,
    ContextWindow,
    IdCollisionError,
    RedisSessionMemory,
    SessionMemConfig,
    SummarizationError,
)
from langchain_sessionmem._keys import SessionKeys
from tests.conftest import MakeMemory
from tests.messages import every_kind
from tests.store.conftest import Api


def _turns(n: int, tag: str = "") -> list[BaseMessage]:
    return [
        HumanMessage(f"{tag}question {i} " * (1 + i % 3)) if i % 2 == 0 else AIMessage(f"{tag}answer {i}")
        for i in range(n)
    ]


def _trim(memory: RedisSessionMemory, messages: list[BaseMessage], max_tokens: int) -> list[BaseMessage]:
    return trim_messages(
        messages,
        max_tokens=max_tokens,
        token_counter=memory.count_tokens,
        strategy="last",
        include_system=True,
        start_on="human",
    )


def _tool_turn(i: int) -> list[BaseMessage]:
    call = {"name": "lookup", "args": {"q": f"thing {i}"}, "id": f"call-{i}"}
    return [
        HumanMessage(f"look up thing {i}"),
        AIMessage("", tool_calls=[call]),
        ToolMessage(f"result {i} " * 5, tool_call_id=f"call-{i}"),
        AIMessage(f"thing {i} is fine"),
    ]


# -- token counts ------------------------------------------------------------------------------


async def test_token_count_is_kept_on_write_and_clear(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("u", "s")
    assert await api(history, "token_count") == 0
    first, second = _turns(5), [*_tool_turn(1), *every_kind()]
    await api(history, "add_messages", first)
    assert await api(history, "token_count") == amemory.count_tokens(first)
    await api(history, "add_messages", second)
    assert await api(history, "token_count") == amemory.count_tokens(first + second)
    (info,) = await api(amemory, "list_sessions", "u")
    assert info.token_count == amemory.count_tokens(first + second)
    await api(history, "clear")
    assert await api(history, "token_count") == 0
    await api(history, "add_messages", first)
    assert await api(history, "token_count") == amemory.count_tokens(first)


def test_token_counts_use_the_genuine_cl100k_encoding(memory: RedisSessionMemory) -> None:
    # "hello world" is 2 cl100k tokens; 3 framing + 1 role ("user") + 2 = 6.
    assert memory.count_tokens([HumanMessage("hello world")]) == 6
    assert memory.count_tokens([HumanMessage("hello world", name="bob")]) == 6 + 1 + 1


def test_token_count_reads_one_document_whatever_the_size(memory: RedisSessionMemory, redis_url: str) -> None:
    history = memory.history("u", "big")
    for i in range(20):
        history.add_messages(_turns(100, f"b{i}"))
    client = memory._backend.client
    before = _keyspace_reads(client)
    assert history.token_count() == memory.count_tokens(history.messages)
    mid = _keyspace_reads(client)
    assert mid > before
    costs = []
    for _ in range(3):  # the counter is server-wide: the least of three leaves out background reads
        start = _keyspace_reads(client)
        history.token_count()
        costs.append(_keyspace_reads(client) - start)
    # meta, first-message probe, c0, and the cluster slot probe (meta + a missing key): not 2,000 documents
    assert min(costs) <= 6


def _keyspace_reads(client: Any) -> int:
    stats = client.info("stats")
    return int(stats["keyspace_hits"]) + int(stats["keyspace_misses"])


# -- token-budget windows ----------------------------------------------------------------------


@pytest.mark.parametrize("budget", [0, 5, 20, 37, 60, 100, 250, 10_000])
async def test_window_equals_trim_messages(api: Api, amemory: RedisSessionMemory, budget: int) -> None:
    msgs: list[BaseMessage] = [SystemMessage("You are terse.")]
    for i in range(4):
        msgs += _tool_turn(i) + _turns(3, f"t{i}")
    history = amemory.history("u", "s")
    await api(history, "add_messages", msgs)
    got = await api(history, "get_window", budget)
    assert got == _trim(amemory, msgs, budget)
    assert got[0] == msgs[0]  # the system message is always kept
    assert amemory.count_tokens(got) <= max(budget, amemory.count_tokens(msgs[:1]))


_kinds = st.sampled_from(["human", "ai", "tool_turn"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shape=st.lists(_kinds, max_size=25),
    lead_system=st.booleans(),
    budget=st.integers(min_value=0, max_value=400),
    k=st.one_of(st.none(), st.integers(min_value=0, max_value=30)),
    texts=st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=5),
)
def test_window_matches_trim_messages_on_any_conversation(
    memory: RedisSessionMemory, shape: list[str], lead_system: bool, budget: int, k: int | None, texts: list[str]
) -> None:
    msgs: list[BaseMessage] = [SystemMessage("rules: " + texts[0])] if lead_system else []
    for i, kind in enumerate(shape):
        text = texts[i % len(texts)]
        if kind == "human":
            msgs.append(HumanMessage(text))
        elif kind == "ai":
            msgs.append(AIMessage(text))
        else:
            msgs += _tool_turn(i)
    history = memory.history("u", uuid.uuid4().hex)
    history.add_messages(msgs)
    window = history.get_window(budget, k=k)
    if k is None:
        source = msgs
    elif lead_system:  # the session's system message is kept whatever k says
        source = [msgs[0], *(msgs[1:][-k:] if k else [])]
    else:
        source = msgs[-k:] if k else []
    assert window == _trim(memory, source, budget)
    rest = window[1:] if lead_system else window
    assert not rest or isinstance(rest[0], HumanMessage)


async def test_window_never_orphans_tool_results(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("u", "tools")
    msgs = [m for i in range(6) for m in _tool_turn(i)]
    await api(history, "add_messages", msgs)
    for budget in range(0, amemory.count_tokens(msgs) + 5, 7):
        window = await api(history, "get_window", budget)
        assert not window or isinstance(window[0], HumanMessage)
        ids = {c["id"] for m in window if isinstance(m, AIMessage) for c in m.tool_calls}
        assert all(m.tool_call_id in ids for m in window if isinstance(m, ToolMessage))


async def test_window_reads_only_what_it_returns(memory: RedisSessionMemory) -> None:
    history = memory.history("u", "long")
    for i in range(50):
        history.add_messages(_turns(200, f"r{i}"))  # 10,000 messages
    client = memory._backend.client
    before = _keyspace_reads(client)
    window = history.get_window(200)
    reads = _keyspace_reads(client) - before
    assert 0 < len(window) < 40
    # A binary search over 10,000 running totals (~14 probes) plus the window, never the session.
    assert reads <= 2 * len(window) + 40


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
async def test_window_rejects_bad_budgets(api: Api, amemory: RedisSessionMemory, bad: Any) -> None:
    history = amemory.history("u", "s")
    with pytest.raises(ConfigError, match="max_tokens"):
        await api(history, "get_window", bad)
    with pytest.raises(ConfigError, match="k must"):
        await api(history, "get_window", 10, k=bad)
    with pytest.raises(ConfigError):
        ContextWindow(max_tokens=bad)


# -- instructions ------------------------------------------------------------------------------


async def test_instructions_default_per_user_and_override_per_session(api: Api, amemory: RedisSessionMemory) -> None:
    alice = amemory.history("alice", "s1")
    await api(alice, "add_messages", _turns(4))
    stored = await api(alice, "messages")
    assert await api(amemory, "get_instructions", "alice") is None
    assert await api(alice, "get_context") == stored

    await api(amemory, "set_instructions", "alice", "Answer in French.")
    assert await api(amemory, "get_instructions", "alice") == "Answer in French."
    assert await api(amemory, "get_instructions", "alice", "s1") == "Answer in French."
    assert await api(amemory, "get_instructions", "bob") is None
    context = await api(alice, "get_context")
    assert context[0] == SystemMessage("Answer in French.", id="sessionmem-instructions")
    assert context[1:] == stored

    await api(amemory, "set_instructions", "alice", "Answer in Italian.", session_id="s1")
    assert await api(amemory, "get_instructions", "alice", "s1") == "Answer in Italian."
    assert await api(amemory, "get_instructions", "alice", "s2") == "Answer in French."
    assert (await api(alice, "get_context"))[0].content == "Answer in Italian."
    # updating is setting again; history never changes
    await api(amemory, "set_instructions", "alice", "Answer in Spanish.", session_id="s1")
    assert (await api(alice, "get_context"))[0].content == "Answer in Spanish."
    assert await api(alice, "messages") == stored

    await api(amemory, "clear_instructions", "alice", session_id="s1")
    assert (await api(alice, "get_context"))[0].content == "Answer in French."
    await api(amemory, "clear_instructions", "alice")
    assert await api(alice, "get_context") == stored
    assert await api(alice, "messages") == stored


async def test_instructions_count_against_the_budget(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("u", "s")
    msgs = _turns(20)
    await api(history, "add_messages", msgs)
    instructions = "Be brief. " * 10
    await api(amemory, "set_instructions", "u", instructions)
    itok = amemory.count_tokens([SystemMessage(instructions)])
    for budget in (itok - 1, itok + 15, itok + 80, 10_000):
        context = await api(history, "get_context", budget)
        assert context[0].content == instructions
        assert context[1:] == _trim(amemory, msgs, max(0, budget - itok))


async def test_instructions_for_a_new_session_create_it(api: Api, amemory: RedisSessionMemory) -> None:
    await api(amemory, "set_instructions", "u", "Be kind.", session_id="fresh")
    (info,) = await api(amemory, "list_sessions", "u")
    assert (info.session_id, info.message_count, info.instructions) == ("fresh", 0, "Be kind.")
    history = amemory.history("u", "fresh")
    await api(history, "add_messages", [HumanMessage("hi")])
    assert await api(history, "get_context") == [
        SystemMessage("Be kind.", id="sessionmem-instructions"),
        HumanMessage("hi"),
    ]


@pytest.mark.parametrize("bad", ["", "   ", 3, ["x"]])
async def test_bad_instructions_are_refused_and_change_nothing(api: Api, amemory: RedisSessionMemory, bad: Any) -> None:
    await api(amemory, "set_instructions", "u", "keep me")
    with pytest.raises(ConfigError, match="instructions"):
        await api(amemory, "set_instructions", "u", bad)
    with pytest.raises(ConfigError, match="instructions"):
        await api(amemory, "set_instructions", "u", bad, session_id="s")
    assert await api(amemory, "get_instructions", "u") == "keep me"
    assert await api(amemory, "list_sessions", "u") == []


def test_user_instructions_outlive_expiring_sessions(make_memory: MakeMemory, config: SessionMemConfig) -> None:
    import time

    memory = make_memory(ttl_seconds=0.3)
    memory.set_instructions("u", "remember me")
    memory.history("u", "s").add_messages(_turns(2))
    time.sleep(0.6)
    assert memory.list_sessions("u") == []
    assert memory.get_instructions("u") == "remember me"
    memory.clear_instructions("u")
    keys = SessionKeys.of(config.key_prefix, "u", "s")
    assert memory._backend.client.exists(keys.user.user) == 0


def test_instructions_refuse_a_user_digest_collision(memory: RedisSessionMemory) -> None:
    keys = SessionKeys.of(memory.config.key_prefix, "u", "s")
    memory._backend.client.hset(keys.user.user, "uid", "somebody else")
    with pytest.raises(IdCollisionError):
        memory.set_instructions("u", "x")
    with pytest.raises(IdCollisionError):
        memory.get_instructions("u")
    assert memory._backend.client.hget(keys.user.user, "instr") is None


# -- summaries ---------------------------------------------------------------------------------


def _summarizer(*replies: str) -> FakeMessagesListChatModel:
    return FakeMessagesListChatModel(responses=[AIMessage(r) for r in replies])


async def test_summarize_condenses_old_turns_and_keeps_originals(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("u", "s")
    msgs = [SystemMessage("You are a chef."), *_turns(30)]
    await api(history, "add_messages", msgs)
    model = _summarizer("The user asked 14 questions about cooking.", "Now 24 questions.")
    keep = amemory.count_tokens(msgs[-6:])
    summary = await api(history, "summarize", model, keep_tokens=keep)
    assert summary == "The user asked 14 questions about cooking."
    context = await api(history, "get_context")
    window = _trim(amemory, msgs, keep)
    assert context[0] == SystemMessage(
        "Summary of the earlier conversation:\nThe user asked 14 questions about cooking.", id="sessionmem-summary"
    )
    assert context[1:] == window
    assert await api(history, "messages") == msgs  # originals stay for recall
    assert await api(history, "__len__") == 31

    # nothing new is old enough: no model call, the same summary
    assert await api(history, "summarize", _summarizer(), keep_tokens=keep) == summary

    more = _turns(10, "more")
    await api(history, "add_messages", more)
    assert await api(history, "summarize", model, keep_last=4) == "Now 24 questions."
    context = await api(history, "get_context")
    assert context[0].content.endswith("Now 24 questions.")
    assert context[1:] == [msgs[0], *more[-4:]]


async def test_summarize_sends_the_previous_summary_and_only_new_turns(api: Api, amemory: RedisSessionMemory) -> None:
    seen: list[list[BaseMessage]] = []

    class Recorder(GenericFakeChatModel):
        def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
            seen.append(messages)
            return super()._generate(messages, *args, **kwargs)

    model = Recorder(messages=iter([AIMessage("S1"), AIMessage("S2")]))
    history = amemory.history("u", "s")
    first = _turns(8, "old")
    await api(history, "add_messages", first)
    await api(history, "summarize", model, keep_last=2)
    await api(history, "add_messages", _turns(4, "new"))
    await api(history, "summarize", model, keep_last=2)
    one, two = (m[1].content for m in seen)
    assert "(none yet)" in one and "oldquestion 0" in one and "oldanswer 5" in one and "oldquestion 6" not in one
    assert "Existing summary:\nS1" in two and "oldquestion 6" in two and "newquestion 0" in two
    assert "oldquestion 0" not in two and "newquestion 2" not in two
    assert (await api(history, "get_context"))[0].content.endswith("S2")


async def test_summary_counts_against_the_budget_and_clear_drops_it(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("u", "s")
    msgs = _turns(20)
    await api(history, "add_messages", msgs)
    await api(history, "summarize", _summarizer("short summary"), keep_last=6)
    stok = amemory.count_tokens([SystemMessage("Summary of the earlier conversation:\nshort summary")])
    budget = stok + amemory.count_tokens(msgs[-4:])
    context = await api(history, "get_context", budget)
    assert context[1:] == msgs[-4:]
    await api(history, "clear")
    assert await api(history, "get_context") == []
    info = await api(amemory, "get_session", "u", "s")
    assert info.message_count == 0


async def test_summarize_refuses_an_empty_reply_and_bad_arguments(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("u", "s")
    await api(history, "add_messages", _turns(10))
    with pytest.raises(SummarizationError):
        await api(history, "summarize", _summarizer("   "), keep_last=2)
    with pytest.raises(ConfigError, match="keep_tokens or keep_last"):
        await api(history, "summarize", _summarizer("x"))
    with pytest.raises(ConfigError, match="keep_last"):
        await api(history, "summarize", _summarizer("x"), keep_last=-1)
    assert (await api(history, "get_context")) == await api(history, "messages")
    assert await api(history, "summarize", _summarizer("x"), keep_last=100) is None  # nothing to condense


def test_a_concurrent_summary_or_clear_wins_over_a_stale_one(memory: RedisSessionMemory) -> None:
    history = memory.history("u", "s")
    history.add_messages(_turns(10))

    class ClearsMeanwhile(GenericFakeChatModel):
        def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
            history.clear()  # lands between the read and the write of summarize()
            return super()._generate(messages, *args, **kwargs)

    with pytest.raises(ConcurrentUpdateError):
        history.summarize(ClearsMeanwhile(messages=iter([AIMessage("stale")])), keep_last=2)
    assert history.get_context() == []


# -- what a chain sees -------------------------------------------------------------------------


async def test_with_message_history_prepends_instructions_and_trims(api: Api, amemory: RedisSessionMemory) -> None:
    seen: list[list[BaseMessage]] = []

    class Echo(GenericFakeChatModel):
        def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
            seen.append(list(messages))
            return super()._generate(messages, *args, **kwargs)

    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("human", "{question}")])
    model = Echo(messages=iter(AIMessage(f"reply {i}") for i in range(10)))
    budget = 60
    chain = amemory.with_message_history(
        prompt | model,
        window=ContextWindow(max_tokens=budget),
        input_messages_key="question",
        history_messages_key="history",
    )
    cfg = {"configurable": {"user_id": "alice", "session_id": "s"}}
    await api(amemory, "set_instructions", "alice", "Be brief.")
    for i in range(5):
        if api.mode == "sync":
            chain.invoke({"question": f"question number {i}"}, config=cfg)
        else:
            await chain.ainvoke({"question": f"question number {i}"}, config=cfg)
    stored = await api(amemory.history("alice", "s"), "messages")
    assert len(stored) == 10 and SystemMessage("Be brief.", id="sessionmem-instructions") not in stored
    last = seen[-1]
    assert last[0] == SystemMessage("Be brief.", id="sessionmem-instructions")
    assert last[1:-1] == _trim(amemory, stored[:-2], budget - amemory.count_tokens(last[:1]))
    assert last[-1] == HumanMessage("question number 4")

    plain = amemory.with_message_history(
        prompt | model, window=None, input_messages_key="question", history_messages_key="history"
    )
    if api.mode == "sync":
        plain.invoke({"question": "q"}, config=cfg)
    else:
        await plain.ainvoke({"question": "q"}, config=cfg)
    assert seen[-1][:-1] == stored


# -- the literal history and the context a chain sees ------------------------------------------------


async def test_a_history_is_literal_and_a_session_context_is_what_a_chain_sees(
    api: Api, amemory: RedisSessionMemory
) -> None:
    history = amemory.history("u", "s")
    turns = _turns(6)
    await api(history, "add_messages", turns)
    await api(amemory, "set_instructions", "u", "Answer in French.")
    window = ContextWindow(k=2)
    context = amemory.context("u", "s", window)
    assert await api(history, "messages") == turns  # what is stored, whatever else is configured
    seen = await api(context, "messages")
    assert seen == [SystemMessage("Answer in French.", id="sessionmem-instructions"), *turns[-2:]]
    assert seen == await api(history, "get_context", k=2)
    await api(context, "add_messages", [HumanMessage("more")])  # appends to the history itself
    assert [m.text for m in await api(history, "messages")][-1] == "more"
    # the window (last 2: "answer 5", "more") starts on a human message, as trim_messages cuts
    assert [m.text for m in await api(context, "messages")] == ["Answer in French.", "more"]
    assert context.history.session_id == "s"
    await api(context, "clear")
    assert await api(history, "messages") == []
    default = amemory.context("u", "s")  # instructions + summary + every message after it
    assert default.window == ContextWindow()
    with pytest.raises(ConfigError, match="ContextWindow"):
        amemory.context("u", "s", {"k": 2})  # type: ignore[arg-type]


def test_a_history_built_with_a_window_still_returns_the_context_but_warns(memory: RedisSessionMemory) -> None:
    memory.history("u", "s").add_messages(_turns(4))
    with pytest.warns(DeprecationWarning, match=r"memory\.context"):
        old = memory.history("u", "s", window=ContextWindow(k=2))
    assert old.messages == _turns(4)[-2:]


async def test_get_stored_pages_with_sequence_numbers_and_times(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("u", "s")
    turns = _turns(5)
    await api(history, "add_messages", turns[:3])
    await api(history, "add_messages", turns[3:])
    stored = await api(history, "get_stored")
    assert [s.message for s in stored] == turns
    assert [s.seq for s in stored] == [1, 2, 3, 4, 5]
    assert all(s.timestamp_ms > 1_600_000_000_000 for s in stored)
    assert [s.timestamp_ms for s in stored] == sorted(s.timestamp_ms for s in stored)
    first = await api(history, "get_stored", limit=2)
    rest = await api(history, "get_stored", after=first[-1].seq, limit=10)
    assert [s.seq for s in first + rest] == [1, 2, 3, 4, 5]
    assert await api(history, "get_stored", after=5) == []
    for bad in ({"after": -1}, {"limit": -2}, {"after": "1"}):
        with pytest.raises(ConfigError):
            await api(history, "get_stored", **bad)


async def test_get_stored_after_a_sequence_far_beyond_the_last_is_empty(api: Api, amemory: RedisSessionMemory) -> None:
    # The read script's reply header carries `after + 1` as the first seq it looked at: a number of
    # 15 digits or more must still come back as an integer (Lua prints such numbers as 1e+14).
    history = amemory.history("u", "s")
    await api(history, "add_messages", _turns(2))
    for after in (10**14, 1_733_401_234_567_000, 2**53):
        assert await api(history, "get_stored", after=after) == []
    assert [s.seq for s in await api(history, "get_stored", after=1, limit=10**15)] == [2]
