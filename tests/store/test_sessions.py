"""Session metadata and listing against a real Redis: titles, free-form metadata, counts, and
cursor pagination by last activity."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import Any

import pytest
import redis
from langchain_core.messages import AIMessage, HumanMessage

from langchain_sessionmem import ConfigError, IdCollisionError, RedisSessionMemory, SessionInfo, SessionPage
from langchain_sessionmem._keys import SessionKeys
from tests.conftest import MakeMemory
from tests.store.conftest import Api


async def test_session_info_has_title_counts_and_times(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("u", "s")
    before = datetime.now(timezone.utc)
    await api(history, "add_messages", [AIMessage("Hi, how can I help?")])
    info = await api(amemory, "get_session", "u", "s")
    assert info.title is None  # no human message yet
    await api(history, "add_messages", [HumanMessage("  How do I\nmake   avocado toast for two people, quickly? " * 3)])
    await api(history, "add_messages", [HumanMessage("second question")])
    info = await api(amemory, "get_session", "u", "s")
    assert isinstance(info, SessionInfo)
    assert info.title is not None and info.title.startswith("How do I make avocado toast for two people, quickly?")
    assert len(info.title) <= 80 and info.title.endswith("…") and "\n" not in info.title
    assert (info.user_id, info.session_id, info.message_count) == ("u", "s", 3)
    assert info.token_count == amemory.count_tokens(await api(history, "messages"))
    assert info.metadata == {} and info.instructions is None
    assert before.replace(microsecond=0) <= info.created_at <= info.last_active
    assert await api(amemory, "get_session", "u", "nope") is None
    assert await api(amemory, "get_session", "other", "s") is None


async def test_update_session_sets_title_and_metadata_without_touching_history(
    api: Api, amemory: RedisSessionMemory
) -> None:
    history = amemory.history("u", "s")
    await api(history, "add_messages", [HumanMessage("automatic title")])
    stored = await api(history, "messages")
    last_active = (await api(amemory, "get_session", "u", "s")).last_active
    meta = {"topic": "cooking", "tags": ["breakfast", "🥑"], "score": 4.5, "nested": {"a": None}}
    await api(amemory, "update_session", "u", "s", title="My title", metadata=meta)
    info = await api(amemory, "get_session", "u", "s")
    assert (info.title, info.metadata) == ("My title", meta)
    assert info.last_active == last_active  # settings are not activity
    await api(history, "add_messages", [HumanMessage("does not retitle")])
    assert (await api(amemory, "get_session", "u", "s")).title == "My title"
    await api(amemory, "update_session", "u", "s", metadata={"topic": "baking"})
    info = await api(amemory, "get_session", "u", "s")
    assert (info.title, info.metadata) == ("My title", {"topic": "baking"})
    await api(amemory, "update_session", "u", "s", title=None, metadata=None)
    info = await api(amemory, "get_session", "u", "s")
    assert (info.title, info.metadata) == (None, {})
    assert await api(history, "messages") == [*stored, HumanMessage("does not retitle")]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"title": ""}, "title"),
        ({"title": 5}, "title"),
        ({"metadata": ["a"]}, "metadata"),
        ({"metadata": {1: "a"}}, "metadata"),
        ({"metadata": {"x": object()}}, "JSON"),
        ({"metadata": {"x": float("nan")}}, "JSON"),
        ({"metadata": {"x": "y" * 5000}}, "max_message_bytes"),
    ],
)
async def test_bad_session_updates_are_refused_and_change_nothing(
    api: Api, make_memory: MakeMemory, kwargs: dict[str, Any], match: str
) -> None:
    memory = make_memory(max_message_bytes=4096)
    await api(memory, "update_session", "u", "s", title="kept", metadata={"k": 1})
    with pytest.raises(ConfigError, match=match):
        await api(memory, "update_session", "u", "s", **kwargs)
    info = await api(memory, "get_session", "u", "s")
    assert (info.title, info.metadata) == ("kept", {"k": 1})


def server_ms(raw: redis.Redis) -> int:
    """The server's clock, which the scripts stamp activity with, in milliseconds."""
    seconds, micros = raw.time()
    return int(seconds) * 1000 + int(micros) // 1000


