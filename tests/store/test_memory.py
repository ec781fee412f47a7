"""RedisSessionMemory: setup, administration, RunnableWithMessageHistory wiring, errors."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pytest
import redis
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from langchain_sessionmem import (
    IdCollisionError,
    IndexSchemaMismatchError,
    ModulesMissingError,
    RedisSessionMemory,
    RedisUnavailableError,
    SessionMemConfig,
)
from langchain_sessionmem._search import SORTABLE_SCHEMA, create_index_args, expected_signature, schema_signature
from tests.conftest import MakeMemory
from tests.store.conftest import Api


async def test_setup_is_idempotent_and_creates_the_documented_index(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    memory = make_memory()
    await api(memory, "setup")
    await api(memory, "setup")
    found = schema_signature(raw.execute_command("FT.INFO", config.index_name))
    assert found == expected_signature(config)
    assert ("$.text", "text", "TEXT", ()) in found[2]
    assert all("SORTABLE" not in flags for *_, flags in found[2])  # nothing sorts on a field: no copies
    assert "NOOFFSETS" in str(raw.execute_command("FT.INFO", config.index_name))  # no query uses positions


async def test_an_index_made_by_version_0_1_0_is_used_as_it_is(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    """0.1.0 made seq and ts SORTABLE and kept term offsets: its index serves every query, so
    setup() neither refuses nor rebuilds it, and messages written now are found by it."""
    args = create_index_args(config)
    args.remove("NOOFFSETS")
    old = args[: args.index("SCHEMA") + 1]
    for path, name, kind, flags in SORTABLE_SCHEMA:
        old += [path, "AS", name, kind, *flags]
    raw.execute_command(*old)
    memory = make_memory()
    await api(memory, "setup")
    info = raw.execute_command("FT.INFO", config.index_name)
    assert schema_signature(info)[2] == SORTABLE_SCHEMA and "NOOFFSETS" not in str(info)
    await api(memory.history("u", "s"), "add_messages", [HumanMessage("the avocado toast"), AIMessage("noted")])
    docs = await api(memory.as_retriever(user_id="u", search_type="text"), "invoke", "avocado")
    assert [d.page_content for d in docs] == ["the avocado toast"]


async def test_setup_refuses_an_index_with_another_schema_and_leaves_it(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    raw.execute_command(
        "FT.CREATE", config.index_name, "ON", "HASH", "PREFIX", "1", "elsewhere:", "SCHEMA", "title", "TEXT"
    )
    memory = make_memory()
    with pytest.raises(IndexSchemaMismatchError, match="belongs to another memory.*key_prefix") as info:
        await api(memory, "setup")
    assert config.index_name in str(info.value)
    assert "drop" not in str(info.value).lower()  # never advise dropping an index this config does not own
    assert raw.ft(config.index_name).info()["index_definition"]  # still there, untouched


async def test_unreachable_server_names_the_url_without_password(api: Api, make_memory: MakeMemory) -> None:
    memory = make_memory("redis://someone:hunter2@127.0.0.1:1/0")
    history = memory.history("u", "s")
    for call in [(memory, "setup"), (history, "messages"), (history, "add_messages", [HumanMessage("x")])]:
        with pytest.raises(RedisUnavailableError, match=r"redis://someone:\*\*\*@127.0.0.1:1/0") as info:
            await api(*call)
        assert "hunter2" not in str(info.value)
        assert isinstance(info.value, ConnectionError)


async def test_list_sessions_reports_counts_and_activity_newest_first(api: Api, amemory: RedisSessionMemory) -> None:
    for sid, n in [("first", 2), ("second", 3), ("third", 1)]:
        await api(amemory.history("u", sid), "add_messages", [HumanMessage(str(i)) for i in range(n)])
        await asyncio.sleep(0.005)
    await api(amemory.history("u", "first"), "add_messages", [AIMessage("back to first")])
    sessions = await api(amemory, "list_sessions", "u")
    assert [(s.session_id, s.message_count) for s in sessions] == [("first", 3), ("third", 1), ("second", 3)]
    first = sessions[0]
    assert first.user_id == "u" and first.created_at < first.last_active
    assert first.created_at.tzinfo is not None


async def test_delete_session_removes_only_that_session(
    api: Api, amemory: RedisSessionMemory, raw: redis.Redis
) -> None:
    await api(amemory.history("u", "a"), "add_messages", [HumanMessage("a")])
    await api(amemory.history("u", "b"), "add_messages", [HumanMessage("b"), HumanMessage("b2")])
    assert await api(amemory, "delete_session", "u", "b") == 2
    assert await api(amemory, "delete_session", "u", "b") == 0
    assert [s.session_id for s in await api(amemory, "list_sessions", "u")] == ["a"]
    b_keys = raw.keys(f"{amemory.config.key_prefix}*{amemory.history('u', 'b')._keys.sh}*")
    assert b_keys == []


async def test_delete_user_leaves_no_key_behind(api: Api, amemory: RedisSessionMemory, raw: redis.Redis) -> None:
    for sid in ("a", "b"):
        await api(amemory.history("gone", sid), "add_messages", [HumanMessage("x"), AIMessage("y")])
    await api(amemory.history("stays", "a"), "add_messages", [HumanMessage("x")])
    assert await api(amemory, "delete_user", "gone") == 4
    uh = amemory.history("gone", "a")._keys.user.uh
    assert raw.keys(f"*{uh}*") == []
    assert await api(amemory.history("stays", "a"), "messages") == [HumanMessage("x")]
    assert await api(amemory, "delete_user", "never-existed") == 0


async def test_a_digest_collision_is_refused_not_merged(
    api: Api, amemory: RedisSessionMemory, raw: redis.Redis
) -> None:
    """Simulate two ids sharing keys by rewriting the stored owner: every operation refuses."""
    history = amemory.history("u", "s")
    await api(history, "add_messages", [HumanMessage("mine")])
    raw.hset(history._keys.meta, "sid", "somebody else's session")
    for call in [(history, "messages"), (history, "add_messages", [HumanMessage("x")]), (history, "clear")]:
        with pytest.raises(IdCollisionError):
            await api(*call)
    raw.hset(history._keys.meta, "sid", "s")
    raw.hset(history._keys.user.user, "uid", "another user")
    for call in [(history, "add_messages", [HumanMessage("x")]), (amemory, "delete_user", "u")]:
        with pytest.raises(IdCollisionError):
            await api(*call)
    raw.hset(history._keys.user.user, "uid", "u")
    assert await api(history, "messages") == [HumanMessage("mine")]


def _chain(memory: RedisSessionMemory, answers: list[str]):  # type: ignore[no-untyped-def]
    prompt = ChatPromptTemplate.from_messages(
        [SystemMessage("You are terse."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    model = FakeListChatModel(responses=answers)
    return memory.with_message_history(prompt | model, input_messages_key="question", history_messages_key="history")


def _cfg(user_id: str, session_id: str) -> dict[str, dict[str, str]]:
    return {"configurable": {"user_id": user_id, "session_id": session_id}}


def test_runnable_with_message_history_keyed_on_user_and_session(memory: RedisSessionMemory) -> None:
    chain = _chain(memory, ["one", "two", "three"])
    chain.invoke({"question": "q1"}, config=_cfg("alice", "same"))
    chain.invoke({"question": "q2"}, config=_cfg("bob", "same"))
    chain.invoke({"question": "q3"}, config=_cfg("alice", "same"))
    assert memory.history("alice", "same").messages == [
        HumanMessage("q1"), AIMessage("one", id=memory.history("alice", "same").messages[1].id),
        HumanMessage("q3"), AIMessage("three", id=memory.history("alice", "same").messages[3].id),
    ]  # fmt: skip
    assert [m.content for m in memory.history("bob", "same").messages] == ["q2", "two"]
    specs = {s.id for s in chain.config_specs}
    assert {"user_id", "session_id"} <= specs


async def test_runnable_with_message_history_async(amemory: RedisSessionMemory) -> None:
    chain = _chain(amemory, ["a1", "a2"])
    await chain.ainvoke({"question": "hello"}, config=_cfg("carol", "s"))
    out = await chain.ainvoke({"question": "again"}, config=_cfg("carol", "s"))
    assert out.content == "a2"
    assert [m.content for m in await amemory.history("carol", "s").aget_messages()] == ["hello", "a1", "again", "a2"]


def test_the_model_sees_the_history_of_its_own_user_only(memory: RedisSessionMemory) -> None:
    seen: list[list[str]] = []

    from langchain_core.runnables import RunnableLambda

    def model(prompt_value):  # type: ignore[no-untyped-def]
        seen.append([str(m.content) for m in prompt_value.to_messages()])
        return AIMessage(f"answer {len(seen)}")

    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("human", "{question}")])
    chain = memory.with_message_history(
        prompt | RunnableLambda(model), input_messages_key="question", history_messages_key="history"
    )
    chain.invoke({"question": "alice secret"}, config=_cfg("alice", "s"))
    chain.invoke({"question": "bob asks"}, config=_cfg("bob", "s"))
    chain.invoke({"question": "alice again"}, config=_cfg("alice", "s"))
    assert seen == [["alice secret"], ["bob asks"], ["alice secret", "answer 1", "alice again"]]


def test_config_is_shared_with_histories(make_memory: MakeMemory, config: SessionMemConfig) -> None:
    cfg = dataclasses.replace(config, max_id_length=5)
    memory = make_memory(config=cfg)
    assert memory.config is cfg
    with pytest.raises(ValueError, match="max_id_length=5"):
        memory.history("abcdef", "s")


async def test_a_server_without_the_modules_gets_an_error_saying_what_to_do(
    api: Api, start_server: Callable[..., str], make_memory: MakeMemory
) -> None:
    url = start_server(modules=False)
    memory = make_memory(url, config=SessionMemConfig(key_prefix="nomod:"))
    with pytest.raises(ModulesMissingError, match="RedisJSON.*make redis-up|RedisJSON.*REDIS_URL"):
        await api(memory, "setup")
    with pytest.raises(ModulesMissingError, match="RedisJSON"):
        await api(memory.history("u", "s"), "add_messages", [HumanMessage("x")])
    with redis.Redis.from_url(url) as bare:
        assert bare.keys("*") == [], "a failed append must leave nothing behind"


async def test_drop_indexes_keeps_the_data_and_setup_restores_search(api: Api, make_memory: MakeMemory) -> None:
    from langchain_sessionmem.testing import HashingEmbeddings

    memory = make_memory(embeddings=HashingEmbeddings())
    await api(memory, "setup")
    await api(memory.history("u", "s"), "add_messages", [HumanMessage("avocado toast")])
    await api(memory, "drop_indexes")
    await api(memory, "drop_indexes")  # idempotent
    assert await api(memory.history("u", "s"), "messages") == [HumanMessage("avocado toast")]
    await api(memory, "setup")
    for _ in range(50):  # RediSearch re-indexes existing documents in the background
        docs = memory.as_retriever(user_id="u").invoke("avocado")
        if docs:
            break
        await asyncio.sleep(0.05)
    assert [d.page_content for d in docs] == ["avocado toast"]
