"""SessionMemoryMiddleware in create_agent agents, against the real Redis, with the scripted
tool-calling model (no network). Every behaviour runs through invoke, ainvoke, stream and astream
(the ``run`` fixture), so both the sync and the async hooks are covered."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from langchain_sessionmem import InvalidIdError, RedisSessionMemory, SessionMemoryMiddleware
from langchain_sessionmem.testing import HashingEmbeddings, ScriptedChatModel
from tests.conftest import MakeMemory


class CountingEmbeddings(HashingEmbeddings):
    """Counts query embeddings: the middleware's recall makes exactly one per search."""

    def __init__(self) -> None:
        super().__init__()
        self.queries = 0

    def embed_query(self, text: str) -> list[float]:
        self.queries += 1
        return super().embed_query(text)


@tool
def lookup(topic: str) -> str:
    """Look a topic up in the cookbook."""
    return f"cookbook says: {topic} takes 20 minutes"


def call(name: str, args: dict[str, Any], call_id: str) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": call_id}])


def three_step_model() -> ScriptedChatModel:
    """Two tool calls, then a final answer: three model calls per run."""
    return ScriptedChatModel(
        responses=[call("lookup", {"topic": "risotto"}, "c1"), call("lookup", {"topic": "pesto"}, "c2"), "Both done."]
    )


