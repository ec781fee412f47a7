"""Writers for test_multiprocess.py: run in spawned processes (so importable), in threads and as
asyncio tasks. Each writer appends numbered batches of 1-4 messages; every message says who wrote
it, which batch, its place in the batch and the batch size, so the reader can check that no
message is lost, that every batch is contiguous and that each writer's batches kept their order.
"""

from __future__ import annotations

import asyncio
import threading
import traceback
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem._tokens import text_counter
from langchain_sessionmem.testing import HashingEmbeddings

DIMS = 16
# Load the tokenizer at import: a forkserver that preloads this module hands it to every process.
text_counter(SessionMemConfig().tokenizer)
Target = tuple[str, str]


def batch_size(label: str, i: int) -> int:
    return 1 + (7 * i + sum(map(ord, label))) % 4


def batch(label: str, i: int) -> list[BaseMessage]:
    n = batch_size(label, i)
    return [(HumanMessage if j % 2 == 0 else AIMessage)(f"{label}|{i}|{j}|{n} avocado") for j in range(n)]


def parse(messages: Sequence[BaseMessage]) -> dict[str, list[int]]:
    """Each writer's batch numbers in stored order; asserts every batch is whole and contiguous."""
    order: dict[str, list[int]] = defaultdict(list)
    p = 0
    while p < len(messages):
        label, i, j, n = str(messages[p].content).removesuffix(" avocado").split("|")
        assert j == "0", f"message {p} starts in the middle of a batch: {messages[p].content!r}"
        for jj in range(int(n)):
            m = messages[p + jj]
            assert m.content == f"{label}|{i}|{jj}|{n} avocado", f"batch {label}|{i} is torn at {p + jj}"
            assert isinstance(m, HumanMessage if jj % 2 == 0 else AIMessage)
        order[label].append(int(i))
        p += int(n)
    return dict(order)


def write(memory: RedisSessionMemory, label: str, targets: list[Target], batches: int, progress: Any = None) -> None:
    for i in range(batches):
        for user_id, session_id in targets:
            memory.history(user_id, session_id).add_messages(batch(label, i))
        if progress is not None:
            progress(label, i)


async def awrite(memory: RedisSessionMemory, label: str, targets: list[Target], batches: int) -> None:
    for i in range(batches):
        for user_id, session_id in targets:
            await memory.history(user_id, session_id).aadd_messages(batch(label, i))


def targets_of(proc: int) -> list[Target]:
    """Where process ``proc``'s writers write: a session every writer of every process shares, a
    session its own writers share, and a user of its own (whose session id is also ``s``)."""
    return [("shared", "s"), ("shared", f"p{proc}"), (f"user-{proc}", "s")]


def _guard(errors: Any, where: str, fn: Callable[[], None]) -> None:
    try:
        fn()
    except BaseException:
        errors.put(f"{where}: {traceback.format_exc()}")
        raise


def process_main(
    redis_url: str, config: SessionMemConfig, proc: int, writers: int, batches: int, barrier: Any, errors: Any
) -> None:
    """setup() (or asetup()) at the same moment as every other process, then ``writers`` threads and
    ``writers`` asyncio tasks write at once."""

    def run() -> None:
        memory = RedisSessionMemory(redis_url, config=config, embeddings=HashingEmbeddings(DIMS))
        barrier.wait(120)
        if proc % 2:
            memory.setup()
        else:
            asyncio.run(_asetup(redis_url, config))
        threads = [
            threading.Thread(
                target=_guard,
                args=(
                    errors,
                    f"p{proc} thread {t}",
                    lambda t=t: write(memory, f"p{proc}t{t}", targets_of(proc), batches),
                ),
            )
            for t in range(writers)
        ]
        for thread in threads:
            thread.start()
        asyncio.run(_tasks(redis_url, config, proc, writers, batches))
        for thread in threads:
            thread.join()
        memory.close()

    _guard(errors, f"process {proc}", run)


async def _asetup(redis_url: str, config: SessionMemConfig) -> None:
    memory = RedisSessionMemory(redis_url, config=config, embeddings=HashingEmbeddings(DIMS))
    await memory.asetup()
    await memory.aclose()


async def _tasks(redis_url: str, config: SessionMemConfig, proc: int, writers: int, batches: int) -> None:
    memory = RedisSessionMemory(redis_url, config=config, embeddings=HashingEmbeddings(DIMS))
    try:
        await asyncio.gather(*(awrite(memory, f"p{proc}a{a}", targets_of(proc), batches) for a in range(writers)))
    finally:
        await memory.aclose()
