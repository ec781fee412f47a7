"""Concurrent writers (threads, asyncio tasks, processes) lose nothing and keep their order."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from tests.conftest import MakeMemory
from tests.store._workers import write_batches

WRITERS, BATCHES = 8, 40


def _check(messages: list[BaseMessage], writers: int, batches: int) -> None:
    assert len(messages) == writers * batches * 2
    seen: dict[str, list[int]] = defaultdict(list)
    for j in range(0, len(messages), 2):
        q, a = messages[j], messages[j + 1]
        writer, i, kind = str(q.content).split(":")
        # a batch stays contiguous: the AI answer directly follows its question
        assert (kind, isinstance(q, HumanMessage), isinstance(a, AIMessage)) == ("q", True, True)
        assert a.content == f"{writer}:{i}:a"
        seen[writer].append(int(i))
    assert all(order == list(range(batches)) for order in seen.values()), "a writer's batches were reordered"
    assert len(seen) == writers


def test_threads(memory: RedisSessionMemory) -> None:
    def writer(w: int) -> None:
        history = memory.history("shared-user", "s")
        for i in range(BATCHES):
            history.add_messages([HumanMessage(f"t{w}:{i}:q"), AIMessage(f"t{w}:{i}:a")])

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(writer, range(WRITERS)))
    _check(memory.history("shared-user", "s").messages, WRITERS, BATCHES)


async def test_asyncio_tasks(amemory: RedisSessionMemory) -> None:
    async def writer(w: int) -> None:
        history = amemory.history("shared-user", "s")
        for i in range(BATCHES):
            await history.aadd_messages([HumanMessage(f"a{w}:{i}:q"), AIMessage(f"a{w}:{i}:a")])

    await asyncio.gather(*(writer(w) for w in range(WRITERS)))
    _check(await amemory.history("shared-user", "s").aget_messages(), WRITERS, BATCHES)


def test_processes_setup_and_write_at_once(redis_url: str, config: SessionMemConfig, make_memory: MakeMemory) -> None:
    """Fresh index: every process calls setup() and writes; none fails with 'Index already exists'."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=write_batches, args=(redis_url, config, f"p{w}", "s", BATCHES)) for w in range(4)]
    procs += [ctx.Process(target=write_batches, args=(redis_url, config, "solo", "other", BATCHES))]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    memory = make_memory()
    _check(memory.history("shared-user", "s").messages, 4, BATCHES)
    _check(memory.history("shared-user", "other").messages, 1, BATCHES)


def test_threads_calling_setup_on_a_fresh_index(make_memory: MakeMemory) -> None:
    memories = [make_memory() for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda m: m.setup(), memories))
