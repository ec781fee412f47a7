"""The async API on any event loop (asyncio.run again and again, loops in threads, a loop made
with new_event_loop), and what ``close()`` / ``aclose()`` / ``with`` / ``async with`` release:
every client the memory opened, on every loop, and never a client passed in."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest
import redis
import redis.asyncio as aredis
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from langchain_sessionmem import ConfigError, RedisSessionMemory, SessionMemConfig
from tests.conftest import MakeMemory

from .conftest import Api


def turn(i: int) -> list[BaseMessage]:
    return [HumanMessage(f"question {i}"), AIMessage(f"answer {i}")]


def connections(admin: redis.Redis) -> int:
    """Clients connected to a server of the test's own, the admin connection left out."""
    return len(admin.client_list()) - 1


def connections_after_close(admin: redis.Redis, within: float = 2.0) -> int:
    """Clients still connected once the server has seen the closes: a client's close returns when
    its socket is shut, and the server drops the connection on its next event-loop pass, so a
    CLIENT LIST sent right after can still show it. Waits up to ``within`` seconds for none."""
    deadline = time.monotonic() + within
    while (left := connections(admin)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left


def test_asyncio_run_again_and_again(make_memory: MakeMemory) -> None:
    memory = make_memory()
    history = memory.history("alice", "s")
    counts = []
    for i in range(4):
        asyncio.run(history.aadd_messages(turn(i)))
        counts.append(asyncio.run(history.alen()))
    assert counts == [2, 4, 6, 8]
    assert asyncio.run(history.aget_messages()) == [m for i in range(4) for m in turn(i)]


def test_chain_ainvoke_under_asyncio_run_again_and_again(make_memory: MakeMemory) -> None:
    memory = make_memory(setup=True)
    model = GenericFakeChatModel(messages=iter([AIMessage(f"reply {i}") for i in range(3)]))
    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("human", "{question}")])
    chain = memory.with_message_history(prompt | model, input_messages_key="question", history_messages_key="history")
    cfg = {"configurable": {"user_id": "alice", "session_id": "s"}}
    for i in range(3):
        reply = asyncio.run(chain.ainvoke({"question": f"q{i}"}, config=cfg))
        assert reply.content == f"reply {i}"
    assert [m.content for m in memory.history("alice", "s").messages] == [
        "q0",
        "reply 0",
        "q1",
        "reply 1",
        "q2",
        "reply 2",
    ]


