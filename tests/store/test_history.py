"""RedisSessionHistory against a real Redis, through the sync and the async API."""

from __future__ import annotations

import pytest
import redis
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from redis.crc import key_slot

from langchain_sessionmem import (
    ConfigError,
    InvalidMessageError,
    MessageSerializationError,
    MessageTooLargeError,
    RedisSessionHistory,
    RedisSessionMemory,
    SessionMemConfig,
)
from tests.conftest import MakeMemory
from tests.messages import as_stored, every_kind
from tests.store.conftest import Api


def _turns(n: int, tag: str = "") -> list[BaseMessage]:
    return [HumanMessage(f"{tag}q{i}") if i % 2 == 0 else AIMessage(f"{tag}a{i}") for i in range(n)]


async def test_every_message_kind_round_trips(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("alice", "s1")
    await api(history, "add_messages", every_kind())
    assert await api(history, "messages") == as_stored(every_kind())
    assert await api(history, "__len__") == len(every_kind())


async def test_a_new_session_is_empty(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("nobody", "nothing")
    assert await api(history, "messages") == []
    assert await api(history, "get_recent", 5) == []
    assert await api(history, "__len__") == 0
    await api(history, "add_messages", [])
    assert await api(amemory, "list_sessions", "nobody") == []


async def test_order_is_kept_within_and_across_batches(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("u", "s")
    first, second = _turns(3, "a"), _turns(4, "b")
    await api(history, "add_messages", first)
    await api(history, "add_messages", [HumanMessage("single")])
    await api(history, "add_messages", second)
    assert await api(history, "messages") == [*first, HumanMessage("single"), *second]


@pytest.mark.parametrize("k", [0, 1, 3, 7, 100])
async def test_get_recent_returns_the_last_k_oldest_first(api: Api, amemory: RedisSessionMemory, k: int) -> None:
    history = amemory.history("u", "s")
    msgs = _turns(7)
    await api(history, "add_messages", msgs)
    assert await api(history, "get_recent", k) == (msgs[-k:] if k else [])


@pytest.mark.parametrize("k", [-1, 1.5, "3", True, None])
async def test_get_recent_rejects_bad_k(api: Api, amemory: RedisSessionMemory, k: object) -> None:
    with pytest.raises(ConfigError, match="k must be an int"):
        await api(amemory.history("u", "s"), "get_recent", k)


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (None, InvalidMessageError),
        ("not a message", InvalidMessageError),
        (AIMessage("x", additional_kwargs={"when": object()}), MessageSerializationError),
        (HumanMessage("y" * 5_000_000), MessageTooLargeError),
    ],
)
async def test_a_batch_with_one_bad_message_stores_nothing(
    api: Api, amemory: RedisSessionMemory, bad: object, error: type[Exception]
) -> None:
    history = amemory.history("u", "s")
    await api(history, "add_messages", [HumanMessage("before")])
    with pytest.raises(error):
        await api(history, "add_messages", [HumanMessage("ok 1"), bad, AIMessage("ok 2")])
    assert await api(history, "messages") == [HumanMessage("before")]
    assert await api(history, "__len__") == 1


async def test_clear_removes_messages_and_keeps_the_session(
    api: Api, amemory: RedisSessionMemory, raw: redis.Redis
) -> None:
    history = amemory.history("u", "s")
    other = amemory.history("u", "other")
    await api(history, "add_messages", _turns(4))
    await api(other, "add_messages", _turns(2))
    await api(history, "clear")
    assert await api(history, "messages") == []
    assert await api(history, "__len__") == 0
    assert [s.message_count for s in await api(amemory, "list_sessions", "u")] == [0, 2]
    assert await api(other, "messages") == _turns(2)
    assert raw.keys(f"{amemory.config.key_prefix}m:*{history._keys.sh}*") == []
    await api(history, "add_messages", [HumanMessage("again")])
    assert await api(history, "messages") == [HumanMessage("again")]


async def test_a_million_character_message(api: Api, amemory: RedisSessionMemory) -> None:
    big = HumanMessage("🥑" * 1_000_000)
    history = amemory.history("u", "big")
    await api(history, "add_messages", [big])
    assert await api(history, "messages") == [big]


async def test_no_silent_cap_on_a_50000_message_session(api: Api, amemory: RedisSessionMemory) -> None:
    history = amemory.history("u", "long")
    msgs = [HumanMessage(str(i)) for i in range(50_000)]
    for i in range(0, len(msgs), 5000):
        await api(history, "add_messages", msgs[i : i + 5000])
    back = await api(history, "messages")
    assert len(back) == 50_000
    assert back == msgs
    assert await api(history, "get_recent", 3) == msgs[-3:]


def _keyspace_hits(raw: redis.Redis) -> int:
    return int(raw.info("stats")["keyspace_hits"])


async def test_get_recent_reads_only_k_documents_however_long_the_session(
    api: Api, amemory: RedisSessionMemory, raw: redis.Redis
) -> None:
    """Work per get_recent(10), counted as server key look-ups, not timed: the same at 20 and 20,000."""
    short, long = amemory.history("u", "short"), amemory.history("u", "long")
    await api(short, "add_messages", _turns(20))
    for _ in range(10):
        await api(long, "add_messages", _turns(2000))
    costs = []
    for history in (short, long):
        await api(history, "get_recent", 10)  # warm: script loaded
        seen = []
        for _ in range(3):  # the counter is server-wide: the least of three leaves out background reads
            before = _keyspace_hits(raw)
            assert len(await api(history, "get_recent", 10)) == 10
            seen.append(_keyspace_hits(raw) - before)
        costs.append(min(seen))
    assert costs[0] == costs[1] <= 15


class _Counting:
    """Counts what redis-py sends: one send per command or per pipeline, i.e. per round trip."""

    sends = 0


def _counting_classes() -> tuple[type, type]:
    import redis.asyncio as aredis

    class SyncConn(redis.Connection):
        def send_packed_command(self, command, check_health=True):  # type: ignore[no-untyped-def]
            _Counting.sends += 1
            return super().send_packed_command(command, check_health)

    class AsyncConn(aredis.Connection):
        async def send_packed_command(self, command, check_health=True):  # type: ignore[no-untyped-def]
            _Counting.sends += 1
            return await super().send_packed_command(command, check_health)

    return SyncConn, AsyncConn


async def test_round_trips_per_operation(api: Api, redis_url: str, make_memory: MakeMemory) -> None:
    import redis.asyncio as aredis

    sync_cls, async_cls = _counting_classes()
    client = redis.Redis(connection_pool=redis.ConnectionPool.from_url(redis_url, connection_class=sync_cls))
    aclient = aredis.Redis(connection_pool=aredis.ConnectionPool.from_url(redis_url, connection_class=async_cls))
    memory = make_memory(client=client, async_client=aclient)
    warm = memory.history("u", "warm")
    await api(warm, "add_messages", _turns(2))  # loads scripts, connects
    await api(warm, "messages")
    await api(warm, "get_recent", 1)

    def sends() -> int:
        return _Counting.sends

    start = sends()
    history = memory.history("u", "s")
    memory.get_session_history("u", "s2")
    assert sends() - start == 0, "creating a history must not touch Redis"
    for op, args, expected in [
        ("add_messages", (_turns(50),), 1),
        ("messages", (), 1),
        ("get_recent", (10,), 1),
        ("__len__", (), 1),
    ]:
        start = sends()
        await api(history, op, *args)
        assert sends() - start == expected, op
    client.close()
    client.connection_pool.disconnect()
    await aclient.aclose(close_connection_pool=True)


async def test_all_keys_of_a_user_live_in_one_cluster_slot(
    api: Api, amemory: RedisSessionMemory, raw: redis.Redis
) -> None:
    for sid in ("a", "b", "{c}"):
        await api(amemory.history("user{x}", sid), "add_messages", _turns(3))
    await api(amemory.history("someone else", "a"), "add_messages", _turns(1))
    keys = raw.keys(f"{amemory.config.key_prefix}*")
    by_user = amemory.history("user{x}", "a")._keys.user.uh
    mine = [k for k in keys if by_user.encode() in k]
    assert len(mine) == 3 * 3 + 3 + 2  # messages, session metas, sessions zset + user hash
    assert len({key_slot(k) for k in mine}) == 1


def test_standalone_history_uses_its_own_clients(
    redis_url: str, config: SessionMemConfig, make_memory: MakeMemory
) -> None:
    history = RedisSessionHistory("u", "s", redis_url=redis_url, config=config)
    history.add_user_message("hi")
    history.add_ai_message("hello")
    assert history.messages == [HumanMessage("hi"), AIMessage("hello")]
    assert repr(history) == "RedisSessionHistory(user_id='u', session_id='s')"
    assert len(make_memory().history("u", "s")) == 2
