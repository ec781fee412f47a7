"""Faults against a real server: connections dropped mid-call (through a proxy that drops them
before a command reaches the server, or after it ran but before the reply came back), a server
that refuses every connection, and a server out of memory."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

import pytest
import redis
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from langchain_sessionmem import (
    RedisCommandError,
    RedisOutOfMemoryError,
    RedisSessionMemory,
    RedisUnavailableError,
)
from langchain_sessionmem._lua import source
from tests.conftest import MakeMemory

from ._proxy import FaultProxy
from .conftest import Api


def sha(script: str) -> bytes:
    return hashlib.sha1(script.encode()).hexdigest().encode()


APPEND, SET_SUMMARY = sha(source("append")), sha(source("set_summary"))


def turn(i: int) -> list[BaseMessage]:
    return [HumanMessage(f"question {i}"), AIMessage(f"answer {i}")]


@pytest.fixture
def proxy(redis_url: str) -> Iterator[FaultProxy]:
    p = FaultProxy(urlparse(redis_url).port or 6379)
    yield p
    p.close()


@pytest.fixture
def through(proxy: FaultProxy, make_memory: MakeMemory) -> Callable[..., RedisSessionMemory]:
    """``through(**config_fields)``: a memory whose connections go through the proxy; its own
    setup goes direct."""
    make_memory(setup=True)
    return functools.partial(make_memory, proxy.url)


def stored(make_memory: MakeMemory, session: str = "s") -> list[BaseMessage]:
    return make_memory(read_cache_messages=0).history("u", session).messages


async def test_a_lost_reply_is_retried_and_the_batch_stored_once(
    api: Api, proxy: FaultProxy, through: Callable[..., RedisSessionMemory], make_memory: MakeMemory
) -> None:
    mem = through()
    h = mem.history("u", "s")
    await api(h, "add_messages", turn(1))
    proxy.arm(APPEND, "after")  # the server stores the batch; its reply never arrives
    await api(h, "add_messages", turn(2))
    proxy.arm(APPEND, "before")  # the batch never reaches the server
    await api(h, "add_messages", turn(3))
    assert proxy.faults_done == 2
    assert stored(make_memory) == turn(1) + turn(2) + turn(3)  # each batch exactly once
    assert await api(h, "messages") == turn(1) + turn(2) + turn(3)


async def test_without_retries_a_drop_is_a_clear_error_and_never_a_partial_batch(
    api: Api, proxy: FaultProxy, through: Callable[..., RedisSessionMemory], make_memory: MakeMemory
) -> None:
    mem = through(retries=0)
    h = mem.history("u", "s")
    batch = [m for i in range(50) for m in turn(i)]
    proxy.arm(APPEND, "before")
    with pytest.raises(RedisUnavailableError, match=f"cannot talk to Redis at {proxy.url}"):
        await api(h, "add_messages", batch)
    assert stored(make_memory) == []  # nothing of it
    proxy.arm(APPEND, "after")
    with pytest.raises(RedisUnavailableError):
        await api(h, "add_messages", batch)
    assert stored(make_memory) == batch  # all of it: a script runs whole or not at all
    await api(h, "add_messages", turn(99))  # the next call reconnects
    assert stored(make_memory) == batch + turn(99)


async def test_retries_back_off_then_give_up_with_the_url(
    api: Api, proxy: FaultProxy, through: Callable[..., RedisSessionMemory], make_memory: MakeMemory
) -> None:
    mem = through(retries=3, retry_backoff_seconds=0.01)
    proxy.refuse = True
    before = proxy.connections
    with pytest.raises(RedisUnavailableError, match=f"Redis at {proxy.url}"):
        await api(mem.history("u", "s"), "add_messages", turn(1))
    assert proxy.connections - before == 4  # the call and 3 retries
    proxy.refuse = False
    await api(mem.history("u", "s"), "add_messages", turn(1))
    assert stored(make_memory) == turn(1)


async def test_a_summary_whose_reply_was_lost_is_kept_once(
    api: Api, proxy: FaultProxy, through: Callable[..., RedisSessionMemory]
) -> None:
    mem = through()
    h = mem.history("u", "s")
    await api(h, "add_messages", [m for i in range(6) for m in turn(i)])
    proxy.arm(SET_SUMMARY, "after")  # stored, then the reply is lost: the replay must not conflict
    summary = await api(h, "summarize", FakeListChatModel(responses=["they asked six questions"]), keep_last=2)
    assert summary == "they asked six questions" and proxy.faults_done == 1
    assert [m.content for m in await api(h, "get_context")][0].endswith("they asked six questions")


async def test_out_of_memory_is_raised_and_reads_still_work(
    api: Api, start_server: Callable[..., str], make_memory: MakeMemory
) -> None:
    url = start_server("--maxmemory-policy", "noeviction")
    mem = make_memory(url, setup=True)
    h = mem.history("u", "s")
    await api(h, "add_messages", turn(1))
    raw = redis.Redis.from_url(url)
    raw.config_set("maxmemory", 1)  # far below what the server already uses
    try:
        with pytest.raises(RedisOutOfMemoryError, match="out of memory.*nothing was stored"):
            await api(h, "add_messages", turn(2))
        assert await api(h, "messages") == turn(1)  # reads are not writes: still served
    finally:
        raw.config_set("maxmemory", 0)
        raw.close()
    await api(h, "add_messages", turn(2))
    assert await api(h, "messages") == turn(1) + turn(2)


async def test_a_batch_the_server_refuses_midway_leaves_nothing(
    api: Api, amemory: RedisSessionMemory, raw: redis.Redis
) -> None:
    """A script does not roll back. A key of another type where the batch's third document goes
    makes JSON.SET fail after two documents (and their vectors) were written: the append script
    removes them before it reports the error."""
    h = amemory.history("u", "s")
    await api(h, "add_messages", turn(1))
    raw.set(f"{h._keys.message_prefix}5", "not a document")  # seqs 3, 4, then 5 for the batch
    before = sorted(raw.scan_iter(match=f"{amemory.config.key_prefix}*"))
    with pytest.raises(RedisCommandError, match="(?i)wrong ?type|existing key"):
        await api(h, "add_messages", turn(2) + turn(3))
    assert sorted(raw.scan_iter(match=f"{amemory.config.key_prefix}*")) == before
    assert await api(h, "messages") == turn(1)