class Runner:
    """Runs an agent through one of its four entry points and returns the final state's messages."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    async def __call__(self, agent: Any, text: str | list[BaseMessage], **kwargs: Any) -> list[BaseMessage]:
        messages = [HumanMessage(text)] if isinstance(text, str) else text
        payload = {"messages": messages}
        if self.mode == "invoke":
            return agent.invoke(payload, **kwargs)["messages"]
        if self.mode == "ainvoke":
            return (await agent.ainvoke(payload, **kwargs))["messages"]
        last: dict[str, Any] = {}
        if self.mode == "stream":
            for chunk in agent.stream(payload, stream_mode="values", **kwargs):
                last = chunk
        else:
            async for chunk in agent.astream(payload, stream_mode="values", **kwargs):
                last = chunk
        return last["messages"]

    @property
    def is_async(self) -> bool:
        return self.mode.startswith("a")

    def __repr__(self) -> str:
        return self.mode


@pytest.fixture(params=["invoke", "ainvoke", "stream", "astream"])
def run(request: pytest.FixtureRequest) -> Runner:
    return Runner(request.param)


@pytest.fixture
def embeddings() -> CountingEmbeddings:
    return CountingEmbeddings()


@pytest.fixture
def mem(make_memory: MakeMemory, embeddings: CountingEmbeddings) -> RedisSessionMemory:
    return make_memory(setup=True, embeddings=embeddings)


def ctx(user: str, session: str = "s1") -> dict[str, Any]:
    return {"context": {"user_id": user, "session_id": session}}


def texts(messages: list[BaseMessage]) -> list[str]:
    return [m.text or f"<{m.type} {','.join(c['name'] for c in getattr(m, 'tool_calls', []))}>" for m in messages]


async def stored(mem: RedisSessionMemory, user: str, session: str = "s1") -> list[BaseMessage]:
    return await mem.history(user, session).aget_messages()


# -- storage ---------------------------------------------------------------------------------------


async def test_a_three_step_tool_loop_stores_each_message_once_in_order(run: Runner, mem: RedisSessionMemory) -> None:
    model = three_step_model()
    agent = create_agent(model, [lookup], middleware=[mem.middleware(max_tokens=4000)])
    out = await run(agent, "cook risotto and pesto", **ctx("alice"))
    assert len(model.inputs) == 3
    saved = await stored(mem, "alice")
    assert (
        texts(saved)
        == texts(out)
        == [
            "cook risotto and pesto",
            "<ai lookup>",
            "cookbook says: risotto takes 20 minutes",
            "<ai lookup>",
            "cookbook says: pesto takes 20 minutes",
            "Both done.",
        ]
    )
    assert [m.id for m in saved] == [m.id for m in out]
    assert isinstance(saved[2], ToolMessage) and saved[2].tool_call_id == "c1"
    assert saved[1].tool_calls[0]["args"] == {"topic": "risotto"}


async def test_stream_and_astream_store_what_invoke_stores(mem: RedisSessionMemory) -> None:
    shapes = []
    for i, mode in enumerate(["invoke", "ainvoke", "stream", "astream"]):
        agent = create_agent(three_step_model(), [lookup], middleware=[mem.middleware()])
        await Runner(mode)(agent, "cook", **ctx("alice", f"s{i}"))
        shapes.append([(m.type, m.text) for m in await stored(mem, "alice", f"s{i}")])
    assert shapes[0] == shapes[1] == shapes[2] == shapes[3]
    assert len(shapes[0]) == 6


async def test_a_run_that_fails_after_the_first_model_call_keeps_its_input(
    run: Runner, mem: RedisSessionMemory
) -> None:
    @tool
    def broken(topic: str) -> str:
        """Always fails."""
        raise RuntimeError("the tool broke")

    model = ScriptedChatModel(responses=[call("broken", {"topic": "x"}, "c1"), "never"])
    agent = create_agent(model, [broken], middleware=[mem.middleware()])
    with pytest.raises(RuntimeError, match="the tool broke"):
        await run(agent, "please break", **ctx("alice"))
    assert texts(await stored(mem, "alice")) == ["please break", "<ai broken>"]


async def test_missing_ids_raise_before_anything_is_stored_or_sent(run: Runner, mem: RedisSessionMemory) -> None:
    model = ScriptedChatModel(responses=["hi"])
    agent = create_agent(model, [], middleware=[mem.middleware()])
    with pytest.raises(InvalidIdError, match="no user_id"):
        await run(agent, "hello")
    with pytest.raises(InvalidIdError, match="no user_id"):
        await run(agent, "hello", context={"session_id": "s1"})
    with pytest.raises(InvalidIdError, match="no session_id"):
        await run(agent, "hello", context={"user_id": "alice"})
    with pytest.raises(InvalidIdError, match="user_id must be a non-empty str"):
        await run(agent, "hello", context={"user_id": "", "session_id": "s1"})
    assert model.inputs == []
    assert await mem.alist_users() == []


async def test_a_client_that_resends_the_whole_conversation_stores_it_once(
    run: Runner, mem: RedisSessionMemory
) -> None:
    """No checkpointer, and the client sends the whole conversation (with its ids) every turn, as
    many chat front ends do: the append script skips the ids the session holds."""
    model = ScriptedChatModel(responses=["first answer", "second answer"])
    agent = create_agent(model, [], middleware=[mem.middleware(recall=False)])
    out = await run(agent, [HumanMessage("q1", id="q1")], **ctx("alice"))
    out = await run(agent, [*out, HumanMessage("q2", id="q2")], **ctx("alice"))
    assert texts(await stored(mem, "alice")) == ["q1", "first answer", "q2", "second answer"]
    ids = [m.id for m in model.inputs[-1]]
    assert len(ids) == len(set(ids)) == 3  # q1, first answer, q2: each once


# -- ids -------------------------------------------------------------------------------------------


class Ids:
    def __init__(self, user_id: str, session_id: str) -> None:
        self.user_id, self.session_id = user_id, session_id


async def test_ids_from_a_context_object_the_configurable_keys_or_the_thread(
    run: Runner, mem: RedisSessionMemory
) -> None:
    agent = create_agent(ScriptedChatModel(responses=["ok"]), [], middleware=[mem.middleware()])
    await run(agent, "via object", context=Ids("alice", "obj"))
    await run(agent, "via config", config={"configurable": {"user_id": "alice", "session_id": "conf"}})
    thread = {"configurable": {"user_id": "alice", "thread_id": mem.thread_id("alice", "thr")}}
    await run(agent, "via thread", config=thread)
    await run(agent, "via plain thread", config={"configurable": {"user_id": "alice", "thread_id": "t-42"}})
    assert sorted(s.session_id for s in await mem.alist_sessions("alice")) == ["conf", "obj", "t-42", "thr"]
    assert texts(await stored(mem, "alice", "thr")) == ["via thread", "ok"]
    with pytest.raises(InvalidIdError, match="another user"):
        await run(
            agent,
            "stolen thread",
            config={"configurable": {"user_id": "bob", "thread_id": thread["configurable"]["thread_id"]}},
        )
    assert await mem.alist_sessions("bob") == []


def test_thread_ids_are_scoped_to_the_user(mem: RedisSessionMemory) -> None:
    assert mem.thread_id("alice", "default") != mem.thread_id("bob", "default")
    assert mem.thread_id("alice", "default") == mem.thread_id("alice", "default")
    with pytest.raises(InvalidIdError):
        mem.thread_id("", "default")


async def test_two_users_with_the_same_session_id_never_meet(run: Runner, mem: RedisSessionMemory) -> None:
    model = ScriptedChatModel(responses=[call("search_memory", {"query": "secret password"}, "c1"), "noted"])
    agent = create_agent(model, [], middleware=[mem.middleware(search_tool=True)])
    await mem.history("alice", "earlier").aadd_messages([HumanMessage("my secret password is swordfish")])
    await mem.history("bob", "earlier").aadd_messages([HumanMessage("my secret password is hunter2")])
    await run(agent, "alice asks: what is my secret password?", **ctx("alice", "default"))
    n_alice = len(model.inputs)
    await run(agent, "bob asks: what is my secret password?", **ctx("bob", "default"))
    bob_inputs = model.inputs[n_alice:]
    seen_by_bob = "\n".join(m.text for inp in bob_inputs for m in inp)
    assert "swordfish" not in seen_by_bob and "hunter2" in seen_by_bob
    assert "swordfish" not in "\n".join(texts(await stored(mem, "bob", "default")))
    assert "hunter2" not in "\n".join(texts(await stored(mem, "alice", "default")))
    # Bob's search tool call found bob's message only: the tool result and its artifact.
    tool_msg = next(m for m in await stored(mem, "bob", "default") if m.type == "tool")
    assert "hunter2" in tool_msg.text and "swordfish" not in tool_msg.text


async def test_the_search_tool_takes_ids_from_the_run_and_returns_documents(
    run: Runner, mem: RedisSessionMemory
) -> None:
    await mem.history("alice", "old").aadd_messages([HumanMessage("my dog is called Biscuit")])
    await mem.history("bob", "old").aadd_messages([HumanMessage("my dog is called Rex")])
    search = mem.search_tool(k=2)
    assert search.name == "search_memory" and set(search.args) == {"query"}  # no id the model could set
    model = ScriptedChatModel(responses=[call("search_memory", {"query": "dog called"}, "c1"), "found it"])
    agent = create_agent(model, [search], middleware=[mem.middleware(recall=False)])
    out = await run(agent, "what is my dog's name?", **ctx("alice", "new"))
    result = next(m for m in out if isinstance(m, ToolMessage))
    assert "Biscuit" in result.text and "Rex" not in result.text
    assert result.artifact and {d.metadata["user_id"] for d in result.artifact} == {"alice"}


async def test_the_search_tool_leaves_out_the_runs_own_messages(run: Runner, mem: RedisSessionMemory) -> None:
    await mem.history("alice", "old").aadd_messages([HumanMessage("my dog is called Biscuit")])
    await mem.history("alice", "new").aadd_messages([HumanMessage("my dog likes the park"), AIMessage("nice")])
    model = ScriptedChatModel(responses=[call("search_memory", {"query": "my dog called"}, "c1"), "found it"])
    agent = create_agent(model, [], middleware=[mem.middleware(recall=False, search_tool={"k": 2})])
    out = await run(agent, "what is my dog called?", **ctx("alice", "new"))
    result = next(m for m in out if isinstance(m, ToolMessage))
    # The run's question, stored before the tool ran, is not a result; earlier messages are.
    found = sorted(d.page_content for d in result.artifact)
    assert found == ["my dog is called Biscuit", "my dog likes the park"]


# -- what the model sees ------------------------------------------------------------------------------


async def test_the_model_sees_one_system_message_then_the_window_then_the_run(
    run: Runner, mem: RedisSessionMemory
) -> None:
    await mem.aset_instructions("alice", "Answer in French.")
    history = mem.history("alice", "s1")
    await history.aadd_messages([HumanMessage("q0", id="q0"), AIMessage("a0", id="a0")])
    model = three_step_model()
    agent = create_agent(model, [lookup], system_prompt="You are a chef.", middleware=[mem.middleware()])
    before = await stored(mem, "alice")
    state = await run(agent, "cook", **ctx("alice"))
    for i, seen in enumerate(model.inputs):
        assert [m.type for m in seen].count("system") == 1
        assert seen[0].type == "system" and seen[0].text.startswith("You are a chef.\n\nAnswer in French.")
        assert [m.id for m in seen[1:]] == [m.id for m in before] + [m.id for m in state[: 1 + 2 * i]]
    assert all(m.type != "system" for m in state)  # the agent's state is not changed


async def test_the_window_respects_the_token_budget(run: Runner, mem: RedisSessionMemory) -> None:
    history = mem.history("alice", "s1")
    for i in range(30):
        await history.aadd_messages([HumanMessage(f"question {i} " + "word " * 40), AIMessage(f"answer {i}")])
    model = ScriptedChatModel(responses=["ok"])
    agent = create_agent(model, [], middleware=[mem.middleware(max_tokens=300, recall=False)])
    await run(agent, "latest", **ctx("alice"))
    seen = model.inputs[0]
    window = seen[1:] if seen[0].type == "system" else seen
    assert 1 < len(window) < 20 and window[0].type == "human" and window[-1].text == "latest"
    assert mem.count_tokens(window) <= 300


async def test_recall_runs_once_per_run_and_skips_what_the_window_holds(
    run: Runner, mem: RedisSessionMemory, embeddings: CountingEmbeddings
) -> None:
    await mem.history("alice", "trip").aadd_messages([HumanMessage("I am allergic to risotto rice")])
    await mem.history("alice", "s1").aadd_messages([HumanMessage("risotto was in the window already")])
    model = three_step_model()
    agent = create_agent(model, [lookup], middleware=[mem.middleware(recall={"k": 3})])
    embeddings.queries = 0
    await run(agent, "cook risotto", **ctx("alice"))
    assert embeddings.queries == 1  # three model calls, one recall
    system = model.inputs[0][0].text
    assert "allergic to risotto" in system
    assert "in the window already" not in system  # the window shows it: not recalled
    assert all(m.text == system for m in (inp[0] for inp in model.inputs))


# -- checkpointers ------------------------------------------------------------------------------------


async def check_two_turns_on_a_thread(run: Runner, mem: RedisSessionMemory, checkpointer: Any) -> None:
    model = three_step_model()
    agent = create_agent(model, [lookup], middleware=[mem.middleware()], checkpointer=checkpointer)
    # Unique per run, not only per test: RedisSaver's threads outlive the test (and a rerun of the
    # suite on the same server would otherwise continue the last run's thread).
    session = f"{mem.config.key_prefix}{uuid.uuid4().hex[:8]}"
    kwargs = {**ctx("alice", session), "config": {"configurable": {"thread_id": mem.thread_id("alice", session)}}}
    await run(agent, "first", **kwargs)
    out = await run(agent, "second", **kwargs)
    assert len(out) == 12  # the checkpointer's thread holds both turns
    saved = await stored(mem, "alice", session)
    assert [m.id for m in saved] == [m.id for m in out]  # each stored once, in order
    for seen in model.inputs:
        ids = [m.id for m in seen if m.type != "system"]
        assert len(ids) == len(set(ids)), "a message reached the model twice"
    last = model.inputs[-1]
    assert [m.id for m in last if m.type != "system"] == [
        m.id for m in out[:11]
    ]  # the window stands for the first turn
    await mem.adelete_session("alice", session, checkpointer=checkpointer) if run.is_async else mem.delete_session(
        "alice", session, checkpointer=checkpointer
    )


async def test_with_an_in_memory_checkpointer_nothing_is_sent_or_stored_twice(
    run: Runner, mem: RedisSessionMemory
) -> None:
    await check_two_turns_on_a_thread(run, mem, InMemorySaver())


async def test_with_a_checkpointer_earlier_turns_come_from_the_window_within_the_budget(
    run: Runner, mem: RedisSessionMemory
) -> None:
    """The thread's state grows without bound; what the model gets of the earlier turns is the
    stored window, cut to max_tokens, not the whole state."""
    model = ScriptedChatModel(responses=["answer " + "word " * 40])
    agent = create_agent(
        model, [], middleware=[mem.middleware(max_tokens=300, recall=False)], checkpointer=InMemorySaver()
    )
    kwargs = {**ctx("alice"), "config": {"configurable": {"thread_id": mem.thread_id("alice", "s1")}}}
    for turn in range(8):
        out = await run(agent, f"question {turn} " + "word " * 40, **kwargs)
    assert len(out) == 16
    seen = model.inputs[-1]
    assert seen[-1].text.startswith("question 7")
    assert mem.count_tokens(seen[:-1]) <= 300  # the window (the run's input comes on top)
    assert "question 0" not in " ".join(m.text for m in seen)
    assert [m.id for m in seen] == [m.id for m in out[-len(seen) - 1 : -1]]  # the latest turns, in order


@pytest.fixture
async def redis_saver(redis_url: str, run: Runner) -> AsyncIterator[Any]:
    """langgraph-checkpoint-redis on the test server: RedisSaver for the sync runs, AsyncRedisSaver
    for the async ones."""
    from langgraph.checkpoint.redis import RedisSaver
    from langgraph.checkpoint.redis.aio import AsyncRedisSaver

    if run.is_async:
        async with AsyncRedisSaver.from_conn_string(redis_url) as saver:
            await saver.asetup()
            yield saver
        return
    with RedisSaver.from_conn_string(redis_url) as saver:
        saver.setup()
        yield saver


# redisvl (used by langgraph-checkpoint-redis) warns about its own API; not ours to fix.
@pytest.mark.filterwarnings("ignore:get_async_redis_connection:DeprecationWarning")
async def test_with_redis_saver_nothing_is_sent_or_stored_twice(
    run: Runner, mem: RedisSessionMemory, redis_saver: Any
) -> None:
    await check_two_turns_on_a_thread(run, mem, redis_saver)


async def test_delete_session_and_user_also_delete_their_threads(mem: RedisSessionMemory) -> None:
    saver = InMemorySaver()
    agent = create_agent(ScriptedChatModel(responses=["ok"]), [], middleware=[mem.middleware()], checkpointer=saver)
    for session in ("s1", "s2", "s3"):
        config = {"configurable": {"user_id": "alice", "thread_id": mem.thread_id("alice", session)}}
        agent.invoke({"messages": [HumanMessage("hi")]}, config=config)
    agent.invoke(
        {"messages": [HumanMessage("hi")]},
        config={"configurable": {"user_id": "bob", "thread_id": mem.thread_id("bob", "s1")}},
    )

    def threads() -> set[str]:
        return {c.config["configurable"]["thread_id"] for c in saver.list(None)}

    assert mem.delete_session("alice", "s1", checkpointer=saver) == 2
    assert mem.thread_id("alice", "s1") not in threads()
    assert await mem.adelete_session("alice", "s2", checkpointer=saver) == 2
    assert mem.thread_id("alice", "s2") not in threads()
    assert mem.delete_user("alice", checkpointer=saver) == 2
    assert threads() == {mem.thread_id("bob", "s1")}
    assert await mem.adelete_user("bob", checkpointer=saver) == 2
    assert threads() == set()


# -- summaries ------------------------------------------------------------------------------------------


async def test_the_summary_call_never_reaches_the_agents_stream(mem: RedisSessionMemory) -> None:
    summarizer = ScriptedChatModel(responses=["SUMMARY-TEXT: alice likes risotto"])
    middleware = mem.middleware(max_tokens=200, summary_model=summarizer, summary_keep_tokens=60)
    model = ScriptedChatModel(responses=["reply " + "blah " * 30])
    agent = create_agent(model, [], middleware=[middleware])
    streamed: list[str] = []
    for turn in range(4):
        payload = {"messages": [HumanMessage(f"turn {turn} " + "word " * 30)]}
        async for chunk, _meta in agent.astream(payload, stream_mode="messages", **ctx("alice")):
            streamed.append(chunk.text)
        payload = {"messages": [HumanMessage(f"sync turn {turn} " + "word " * 30)]}
        for chunk, _meta in agent.stream(payload, stream_mode="messages", **ctx("alice")):
            assert isinstance(chunk, (AIMessage, AIMessageChunk, ToolMessage, HumanMessage))
            streamed.append(chunk.text)
    assert summarizer.inputs, "the window overflowed: older messages were summarized"
    assert len(summarizer.inputs) <= 4, "a summary is made only when the window overflows, not every run"
    assert not any("SUMMARY-TEXT" in s for s in streamed)
    assert any("blah" in s for s in streamed)  # the agent's own reply is streamed
    assert "SUMMARY-TEXT" in model.inputs[-1][0].text  # later runs see it in their system message


def test_the_middleware_is_exported_and_built_by_the_memory(mem: RedisSessionMemory) -> None:
    assert isinstance(mem.middleware(), SessionMemoryMiddleware)
    assert [t.name for t in mem.middleware(search_tool=True).tools] == ["search_memory"]


def test_print_the_model_input_of_one_turn(mem: RedisSessionMemory) -> None:
    """What the model is sent in one turn (``pytest -s`` shows it): one system message (the agent's
    prompt, the user's instructions, recalled messages), the stored window, then the run."""
    mem.set_instructions("alice", "Keep answers short.")
    mem.history("alice", "last-week").add_messages([HumanMessage("I am vegetarian, remember that for risotto")])
    agent = create_agent(
        three_step_model(), [lookup], system_prompt="You are a cooking assistant.", middleware=[mem.middleware()]
    )
    agent.invoke({"messages": [HumanMessage("hello")]}, **ctx("alice"))
    model = ScriptedChatModel(responses=[call("lookup", {"topic": "risotto"}, "c9"), "Risotto: 20 minutes."])
    agent = create_agent(model, [lookup], system_prompt="You are a cooking assistant.", middleware=[mem.middleware()])
    agent.invoke({"messages": [HumanMessage("how long does risotto take?")]}, **ctx("alice"))
    lines = []
    for m in model.inputs[-1]:
        calls = "".join(f" [calls {c['name']}({c['args']})]" for c in getattr(m, "tool_calls", []))
        lines.append(f"{m.type:>6}: {m.text}{calls}".replace("\n", "\n        "))
    print("\n--- model input, second model call of the turn ---\n" + "\n".join(lines))  # noqa: T201
    assert model.inputs[-1][0].type == "system" and "vegetarian" in model.inputs[-1][0].text
    assert [m.type for m in model.inputs[-1]][-3:] == ["human", "ai", "tool"]


async def test_an_encrypted_memory_without_embeddings_refuses_recall_when_built(
    run: Runner, make_memory: MakeMemory
) -> None:
    """Encrypted text has no full-text index, and without embeddings there is no vector search:
    recall and the search tool cannot work, so building them says so at once (not every run, after
    the run's input was stored). recall=False works, with the messages sealed."""
    from langchain_sessionmem import ConfigError, ContentEncryption
    from tests.store.test_encryption import Vault

    memory = make_memory(setup=True, encryption=ContentEncryption(Vault()))
    for build in (memory.middleware, lambda: memory.middleware(recall={"k": 2}), memory.search_tool,
                  lambda: memory.middleware(recall=False, search_tool=True)):  # fmt: skip
        with pytest.raises(ConfigError, match="embeddings"):
            build()
    agent = create_agent(ScriptedChatModel(responses=["Noted."]), [], middleware=[memory.middleware(recall=False)])
    await run(agent, "my PIN is 4321", **ctx("alice"))
    assert [m.text for m in memory.history("alice", "s1").messages] == ["my PIN is 4321", "Noted."]
    with_vectors = make_memory(encryption=ContentEncryption(Vault()), embeddings=HashingEmbeddings())
    with_vectors.middleware()  # recall by similarity: fine
    with_vectors.search_tool()