async def test_list_sessions_pages_by_last_activity(api: Api, amemory: RedisSessionMemory, raw: redis.Redis) -> None:
    for i in range(23):
        await api(amemory.history("u", f"s{i:02d}"), "add_messages", [HumanMessage(f"m{i}")])
    # The server stamps activity in milliseconds, and sessions active in one millisecond tie (their
    # order is then the digest's): s05 must come back active in a later millisecond than all of them.
    latest = max(s.last_active for s in await api(amemory, "list_sessions", "u"))
    while server_ms(raw) <= round(latest.timestamp() * 1000):
        await asyncio.sleep(0.001)
    await api(amemory.history("u", "s05"), "add_messages", [AIMessage("active again")])
    everything = await api(amemory, "list_sessions", "u")
    assert isinstance(everything, SessionPage) and everything.next_cursor is None
    ids = [s.session_id for s in everything]
    assert ids[0] == "s05" and len(ids) == 23 and len(set(ids)) == 23
    assert [s.last_active for s in everything] == sorted((s.last_active for s in everything), reverse=True)

    pages, cursor = [], None
    while True:
        page = await api(amemory, "list_sessions", "u", limit=5, cursor=cursor)
        pages.append([s.session_id for s in page])
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [sid for p in pages for sid in p] == ids


def test_pagination_is_exact_when_many_sessions_share_a_millisecond(memory: RedisSessionMemory) -> None:
    # Sessions created in one script call share the server time: ties are ordered by digest.
    keys = [SessionKeys.of(memory.config.key_prefix, "u", f"s{i}") for i in range(40)]
    for i in range(40):
        memory.update_session("u", f"s{i}", title=f"t{i}")
    client = memory._backend.client
    client.zadd(keys[0].user.sessions, {k.sh: 1_700_000_000_000 for k in keys})
    seen: list[str] = []
    cursor = None
    while True:
        page = memory.list_sessions("u", limit=7, cursor=cursor)
        seen += [s.session_id for s in page]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(f"s{i}" for i in range(40)) and len(seen) == 40


def test_listing_drops_sessions_that_expired(memory: RedisSessionMemory) -> None:
    memory.history("u", "a").add_messages([HumanMessage("x")])
    memory.history("u", "b").add_messages([HumanMessage("y")])
    keys = SessionKeys.of(memory.config.key_prefix, "u", "b")
    memory._backend.client.delete(keys.meta)
    page = memory.list_sessions("u", limit=1)
    assert [s.session_id for s in page] == ["a"] and page.next_cursor is None
    assert memory._backend.client.zcard(keys.user.sessions) == 1


@pytest.mark.parametrize("cursor", ["", "abc", "12.xyz", "1." + "g" * 32, 7])
async def test_bad_cursors_and_limits_are_refused(api: Api, amemory: RedisSessionMemory, cursor: Any) -> None:
    with pytest.raises(ConfigError, match="cursor"):
        await api(amemory, "list_sessions", "u", cursor=cursor)
    for limit in (0, -1, 2.5, "3"):
        with pytest.raises(ConfigError, match="limit"):
            await api(amemory, "list_sessions", "u", limit=limit)


def test_listing_another_users_sessions_under_a_colliding_digest_is_refused(memory: RedisSessionMemory) -> None:
    memory.history("u", "s").add_messages([HumanMessage("x")])
    keys = SessionKeys.of(memory.config.key_prefix, "u", "s")
    memory._backend.client.hset(keys.user.user, "uid", "intruder")
    with pytest.raises(IdCollisionError):
        memory.list_sessions("u")


def test_updating_a_new_session_with_a_ttl_expires_it(make_memory: MakeMemory) -> None:
    memory = make_memory(ttl_seconds=0.3)
    memory.update_session("u", "s", title="soon gone", metadata={"a": 1})
    assert memory.get_session("u", "s") is not None
    time.sleep(0.6)
    assert memory.get_session("u", "s") is None
    assert memory.list_sessions("u") == []
