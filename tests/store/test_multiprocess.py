"""Concurrency (issue 6, item 3): many processes, threads and asyncio tasks at once.

test_concurrency.py covers writers on one session (threads; tasks; 4 processes after setup()).
This file adds: processes that all call setup()/asetup() with embeddings on a fresh index at the
same instant (a barrier), then write with threads and asyncio tasks at once to a session every
writer shares, to a session their own process shares and to a user of their own; threads and tasks
of one process racing setup() and writing; and writers racing clear() and delete_user(). Besides
"no error, nothing lost, each writer's batches whole and in order", every test checks the whole key
space afterwards: each session's message keys are exactly its [first, seq] range, each message has
its vector, no key is orphaned, the user's session set matches, both indexes hold exactly the
stored documents, and (with a TTL) all keys of a session share one deadline. A reader polls the
shared session during the multi-process run: every read must extend the previous one (stored order
never changes) and never show part of a batch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import queue
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis

from langchain_sessionmem import SessionMemConfig
from langchain_sessionmem._keys import SessionKeys, glob_escape, parse_message_key
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory
from tests.store._mp_workers import DIMS, awrite, batch, parse, process_main, targets_of, write
from tests.store.conftest import wait_indexed

PROCS, WRITERS, BATCHES = 6, 2, 10  # 6 processes x (2 threads + 2 tasks) x 3 targets x 10 batches


def _total(reply: Any) -> int:
    if isinstance(reply, dict):
        return int(reply.get(b"total_results", reply.get("total_results", -1)))
    return int(reply[0])


def assert_consistent(raw: redis.Redis, config: SessionMemConfig, *, ttl: bool = False) -> dict[tuple[str, str], int]:
    """The whole key space under the prefix is coherent; returns the message count per session."""
    prefix = config.key_prefix
    keys = [k.decode() for k in raw.scan_iter(match=glob_escape(prefix) + "*", count=1000)]
    metas: dict[tuple[str, str], str] = {}
    messages: dict[tuple[str, str], set[int]] = defaultdict(set)
    vectors: dict[tuple[str, str], set[int]] = defaultdict(set)
    zsets, users = set(), set()
    for key in keys:
        kind, rest = key[len(prefix)], key[len(prefix) + 2 :]
        if kind in "mv":
            uh, sh, seq = parse_message_key(key)
            (messages if kind == "m" else vectors)[(uh, sh)].add(seq)
        elif kind == "s":
            uh, sh = rest[1:].split("}:")
            metas[(uh, sh)] = key
        else:
            assert kind in "zu", key
            (zsets if kind == "z" else users).add(rest[1:-1])
    pipe = raw.pipeline(transaction=False)
    for meta in metas.values():
        pipe.hmget(meta, "first", "seq")
    ranges = dict(zip(metas, pipe.execute(), strict=True))
    assert set(messages) <= set(metas) and set(vectors) <= set(metas), "orphaned message or vector keys"
    for session, (first, seq) in ranges.items():
        want = set(range(int(first), int(seq) + 1))
        assert messages.get(session, set()) == want, f"session {session}: message keys are not its [first, seq]"
        assert vectors.get(session, set()) == want, f"session {session}: a message has no vector"
    for uh in {uh for uh, _ in metas}:
        assert uh in zsets and uh in users
        members = {m.decode() for m in raw.zrange(f"{prefix}z:{{{uh}}}", 0, -1)}
        assert members == {sh for u, sh in metas if u == uh}
    assert zsets <= {uh for uh, _ in metas}, "a user's session set outlived its sessions"
    for index in (config.index_name, config.vector_index_name):
        wait_indexed(raw, index)
    n = sum(len(s) for s in messages.values())
    assert _total(raw.execute_command("FT.SEARCH", config.index_name, "*", "LIMIT", 0, 0, "DIALECT", 2)) == n
    assert _total(raw.execute_command("FT.SEARCH", config.vector_index_name, "*", "LIMIT", 0, 0, "DIALECT", 2)) == n
    if ttl:
        pipe = raw.pipeline(transaction=False)
        for key in keys:
            pipe.pexpiretime(key)
        deadline = dict(zip(keys, pipe.execute(), strict=True))
        assert all(d > 0 for d in deadline.values())
        for (uh, sh), meta in metas.items():
            own = [k for k in keys if f"{{{uh}}}:{sh}" in k]
            assert len({deadline[k] for k in own}) == 1, f"keys of session {sh} have different deadlines"
            assert (
                deadline[f"{prefix}z:{{{uh}}}"] >= deadline[meta] and deadline[f"{prefix}u:{{{uh}}}"] >= deadline[meta]
            )
    return {session: len(seqs) for session, seqs in messages.items()}


def _count(labels: list[str], batches: int) -> int:
    return sum(len(batch(label, i)) for label in labels for i in range(batches))


def test_processes_race_setup_then_write_with_threads_and_tasks(
    redis_url: str, config: SessionMemConfig, make_memory: MakeMemory, raw: redis.Redis
) -> None:
    cfg = dataclasses.replace(config, ttl_seconds=3600)
    # forkserver: a clean server process imports the package once, every writer process is forked from
    # it (fresh, with no inherited connections), so six processes do not each pay the import.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.store._mp_workers"])
    barrier, errors = ctx.Barrier(PROCS), ctx.Queue()
    procs = [
        ctx.Process(target=process_main, args=(redis_url, cfg, p, WRITERS, BATCHES, barrier, errors))
        for p in range(PROCS)
    ]
    for p in procs:
        p.start()

    reads: list[int] = []
    reader_errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        memory = make_memory(config=cfg)
        previous: list[str] = []
        try:
            while True:
                finished = done.is_set()  # read once more after the writers are done: the final state
                stored = memory.history("shared", "s").messages
                parse(stored)  # whole batches only
                current = [str(m.content) for m in stored]
                assert current[: len(previous)] == previous, "a read reordered or lost what an earlier read saw"
                recent = memory.history("shared", "s").get_recent(7)  # may start inside a batch, then whole ones
                while recent and str(recent[0].content).split("|")[2] != "0":
                    recent = recent[1:]
                parse(recent)
                reads.append(len(current))
                previous = current
                if finished:
                    break
                time.sleep(0.02)
        except BaseException as exc:
            reader_errors.append(exc)

    watcher = threading.Thread(target=reader)
    watcher.start()
    try:
        for p in procs:
            p.join(180)
    finally:
        done.set()
        watcher.join(30)
        for p in procs:
            if p.is_alive():  # hung: fail below, but leave nothing running
                p.kill()
    failures = []
    while True:
        try:
            failures.append(errors.get(timeout=0.1))
        except queue.Empty:
            break
    assert failures == [] and [p.exitcode for p in procs] == [0] * PROCS, "\n".join(failures)
    assert reader_errors == [] and len(reads) >= 3

    memory = make_memory(config=cfg)
    memory.setup()  # the index the race produced has the right schema
    labels = {p: [f"p{p}t{w}" for w in range(WRITERS)] + [f"p{p}a{w}" for w in range(WRITERS)] for p in range(PROCS)}
    everyone = [label for p in range(PROCS) for label in labels[p]]
    expected = {("shared", "s"): everyone}
    expected |= {("shared", f"p{p}"): labels[p] for p in range(PROCS)}
    expected |= {(f"user-{p}", "s"): labels[p] for p in range(PROCS)}
    assert {target for p in range(PROCS) for target in targets_of(p)} == set(expected)
    for (user, session), writers in expected.items():
        stored = memory.history(user, session).messages
        order = parse(stored)
        assert order == {label: list(range(BATCHES)) for label in writers}, (user, session)
        assert len(stored) == _count(writers, BATCHES) == len(memory.history(user, session))
        assert memory.history(user, session).token_count() == memory.count_tokens(stored)
    assert sorted(s.session_id for s in memory.list_sessions("shared")) == sorted(
        ["s", *(f"p{p}" for p in range(PROCS))]
    )
    counts = assert_consistent(raw, cfg, ttl=True)
    assert len(counts) == len(expected)
    assert reads[-1] == _count(everyone, BATCHES)


async def test_threads_and_tasks_race_setup_then_write(
    make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    """One process: 8 threads call setup() and 8 tasks call asetup() on a fresh index at once, then
    all write; the sync memory's connection pool and the async client serve them concurrently."""
    sync_memory = make_memory(embeddings=HashingEmbeddings(DIMS))
    async_memory = make_memory(embeddings=HashingEmbeddings(DIMS))
    n, batches = 8, 12

    def targets(w: int) -> list[tuple[str, str]]:
        return [("shared", "s"), ("shared", f"s{w % 2}"), (f"user-{w % 3}", "s")]

    def thread_main(w: int) -> None:
        sync_memory.setup()
        write(sync_memory, f"t{w}", targets(w), batches)

    async def task_main(w: int) -> None:
        await async_memory.asetup()
        await awrite(async_memory, f"a{w}", targets(w), batches)

    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(n) as pool:
        await asyncio.gather(*(loop.run_in_executor(pool, thread_main, w) for w in range(n)), *map(task_main, range(n)))
    writers = defaultdict(list)
    for w in range(n):
        for target in targets(w):
            writers[target] += [f"t{w}", f"a{w}"]
    for (user, session), labels in writers.items():
        stored = await async_memory.history(user, session).aget_messages()
        assert parse(stored) == {label: list(range(batches)) for label in labels}, (user, session)
    counts = assert_consistent(raw, config)
    assert sum(counts.values()) == sum(_count(labels, batches) for labels in writers.values())