def test_many_loops_at_once_in_threads(redis_url: str, config: SessionMemConfig) -> None:
    """Threads each running their own loops (asyncio.run twice, and a new_event_loop that stays
    open until the end), all on one memory, at the same time."""
    memory = RedisSessionMemory(redis_url, config=config)
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    async def work(user: str, rounds: int) -> None:
        history = memory.history(user, "s")
        for i in range(rounds):
            await asyncio.gather(history.aadd_messages(turn(i)), history.aget_messages())

    def with_asyncio_run(user: str) -> None:
        try:
            start.wait()
            asyncio.run(work(user, 5))
            asyncio.run(work(user + "-again", 5))
        except BaseException as exc:  # reported below
            errors.append(exc)

    loops: list[asyncio.AbstractEventLoop] = []

    def with_new_loop(user: str) -> None:
        loop = asyncio.new_event_loop()
        loops.append(loop)
        try:
            start.wait()
            loop.run_until_complete(work(user, 5))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=with_asyncio_run, args=(f"u{i}",)) for i in range(4)]
    threads += [threading.Thread(target=with_new_loop, args=(f"n{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for user in [f"u{i}" for i in range(4)] + [f"u{i}-again" for i in range(4)] + ["n0", "n1"]:
        assert memory.history(user, "s").messages == [m for i in range(5) for m in turn(i)], user
    memory.close()  # the two loops still open get their clients closed on them
    for loop in loops:
        loop.close()


def test_asyncio_run_closes_its_loops_client(start_server: Callable[..., str]) -> None:
    url = start_server()
    admin = redis.Redis.from_url(url)
    memory = RedisSessionMemory(url)
    history = memory.history("alice", "s")
    for i in range(3):
        asyncio.run(history.aadd_messages(turn(i)))
        assert connections_after_close(admin) == 0  # the loop's client was closed as the loop shut down
    memory.close()
    admin.close()


def test_a_given_async_client_on_another_loop_is_refused_and_stores_nothing(
    redis_url: str, config: SessionMemConfig
) -> None:
    async def make() -> aredis.Redis:
        return aredis.Redis.from_url(redis_url)

    loop = asyncio.new_event_loop()
    client = loop.run_until_complete(make())
    memory = RedisSessionMemory(async_client=client, client=redis.Redis.from_url(redis_url), config=config)
    history = memory.history("alice", "s")
    loop.run_until_complete(history.aadd_messages(turn(0)))
    with pytest.raises(ConfigError, match="another event loop") as info:
        asyncio.run(history.aadd_messages(turn(1)))
    assert "redis_url" in str(info.value)
    assert len(history) == 2  # the refused batch was not stored
    loop.run_until_complete(history.aadd_messages(turn(1)))  # its own loop still works
    assert len(history) == 4
    loop.run_until_complete(client.aclose())
    loop.close()
    memory._backend._client.close()  # type: ignore[union-attr]


# --- close / aclose / with / async with ---------------------------------------------------------


async def test_close_releases_sync_and_async_clients_it_made(start_server: Callable[..., str], api: Api) -> None:
    url = start_server()
    admin = redis.Redis.from_url(url)
    memory = RedisSessionMemory(url)
    memory.history("a", "s").add_messages(turn(0))
    await memory.history("a", "s").aadd_messages(turn(1))
    assert connections(admin) == 2
    if api.mode == "sync":
        memory.close()
        await asyncio.sleep(0.05)  # the running loop's client closes on that loop, right after
    else:
        await memory.aclose()
    assert connections_after_close(admin) == 0
    await api(memory, "close")  # twice is fine
    assert len(memory.history("a", "s")) == 4  # and the memory still works: it opens new connections
    memory.close()
    admin.close()


def test_close_closes_the_clients_of_loops_still_open(start_server: Callable[..., str]) -> None:
    url = start_server()
    admin = redis.Redis.from_url(url)
    memory = RedisSessionMemory(url)
    loops = [asyncio.new_event_loop() for _ in range(2)]
    for loop in loops:
        loop.run_until_complete(memory.history("a", "s").aadd_messages(turn(0)))
    assert connections(admin) == 2
    memory.close()
    assert connections_after_close(admin) == 0
    for loop in loops:
        loop.close()
    admin.close()


async def test_clients_passed_in_are_never_closed(redis_url: str, config: SessionMemConfig, api: Api) -> None:
    client, aclient = redis.Redis.from_url(redis_url), aredis.Redis.from_url(redis_url)
    sync_id, async_id = client.client_id(), await aclient.client_id()
    # with a URL too: the memory could open clients of its own, but must not close these
    memory = RedisSessionMemory(redis_url, client=client, async_client=aclient, config=config)
    await api(memory.history("a", "s"), "add_messages", turn(0))
    await api(memory, "close")
    memory.close()
    await memory.aclose()
    assert client.client_id() == sync_id and await aclient.client_id() == async_id  # same connections
    async with memory:
        pass
    with memory:
        pass
    assert client.client_id() == sync_id and await aclient.client_id() == async_id
    client.close()
    await aclient.aclose()


def test_with_closes_on_exit(start_server: Callable[..., str]) -> None:
    url = start_server()
    admin = redis.Redis.from_url(url)
    with RedisSessionMemory(url) as memory:
        assert isinstance(memory, RedisSessionMemory)
        memory.history("a", "s").add_messages(turn(0))
        assert connections(admin) == 1
    assert connections_after_close(admin) == 0
    admin.close()


async def test_async_with_closes_on_exit(start_server: Callable[..., str]) -> None:
    url = start_server()
    admin = redis.Redis.from_url(url)
    async with RedisSessionMemory(url) as memory:
        assert isinstance(memory, RedisSessionMemory)
        await memory.history("a", "s").aadd_messages(turn(0))
        memory.history("a", "s").add_messages(turn(1))
        assert connections(admin) == 2
    assert connections_after_close(admin) == 0
    admin.close()
