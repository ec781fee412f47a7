"""Redis killed mid-conversation with AOF on, then restarted on the same port and data (issue 6,
item 4): every write the package acknowledged is there afterwards, in order, with its token
counts, its session listing, its instructions and summary, its TTL deadline, and findable
through both indexes once RediSearch has re-indexed the reloaded keys.

The server runs with ``--appendonly yes --appendfsync always`` and is killed with SIGKILL while a
writer is appending (a thread on the sync path, a task on the async path). The batch in flight
at that moment got no acknowledgement: it may be stored or not, but only whole (a script's
writes reach the AOF as one MULTI/EXEC block).

``test_add_messages_latency_by_appendfsync`` measures what ``always`` costs against ``everysec``
and ``no`` on this machine's disk; it prints the numbers and asserts nothing about them.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from langchain_sessionmem import RedisSessionMemory, RedisUnavailableError, SessionMemConfig
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory
from tests.store._servers import RedisProcess
from tests.store.conftest import Api, wait_indexed

pytestmark = pytest.mark.slow

CONFIG = SessionMemConfig(ttl_seconds=24 * 3600)
WRITER = ("alice", "breakfast")  # the session being written when the server dies
KILL_AFTER = 15  # acknowledged batches before the kill


@pytest.fixture
def servers(redis_paths: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., RedisProcess]]:
    started: list[RedisProcess] = []

    def start(fsync: str, name: str = "aof") -> RedisProcess:
        server = RedisProcess(redis_paths, tmp_path / name, "--appendonly", "yes", "--appendfsync", fsync)
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


def _turn(tag: str, i: int) -> list[BaseMessage]:
    return [HumanMessage(f"{tag} question tick{i}"), AIMessage(f"{tag} answer tick{i}", id=f"{tag}-a{i}")]


def _conversation() -> dict[tuple[str, str], list[list[BaseMessage]]]:
    """Batches per session, written before the writer starts."""
    return {
        WRITER: [
            [SystemMessage("You are a chef.")],
            [
                HumanMessage("Give me a quick avocado toast recipe."),
                AIMessage("Avocado toast: mash a ripe avocado with lemon and salt on toasted sourdough."),
            ],
        ],
        ("alice", "dinner"): [_turn("dinner", i) for i in range(5)],
        ("bob", "trip"): [_turn("trip", i) for i in range(3)],
    }


async def _write_until_killed(
    api: Api, memory: RedisSessionMemory, server: RedisProcess
) -> tuple[list[BaseMessage], list[BaseMessage]]:
    """Append turns to WRITER until the server dies under the writer; returns (acknowledged
    messages, the batch that was in flight)."""
    history = memory.history(*WRITER)
    acked: list[BaseMessage] = []
    in_flight: list[BaseMessage] = []
    failure: list[BaseException] = []

    def record(exc: BaseException, batch: list[BaseMessage]) -> None:
        failure.append(exc)
        in_flight.extend(batch)

    if api.mode == "sync":

        def writer() -> None:
            for i in range(10_000):
                batch = _turn("breakfast", i)
                try:
                    history.add_messages(batch)
                except BaseException as exc:  # noqa: BLE001 - recorded and checked below
                    record(exc, batch)
                    return
                acked.extend(batch)

        thread = threading.Thread(target=writer)
        thread.start()
        while len(acked) < 2 * KILL_AFTER and thread.is_alive():
            time.sleep(0.001)
        server.kill()
        thread.join(30)
    else:

        async def awriter() -> None:
            for i in range(10_000):
                batch = _turn("breakfast", i)
                try:
                    await history.aadd_messages(batch)
                except BaseException as exc:  # noqa: BLE001 - recorded and checked below
                    record(exc, batch)
                    return
                acked.extend(batch)

        task = asyncio.create_task(awriter())
        while len(acked) < 2 * KILL_AFTER and not task.done():
            await asyncio.sleep(0.001)
        server.kill()  # the task is waiting for the reply to its next batch
        await asyncio.wait_for(task, 30)
    assert len(failure) == 1 and isinstance(failure[0], RedisUnavailableError), failure
    assert len(acked) >= 2 * KILL_AFTER
    return acked, in_flight


def _deadlines(client: redis.Redis) -> dict[bytes, int]:
    """PEXPIRETIME of every key."""
    return {key: client.pexpiretime(key) for key in client.scan_iter(count=1000)}


async def test_acknowledged_writes_survive_kill_9_and_restart(
    api: Api, servers: Callable[..., RedisProcess], make_memory: MakeMemory
) -> None:
    server = servers("always")
    memory = make_memory(server.url(), config=CONFIG, embeddings=HashingEmbeddings(64))
    await api(memory, "setup")
    written: dict[tuple[str, str], list[BaseMessage]] = {}
    for (user, session), batches in _conversation().items():
        for batch in batches:
            await api(memory.history(user, session), "add_messages", batch)
            written.setdefault((user, session), []).extend(batch)
    await api(memory, "set_instructions", "alice", "Answer in French.")
    await api(memory, "set_instructions", "bob", "Answer in Italian.", session_id="trip")
    await api(memory, "update_session", "bob", "trip", title="Rome in May", metadata={"pinned": True})
    dinner = memory.history("alice", "dinner")
    summary = "Alice planned dinner."
    assert await api(dinner, "summarize", FakeListChatModel(responses=[summary]), keep_last=2) == summary
    contexts = {key: await api(memory.history(*key), "get_context") for key in written if key != WRITER}
    bob_sessions = await api(memory, "list_sessions", "bob")
    with server.admin() as admin:
        deadlines = _deadlines(admin)

    acked, in_flight = await _write_until_killed(api, memory, server)
    with pytest.raises(RedisUnavailableError):  # down: nothing is acknowledged
        await api(memory.history(*WRITER), "add_messages", [HumanMessage("while down")])

    server.start()  # same port, same folder: the AOF is replayed
    fresh = make_memory(server.url(), config=CONFIG, embeddings=HashingEmbeddings(64))
    for reader in (fresh, memory):  # a new memory, and the old one (its clients reconnect)
        stored = await api(reader.history(*WRITER), "messages")
        expected = written[WRITER] + acked
        assert stored in (expected, expected + in_flight), (
            f"{len(stored)} messages after the restart; acknowledged {len(expected)}, in flight {len(in_flight)}"
        )
        for key, msgs in written.items():
            history = reader.history(*key)
            want = stored if key == WRITER else msgs
            if key != WRITER:
                assert await api(history, "messages") == msgs
                assert await api(history, "get_context") == contexts[key]
            assert await api(history, "token_count") == reader.count_tokens(want)
            assert await api(history, "__len__") == len(want)
        assert await api(reader, "list_sessions", "bob") == bob_sessions
        alice = await api(reader, "list_sessions", "alice")
        assert [(s.session_id, s.message_count) for s in alice] == [("breakfast", len(stored)), ("dinner", 10)]
        assert await api(reader, "get_instructions", "alice", "dinner") == "Answer in French."
        assert await api(reader, "get_instructions", "bob", "trip") == "Answer in Italian."

    with server.admin() as admin:
        after = _deadlines(admin)
        assert {key: after.get(key) for key in deadlines} == deadlines  # absolute deadlines, kept
        assert all(after[key] > 0 for key in after.keys() - deadlines.keys()), "a written message has no TTL"
        wait_indexed(admin, CONFIG.index_name)
        wait_indexed(admin, CONFIG.vector_index_name)
        total = sum(len(m) for k, m in written.items() if k != WRITER) + len(stored)
        assert int(admin.ft(CONFIG.index_name).info()["num_docs"]) == total
        assert int(admin.ft(CONFIG.vector_index_name).info()["num_docs"]) == total - 1  # no system vector
    last = acked[-1].content
    for search_type in ("similarity", "text"):
        retriever = fresh.as_retriever(k=1, search_type=search_type)
        docs = await api(retriever, "invoke", "avocado toast recipe", user_id="alice")
        assert "avocado toast" in docs[0].page_content.lower(), search_type
        docs = await api(retriever, "invoke", last, user_id="alice", session_id="breakfast")
        assert docs[0].page_content == last, search_type

    more = _turn("after", 0)
    await api(memory.history(*WRITER), "add_messages", more)  # sequence numbers go on where they stopped
    assert await api(fresh.history(*WRITER), "messages") == stored + more


def test_add_messages_latency_by_appendfsync(
    servers: Callable[..., RedisProcess], make_memory: MakeMemory, capsys: pytest.CaptureFixture[str]
) -> None:
    """Median and p95 of one turn's add_messages (2 messages, no embeddings), interleaved over
    three servers that differ only in appendfsync. Printed, not asserted."""
    rounds, warmup = 200, 20
    policies = ("always", "everysec", "no")
    histories = {
        policy: make_memory(servers(policy, name=policy).url(), setup=True).history("u", "s") for policy in policies
    }
    samples: dict[str, list[float]] = {p: [] for p in policies}
    for i in range(warmup + rounds):
        for policy in policies:
            batch = _turn("bench", i)
            start = time.perf_counter()
            histories[policy].add_messages(batch)
            if i >= warmup:
                samples[policy].append((time.perf_counter() - start) * 1000)
    for policy in policies:
        assert len(histories[policy]) == 2 * (warmup + rounds)
    lines = [f"\nadd_messages latency (one turn, loopback, AOF under pytest's tmp_path, {rounds} interleaved rounds):"]
    for policy in policies:
        s = sorted(samples[policy])
        p95 = s[int(0.95 * (len(s) - 1))]
        lines.append(f"  appendfsync {policy:<9} median {statistics.median(s):6.3f} ms   p95 {p95:6.3f} ms")
    with capsys.disabled():
        sys.stdout.write("\n".join(lines) + "\n")
