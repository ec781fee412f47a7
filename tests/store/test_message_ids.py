"""Exactly-once storage by message id, through the plain history API (sync and async): the append
script skips a message whose id the session already holds, in the same round trip."""

from __future__ import annotations

import asyncio

import redis
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem._keys import SessionKeys
from langchain_sessionmem._ops.history import append_plan
from tests.conftest import MakeMemory
from tests.store.conftest import Api


def _texts(messages: list) -> list[str]:
    return [m.content for m in messages]


async def test_known_ids_are_stored_once_and_new_ones_in_order(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("alice", "s1")
    q1, a1 = HumanMessage("q1", id="h1"), AIMessage("a1", id="a1")
    await api(history, "add_messages", [q1, a1])
    await api(history, "add_messages", [q1, a1])  # only known ids: nothing stored
    assert _texts(await api(history, "messages")) == ["q1", "a1"]
    info = await api(amemory, "get_session", "alice", "s1")
    before = info.last_active
    await api(history, "add_messages", [a1])
    assert (await api(amemory, "get_session", "alice", "s1")).last_active == before  # nothing changed at all
    # A partly known batch: only the new ones, in their order; a repeat inside the batch counts once.
    q2, t2, a2 = HumanMessage("q2", id="h2"), ToolMessage("t2", tool_call_id="c", id="t2"), AIMessage("a2", id="a2")
    await api(history, "add_messages", [q1, q2, a1, t2, q2, a2])
    assert _texts(await api(history, "messages")) == ["q1", "a1", "q2", "t2", "a2"]
    assert await api(history, "__len__") == 5


async def test_messages_without_id_are_always_stored(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("alice", "s1")
    await api(history, "add_messages", [HumanMessage("same"), HumanMessage("same", id="")])
    await api(history, "add_messages", [HumanMessage("same"), HumanMessage("same", id="")])
    assert _texts(await api(history, "messages")) == ["same"] * 4


async def test_ids_are_per_session_and_per_user(api: Api, amemory: RedisSessionMemory) -> None:
    m = HumanMessage("hi", id="shared-id")
    for user, session in [("alice", "s1"), ("alice", "s2"), ("bob", "s1")]:
        await api(amemory.history(user, session), "add_messages", [m])
    for user, session in [("alice", "s1"), ("alice", "s2"), ("bob", "s1")]:
        assert _texts(await api(amemory.history(user, session), "messages")) == ["hi"]


async def test_clear_and_delete_forget_the_ids(
    api: Api, amemory: RedisSessionMemory, config: SessionMemConfig, redis_url: str
) -> None:
    m = HumanMessage("hi", id="m1")
    history = amemory.history("alice", "s1")
    await api(history, "add_messages", [m])
    await api(history, "clear")
    await api(history, "add_messages", [m])  # cleared: the id is no longer held, the message comes back
    assert _texts(await api(history, "messages")) == ["hi"]
    client = redis.Redis.from_url(redis_url)
    ids_key = SessionKeys.of(config.key_prefix, "alice", "s1").ids
    assert client.hlen(ids_key) == 1
    await api(amemory, "delete_session", "alice", "s1")
    assert client.exists(ids_key) == 0
    await api(history, "add_messages", [m])
    await api(amemory.history("alice", "s2"), "add_messages", [m])
    await api(amemory, "delete_user", "alice")
    assert client.keys(f"{config.key_prefix}*{{*") == []
    client.close()


async def test_the_id_hash_expires_with_the_session_and_with_its_messages(
    api: Api, redis_url: str, make_memory: MakeMemory
) -> None:
    memory = make_memory(ttl_seconds=60.0, message_max_age_seconds=1.0)
    cfg = memory.config
    await api(memory, "setup")
    client = redis.Redis.from_url(redis_url)
    ids_key = SessionKeys.of(cfg.key_prefix, "alice", "s1").ids
    history = memory.history("alice", "s1")
    m = HumanMessage("old", id="m1")
    await api(history, "add_messages", [m])
    assert 0 < client.pttl(ids_key) <= 60_000  # the session's deadline
    assert 0 < client.execute_command("HPTTL", ids_key, "FIELDS", 1, client.hkeys(ids_key)[0])[0] <= 1_000
    await asyncio.sleep(1.3)  # the message aged out, and its id with it
    assert await api(history, "messages") == []
    assert client.hlen(ids_key) == 0
    await api(history, "add_messages", [m])  # stored again: the old copy is gone
    assert _texts(await api(history, "messages")) == ["old"]
    client.close()


async def test_appending_an_export_to_its_session_adds_only_unknown_ids(api: Api, amemory: RedisSessionMemory) -> None:
    """What the README says of if_exists='append': messages with a known id are skipped, messages
    without an id cannot be recognised and are appended again."""
    import io

    history = amemory.history("alice", "s1")
    await api(history, "add_messages", [HumanMessage("no id"), AIMessage("with id", id="a1")])
    out = io.StringIO()
    await api(amemory, "export_jsonl", out, user_id="alice")
    out.seek(0)
    await api(amemory, "import_jsonl", out, if_exists="append")
    assert _texts(await api(history, "messages")) == ["no id", "with id", "no id"]


def test_a_batch_sent_again_reports_the_same_kept_messages(memory: RedisSessionMemory) -> None:
    # A retry after a lost reply replays the same script call (same batch id). Its reply must say
    # which messages the first call kept, as the first reply did: an import maps summaries by it.
    history = memory.history("alice", "s1")
    history.add_messages([HumanMessage("q1", id="h1")])
    plan = append_plan(
        memory._backend.store.session("alice", "s1"), [HumanMessage("q1", id="h1"), AIMessage("a1", id="a1")]
    )
    step = next(plan)
    first = memory._backend.execute(step)
    again = memory._backend.execute(step)
    kept = [v.decode() if isinstance(v, bytes) else v for v in (first[3], again[3])]
    assert kept == ["01", "01"]
    assert [int(v) for v in again[:2]] == [int(v) for v in first[:2]]
    assert _texts(history.messages) == ["q1", "a1"]


async def test_a_batch_is_recognised_while_it_is_among_the_session_s_last_8(
    api: Api, amemory: RedisSessionMemory
) -> None:
    # The append script remembers the batch ids of a session's last 8 appends: a resend of one of
    # them (a retry after a lost reply) stores nothing; an older one is no longer recognised.
    history = amemory.history("alice", "s1")
    backend, target = amemory._backend, amemory._backend.store.session("alice", "s1")
    step = next(append_plan(target, [HumanMessage("replayed")]))  # no id: only the batch id can tell
    first = await api(backend, "execute", step)
    for i in range(7):
        await api(history, "add_messages", [AIMessage(f"a{i}")])
    again = await api(backend, "execute", step)  # 7 batches later: still among the last 8
    assert [int(v) for v in again[:3]] == [int(v) for v in first[:3]]
    assert _texts(await api(history, "messages")) == ["replayed", *(f"a{i}" for i in range(7))]
    await api(history, "add_messages", [AIMessage("a7")])
    await api(backend, "execute", step)  # 8 batches later: forgotten, stored as a new batch
    assert _texts(await api(history, "messages")) == ["replayed", *(f"a{i}" for i in range(8)), "replayed"]
