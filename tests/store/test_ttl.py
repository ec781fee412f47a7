"""Session idle TTL (sliding, whole-session) and per-message age limit, with short TTLs."""

from __future__ import annotations

import asyncio

import redis
from langchain_core.messages import HumanMessage

from langchain_sessionmem import RedisSessionMemory
from tests.conftest import MakeMemory
from tests.store.conftest import Api


def _expiry_times(raw: redis.Redis, prefix: str, uh: str) -> set[int]:
    return {raw.pexpiretime(k) for k in raw.keys(f"{prefix}*{{{uh}}}*")}


async def test_idle_session_expires_whole_and_activity_slides_it(
    api: Api, make_memory: MakeMemory, raw: redis.Redis
) -> None:
    memory = make_memory(ttl_seconds=1.0)
    cfg = memory.config
    history = memory.history("u", "s")
    uh = history._keys.user.uh
    await api(history, "add_messages", [HumanMessage("one"), HumanMessage("two")])
    times = _expiry_times(raw, cfg.key_prefix, uh)
    assert len(times) == 1 and min(times) > 0, "every key of the session shares one deadline"

    await asyncio.sleep(0.6)
    await api(history, "add_messages", [HumanMessage("three")])  # activity slides the deadline
    assert len(_expiry_times(raw, cfg.key_prefix, uh)) == 1
    await asyncio.sleep(0.6)  # 1.2 s after the first write, 0.6 s after the last
    assert await api(history, "messages") == [HumanMessage("one"), HumanMessage("two"), HumanMessage("three")]

    await asyncio.sleep(1.1)  # idle longer than the TTL
    assert await api(history, "messages") == []
    assert await api(history, "__len__") == 0
    assert await api(memory, "list_sessions", "u") == []
    assert raw.keys(f"{cfg.key_prefix}*") == []

    # a session created again after expiry starts fresh
    await api(history, "add_messages", [HumanMessage("new life")])
    assert await api(history, "messages") == [HumanMessage("new life")]


async def test_sessions_without_ttl_do_not_expire(api: Api, amemory: RedisSessionMemory, raw: redis.Redis) -> None:
    history = amemory.history("u", "s")
    await api(history, "add_messages", [HumanMessage("keep")])
    assert {raw.pttl(k) for k in raw.keys(f"{amemory.config.key_prefix}*")} == {-1}


async def test_message_age_limit_drops_old_messages_only(api: Api, make_memory: MakeMemory) -> None:
    memory = make_memory(message_max_age_seconds=1.0)
    history = memory.history("u", "s")
    await api(history, "add_messages", [HumanMessage("old 1"), HumanMessage("old 2")])
    await asyncio.sleep(0.6)
    await api(history, "add_messages", [HumanMessage("new")])
    await asyncio.sleep(0.6)
    assert await api(history, "messages") == [HumanMessage("new")]
    assert await api(history, "get_recent", 5) == [HumanMessage("new")]
    assert await api(history, "__len__") == 1
    assert [s.message_count for s in await api(memory, "list_sessions", "u")] == [1]
    await api(history, "add_messages", [HumanMessage("newer")])
    assert await api(history, "messages") == [HumanMessage("new"), HumanMessage("newer")]


async def test_ttl_and_age_limit_together(api: Api, make_memory: MakeMemory, raw: redis.Redis) -> None:
    memory = make_memory(ttl_seconds=2.0, message_max_age_seconds=1.0)
    history = memory.history("u", "s")
    await api(history, "add_messages", [HumanMessage("a")])
    await asyncio.sleep(0.5)
    await api(history, "add_messages", [HumanMessage("b")])  # refreshes the session, never past a's age
    await asyncio.sleep(0.7)
    assert await api(history, "messages") == [HumanMessage("b")]
