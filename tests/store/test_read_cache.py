"""The incremental read path: a memory decodes only the messages added since it last read a
session, and still sees every change made by others (writes, clears, deletes, TTL and per-message
expiry, evictions). Checked against a memory without the cache, which reads everything."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_sessionmem import ContextWindow, EvictionPolicyWarning, RedisSessionMemory
from langchain_sessionmem._records import header, message_record, session_record, user_record
from tests.conftest import MakeMemory

from .conftest import Api


def turn(i: int) -> list[BaseMessage]:
    return [HumanMessage(f"question {i} about dough"), AIMessage(f"answer {i}: rest it {i % 40 + 5} minutes")]


Memories = Callable[..., tuple[RedisSessionMemory, RedisSessionMemory, RedisSessionMemory]]


@pytest.fixture
def memories(make_memory: MakeMemory) -> Memories:
    """``memories(url=None, setup=True, **config_fields)``: a cached reader, another writer (a
    second process, as far as the reader knows), and a reference reader without cache."""

    def make(
        url: str | None = None, setup: bool = True, **config_fields: Any
    ) -> tuple[RedisSessionMemory, RedisSessionMemory, RedisSessionMemory]:
        reader = make_memory(url, setup=setup, **config_fields)
        writer = make_memory(url, **config_fields)
        return reader, writer, make_memory(url, **{**config_fields, "read_cache_messages": 0})

    return make


def key_reads(raw: redis.Redis) -> int:
    stats = raw.info("stats")
    return int(stats["keyspace_hits"]) + int(stats["keyspace_misses"])


async def test_a_read_decodes_only_what_was_added_since(
    api: Api, start_server: Callable[..., str], memories: Memories
) -> None:
    url = start_server()  # a server of its own: its key-read counter sees nobody else
    raw = redis.Redis.from_url(url)
    reader, writer, reference = memories(url)
    writer.history("u", "s").add_messages([m for i in range(500) for m in turn(i)])
    first = await api(reader.history("u", "s"), "messages")
    assert len(first) == 1000 and reader._backend.store.cache.size == 1000
    await api(writer.history("u", "s"), "add_messages", turn(500))
    before = key_reads(raw)
    again = await api(reader.history("u", "s"), "messages")
    cost = key_reads(raw) - before
    assert again == reference.history("u", "s").messages and len(again) == 1002
    assert cost <= 12, f"{cost} key reads for 2 new messages: the cached 1,000 were read again"
    assert reader._backend.store.facts.may_evict is False  # this server uses noeviction: no per-key checks
    raw.close()


async def test_writes_clears_deletes_and_recreation_by_others_are_seen(api: Api, memories: Memories) -> None:
    reader, writer, _ = memories()
    h, w = reader.history("u", "s"), writer.history("u", "s")
    await api(w, "add_messages", turn(1) + turn(2))
    assert [m.content for m in await api(h, "messages")][-1] == "answer 2: rest it 7 minutes"
    await api(w, "clear")
    assert await api(h, "messages") == []
    await api(w, "add_messages", turn(3))
    assert await api(h, "messages") == turn(3)
    writer.delete_session("u", "s")
    await api(w, "add_messages", turn(4))  # a new epoch: sequence numbers start again at 1
    assert await api(h, "messages") == turn(4)
    assert await api(h, "get_recent", 1) == turn(4)[1:]


async def test_session_ttl_expiry_is_seen(api: Api, memories: Memories) -> None:
    reader, writer, _ = memories(ttl_seconds=0.3)
    await api(writer.history("u", "s"), "add_messages", turn(1))
    assert await api(reader.history("u", "s"), "messages") == turn(1)
    time.sleep(0.45)
    assert await api(reader.history("u", "s"), "messages") == []
    await api(writer.history("u", "s"), "add_messages", turn(2))
    assert await api(reader.history("u", "s"), "messages") == turn(2)


async def test_per_message_expiry_is_seen(api: Api, memories: Memories) -> None:
    reader, writer, _ = memories(message_max_age_seconds=0.4)
    await api(writer.history("u", "s"), "add_messages", turn(1))
    time.sleep(0.2)
    await api(writer.history("u", "s"), "add_messages", turn(2))
    assert await api(reader.history("u", "s"), "messages") == turn(1) + turn(2)
    time.sleep(0.3)  # turn 1 is 0.5 s old, turn 2 0.3 s
    assert await api(reader.history("u", "s"), "messages") == turn(2)


def test_imported_messages_expire_oldest_first(
    memory: RedisSessionMemory, raw: redis.Redis, make_memory: MakeMemory
) -> None:
    """Imported times can be out of order; deadlines are kept in sequence order anyway, so no
    message vanishes from the middle of a session (what the cache relies on)."""
    now = int(time.time() * 1000)
    stamps = [now - 1000, now + 50_000, now - 500, now + 10_000, now, now + 60_000]
    records = [header(), user_record("u", None), session_record("u", "s", created_at=now, last_active=now)]
    records += [message_record("u", "s", i + 1, ts, HumanMessage(f"m{i}")) for i, ts in enumerate(stamps)]
    aged = make_memory(message_max_age_seconds=100)
    aged.import_records(records)
    keys = aged.history("u", "s")._keys
    deadlines = [raw.pexpiretime(f"{keys.message_prefix}{i}") for i in range(1, 7)]
    assert deadlines == sorted(deadlines) and deadlines[0] > 0
    assert deadlines[1] == now + 50_000 + 100_000 and deadlines[2] == deadlines[1]


async def test_where_the_server_may_evict_every_held_key_is_checked(
    api: Api, start_server: Callable[..., str], memories: Memories
) -> None:
    url = start_server("--maxmemory-policy", "allkeys-lru")
    raw = redis.Redis.from_url(url)
    reader, writer, reference = memories(url, setup=False)
    with pytest.warns(EvictionPolicyWarning, match="allkeys-lru.*CONFIG SET maxmemory-policy noeviction"):
        writer.setup()
    h = reader.history("u", "s")
    await api(h, "add_messages", [m for i in range(5) for m in turn(i)])
    assert len(await api(h, "messages")) == 10
    assert reader._backend.store.facts.may_evict is None
    await api(h, "messages")  # the first read with a held entry asks the server's policy
    assert reader._backend.store.facts.may_evict is True
    raw.unlink(f"{h._keys.message_prefix}4")  # as an eviction would
    got = await api(h, "messages")
    assert got == reference.history("u", "s").messages and len(got) == 9
    raw.close()


async def test_returned_lists_are_the_callers_own(api: Api, amemory: RedisSessionMemory) -> None:
    h = amemory.history("u", "s")
    await api(h, "add_messages", turn(1))
    got = await api(h, "messages")
    got.append(HumanMessage("not stored"))
    got.pop(0)
    assert await api(h, "messages") == turn(1)


async def test_returned_messages_are_the_callers_own(api: Api, amemory: RedisSessionMemory) -> None:
    """Editing what a read returned (content, id, nested metadata, list content) changes no later read."""
    h = amemory.history("u", "s")
    stored = [
        HumanMessage([{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:,x"}}]),
        AIMessage("rest it", id="a1", response_metadata={"usage": {"tokens": [1, 2]}}),
        ToolMessage("42", tool_call_id="c1", artifact={"rows": [1]}),
    ]
    await api(h, "add_messages", stored)

    def edit(got: list[BaseMessage]) -> None:
        got[0].content.append({"type": "text", "text": "edited"})  # type: ignore[union-attr]
        got[0].content[1]["image_url"]["url"] = "edited"  # type: ignore[index]
        got[1].content += " edited"
        got[1].id = "edited"
        got[1].response_metadata["usage"]["tokens"].append(3)
        got[1].additional_kwargs["edited"] = True
        got[2].artifact["rows"].append(2)  # type: ignore[attr-defined]
        got[2].extra_field = 1  # BaseMessage allows extra attributes

    for read in ("messages", "get_recent", "get_window", "get_context"):
        args = (3,) if read == "get_recent" else ()
        for _ in range(2):  # the first read fills the cache, the second is served from it
            got = await api(h, read, *args)
            edit(got)  # edited while still held
            assert await api(h, read, *args) == stored, read
            del got
            got = await api(h, read, *args)
            edit(got)
            del got  # edited, then dropped
            assert await api(h, read, *args) == stored, read
            kept = await api(h, read, *args)
            later = await api(h, read, *args)
            edit(kept)  # edited after a later read returned
            assert later == stored and await api(h, read, *args) == stored, read


def test_cache_is_bounded_and_can_be_disabled(make_memory: MakeMemory) -> None:
    small = make_memory(setup=True, read_cache_messages=50)
    for s in ("a", "b", "c"):
        small.history("u", s).add_messages([m for i in range(10) for m in turn(i)])
        assert len(small.history("u", s).messages) == 20
        assert small._backend.store.cache.size <= 50
    small.history("u", "big").add_messages([m for i in range(40) for m in turn(i)])
    assert len(small.history("u", "big").messages) == 80  # too big to hold: read in full, not cached
    assert small._backend.store.cache.get(small.history("u", "big")._keys.meta) is None
    off = make_memory(read_cache_messages=0)
    assert len(off.history("u", "a").messages) == 20 and off._backend.store.cache.size == 0


VIEWS: list[tuple[str, Callable[..., list[BaseMessage]]]] = [
    ("messages", lambda h, r: h.messages),
    ("recent", lambda h, r: h.get_recent(r.randrange(0, 30))),
    ("window", lambda h, r: h.get_window(r.choice([None, 40, 200, 900]), k=r.choice([None, 3, 25]))),
    ("context", lambda h, r: h.get_context(r.choice([None, 60, 500]), k=r.choice([None, 7]))),
    ("chain view", lambda h, r: h.messages),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_interleavings_match_a_reader_without_cache(seed: int, memories: Memories) -> None:
    """Any mix of reads (whole, recent, token windows, contexts), writes by this memory and by
    another, clears, deletes, instructions and summaries: the cached reader always returns what
    a reader without cache returns."""
    r = random.Random(seed)
    reader, writer, reference = memories()
    for step in range(150):
        sid = r.choice(["s1", "s2"])
        action = r.random()
        if action < 0.45:
            batch = turn(step) if r.random() < 0.8 else [SystemMessage("be brief"), *turn(step)]
            if r.random() < 0.2:
                batch = [AIMessage("", tool_calls=[{"name": "t", "args": {}, "id": f"c{step}"}])]
                batch.append(ToolMessage("42", tool_call_id=f"c{step}"))
            r.choice([reader, writer]).history("u", sid).add_messages(batch)
        elif action < 0.5:
            writer.history("u", sid).clear()
        elif action < 0.53:
            writer.delete_session("u", sid)
        elif action < 0.56:
            writer.set_instructions("u", f"instructions {step}", session_id=sid)
        else:
            name, view = r.choice(VIEWS)
            window = ContextWindow(max_tokens=r.choice([None, 300])) if name == "chain view" else None
            state = r.getstate()
            ours = view(reader.context("u", sid, window) if window else reader.history("u", sid), r)
            r.setstate(state)
            theirs = view(reference.context("u", sid, window) if window else reference.history("u", sid), r)
            assert ours == theirs, f"step {step}: {name} differs"
    assert reader._backend.store.cache.size > 0