async def test_writers_racing_clear_and_delete_user(
    make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    """Threads write to one session while an asyncio task clears it over and over, and to another
    user while a thread deletes that user over and over; tasks write to a bystander meanwhile.
    clear() and delete_user() are atomic against appends, so what survives of each writer is a
    whole, ordered suffix of its batches (ending with its last), and the bystander loses nothing."""
    memory = make_memory(embeddings=HashingEmbeddings(DIMS))
    amemory = make_memory(embeddings=HashingEmbeddings(DIMS))
    await amemory.asetup()
    batches, racer, victim = 24, [("racer", "s")], [("victim", "s"), ("victim", "t")]
    # The race runs through the first three quarters of the batches. Then the writers wait until the
    # clearer and the deleter have stopped, so the last quarter is certain to survive.
    paused: set[str] = set()
    late, cleared, deleted = threading.Event(), threading.Event(), threading.Event()

    def note(label: str, i: int) -> None:
        if i == 3 * batches // 4 - 1:
            paused.add(label)
            if len(paused) == 6:
                late.set()
            assert cleared.wait(60) and deleted.wait(60)

    clears, deletes = [0], [0]

    def deleter() -> None:
        while not late.is_set():
            memory.delete_user("victim")
            deletes[0] += 1
            time.sleep(0.002)
        deleted.set()

    async def clearer() -> None:
        while not late.is_set():
            await amemory.history("racer", "s").aclear()
            clears[0] += 1
            await asyncio.sleep(0.002)
        cleared.set()

    jobs = [(f"r{w}", racer) for w in range(3)] + [(f"v{w}", victim) for w in range(3)]
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(len(jobs) + 1) as pool:
        await asyncio.gather(
            *(loop.run_in_executor(pool, write, memory, label, targets, batches, note) for label, targets in jobs),
            loop.run_in_executor(pool, deleter),
            clearer(),
            *(awrite(amemory, f"b{w}", [("bystander", "s")], batches) for w in range(2)),
        )
    assert clears[0] >= 1 and deletes[0] >= 1
    survivors: dict[str, list[int]] = defaultdict(list)
    for user, session in racer + victim:
        for label, order in parse(await amemory.history(user, session).aget_messages()).items():
            assert order == list(range(order[0], batches)), f"{label} in {session}: not a suffix {order}"
            survivors[label] = order
    assert set(survivors) == {label for label, _ in jobs}, "a writer lost batches written after the last clear"
    bystander = parse(await amemory.history("bystander", "s").aget_messages())
    assert bystander == {f"b{w}": list(range(batches)) for w in range(2)}
    counts = assert_consistent(raw, config)
    keys = SessionKeys.of(config.key_prefix, "bystander", "s")
    assert counts[(keys.user.uh, keys.sh)] == _count(["b0", "b1"], batches)
