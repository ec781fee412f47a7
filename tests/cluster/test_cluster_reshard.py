"""A live reshard: the slots of active users move to another primary (CLUSTER SETSLOT
IMPORTING/MIGRATING, MIGRATE a few keys at a time, SETSLOT NODE) while writer threads append (one
through the async API) and reader threads read. Afterwards no acknowledged message is lost, every
session is in order, and no reader ever saw another user's messages or missed one acknowledged
before its read began. Scripts refused while their slot moves (Redis 7.4: "undeclared keys ...
during rehashing of the slot") are sent again: the test checks that path was taken."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Iterator

import pytest
import redis
from langchain_core.messages import HumanMessage
from redis.cluster import RedisCluster

from langchain_sessionmem import SessionMemConfig, _cluster
from langchain_sessionmem._keys import UserKeys
from langchain_sessionmem.errors import SessionMemError
from tests.conftest import MakeMemory

WRITERS, READERS = 4, 2


def _node_client(node: object) -> redis.Redis:
    return redis.Redis(host=node.host, port=node.port)  # type: ignore[attr-defined]


def _migrate(rc: RedisCluster, slot: int, src: object, dst: object, batch: int, pause: float) -> int:
    s, d = _node_client(src), _node_client(dst)
    src_id, dst_id = s.execute_command("CLUSTER MYID"), d.execute_command("CLUSTER MYID")
    d.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", src_id)
    s.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", dst_id)
    moved = 0
    while keys := s.execute_command("CLUSTER GETKEYSINSLOT", slot, batch):
        s.execute_command("MIGRATE", dst.host, dst.port, "", 0, 5000, "KEYS", *keys)  # type: ignore[attr-defined]
        moved += len(keys)
        time.sleep(pause)
    # The new owner first, then the old one (as redis-cli does), then the others.
    order = [dst, src, *(n for n in rc.get_primaries() if n.name not in (src.name, dst.name))]  # type: ignore[attr-defined]
    for node in order:
        _node_client(node).execute_command("CLUSTER SETSLOT", slot, "NODE", dst_id)
    s.close()
    d.close()
    return moved


def _in_order(seqs: list[int], acked: set[int]) -> bool:
    """No message twice, and the acknowledged ones in the order they were acknowledged. (A call
    that failed may still have been applied later, like any write whose reply was lost.)"""
    return len(seqs) == len(set(seqs)) and [i for i in seqs if i in acked] == sorted(acked & set(seqs))


@pytest.fixture
def counted_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times a call refused during a migration was sent again."""
    count = [0]
    original = _cluster.migration_delays

    def counting(wait: float) -> Iterator[float]:
        for pause in original(wait):
            count[0] += 1
            yield pause

    monkeypatch.setattr(_cluster, "migration_delays", counting)
    yield count


def test_a_live_reshard_loses_nothing_and_mixes_nothing(
    make_memory: MakeMemory,
    config: SessionMemConfig,
    rc: RedisCluster,
    counted_retries: list[int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    src, dst = rc.get_primaries()[0], rc.get_primaries()[1]

    def on_src(user: str) -> bool:
        return bool(rc.get_node_from_key(UserKeys.of(config.key_prefix, user).user).name == src.name)

    users = [u for u in (f"writer-{i}" for i in range(200)) if on_src(u)][:WRITERS]
    slots = sorted({rc.keyslot(UserKeys.of(config.key_prefix, u).user) for u in users})
    acked: dict[str, list[int]] = {u: [] for u in users}
    attempted: dict[str, int] = dict.fromkeys(users, 0)
    failures: list[str] = []
    reads = [0]
    stop = threading.Event()

    def write(user: str, use_async: bool) -> None:
        memory = make_memory()
        h = memory.history(user, "s")
        loop = asyncio.new_event_loop()  # the async writer: native asyncio calls on this thread's loop

        def send(i: int) -> None:
            if use_async:
                loop.run_until_complete(h.aadd_messages([HumanMessage(f"{user}|{i}")]))
            else:
                h.add_messages([HumanMessage(f"{user}|{i}")])

        i = 0
        while not stop.is_set():
            i += 1
            attempted[user] = i
            try:
                send(i)
            except SessionMemError as exc:
                failures.append(f"write {user} {i}: {exc!r}")
                continue
            acked[user].append(i)
            time.sleep(0.002)  # keeps the sessions at a few thousand messages
        loop.run_until_complete(memory.aclose())  # its client of this thread's loop, before the loop goes
        loop.close()

    def read() -> None:
        memory = make_memory()
        rng = random.Random()
        while not stop.is_set():
            user = rng.choice(users)
            before = set(acked[user])
            try:
                got = memory.history(user, "s").messages
            except SessionMemError as exc:
                failures.append(f"read {user}: {exc!r}")
                continue
            owners = {str(m.content).split("|")[0] for m in got}
            seqs = [int(str(m.content).split("|")[1]) for m in got]
            if owners - {user}:
                failures.append(f"reader of {user} saw {owners - {user}}")
            if not _in_order(seqs, before):
                failures.append(f"reader of {user}: out of order {seqs[:20]}")
            if before - set(seqs):
                failures.append(f"reader of {user} missed acknowledged {sorted(before - set(seqs))[:10]}")
            reads[0] += 1

    threads = [threading.Thread(target=write, args=(u, n == 0)) for n, u in enumerate(users)]
    threads += [threading.Thread(target=read) for _ in range(READERS)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        moved = sum(_migrate(rc, slot, src, dst, batch=5, pause=0.01) for slot in slots)
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    rc.nodes_manager.initialize()
    assert all(rc.get_node_from_key(UserKeys.of(config.key_prefix, u).user).name == dst.name for u in users)

    memory = make_memory()
    found = {u: [int(str(m.content).split("|")[1]) for m in memory.history(u, "s").messages] for u in users}
    for u in users:
        assert _in_order(found[u], set(acked[u])), f"{u} out of order; failures: {failures[:5]}"
        assert set(acked[u]) <= set(found[u]), f"{u} lost {sorted(set(acked[u]) - set(found[u]))[:10]}"
        assert set(found[u]) <= set(range(1, attempted[u] + 1))
    assert failures == [], failures[:5]
    written = sum(attempted.values())
    n_acked = sum(len(a) for a in acked.values())
    n_found = sum(len(f) for f in found.values())
    with capsys.disabled():
        print(  # noqa: T201
            f"\nlive reshard: {len(slots)} slots ({moved} keys) of {len(users)} users moved {src.name} -> {dst.name}; "
            f"messages written {written}, acknowledged {n_acked}, found {n_found}; reads {reads[0]}; "
            f"calls sent again while their slot moved {counted_retries[0]}"
        )
    assert counted_retries[0] > 0  # the refused-while-migrating path was taken, and recovered
