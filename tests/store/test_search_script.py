"""The retriever's one-round-trip search on a single server (search.lua), against real Redis, sync
and async: one round trip per search, the same documents as the two-round-trip path a cluster
takes (so the script's ranking agrees with the client's), and messages gone since they were
indexed left out without another trip."""

from __future__ import annotations

import dataclasses
import itertools
import json
from typing import Any

import pytest
import redis
from langchain_core.documents import Document
from langchain_core.messages import HumanMessage

from langchain_sessionmem import RedisSessionMemory
from langchain_sessionmem._ops.search import search_plan
from langchain_sessionmem._ops.target import ServerFacts
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory
from tests.store.conftest import Api
from tests.store.test_history import _Counting, _counting_classes
from tests.store.test_retriever import _add, _search, chef_session

OPTIONS: list[dict[str, Any]] = [
    {"search_type": "similarity", "k": 3},
    {"search_type": "hybrid", "k": 4},
    {"search_type": "text", "k": 4},
    {"search_type": "hybrid", "k": 3, "neighbors": 1},
    {"search_type": "similarity", "k": 5, "distance_threshold": 0.6},
    {"search_type": "hybrid", "k": 3, "hybrid_text_weight": 0.8, "fusion_depth": 0, "order": "chronological"},
    {"search_type": "hybrid", "k": 3, "recency_half_life_seconds": 3600, "neighbors": 2},
    {"search_type": "similarity", "k": 2, "session_id": "s", "exclude_recent": 10, "neighbors": 1},
    {"search_type": "hybrid", "k": 4, "message_types": ("ai",)},
]
QUERIES = ["avocado toast", "can you give me the avocado one?", "pancakes syrup", "freeze", "zzzz"]


@pytest.fixture
async def counted(redis_url: str, make_memory: MakeMemory) -> Any:
    """A memory whose clients count what they send (one send per command or pipeline)."""
    import redis.asyncio as aredis

    sync_cls, async_cls = _counting_classes()
    client = redis.Redis(connection_pool=redis.ConnectionPool.from_url(redis_url, connection_class=sync_cls))
    aclient = aredis.Redis(connection_pool=aredis.ConnectionPool.from_url(redis_url, connection_class=async_cls))
    memory = make_memory(client=client, async_client=aclient, embeddings=HashingEmbeddings(64), vector_dims=64)
    memory.setup()
    yield memory
    client.close()
    client.connection_pool.disconnect()
    await aclient.aclose(close_connection_pool=True)


def _two_trip(memory: RedisSessionMemory, options: dict[str, Any], query: str) -> list[Document]:
    """What the cluster path (searches, then a pipeline that loads the documents) returns here."""
    store = memory._backend.store
    facts = ServerFacts(store.facts.url, True, search_coordinated=True, index_checked=True)
    retriever = memory.as_retriever(user_id="u", **options)
    return memory._backend.run(search_plan(dataclasses.replace(store, facts=facts), retriever.search_options(), query))


def _same(docs: list[Document], options: dict[str, Any]) -> list[Document]:
    """``docs``, without their scores where the score depends on the time now (recency)."""
    if not options.get("recency_half_life_seconds"):
        return docs
    return [Document(d.page_content, metadata={**d.metadata, "score": None}) for d in docs]


def _assert_same(docs: list[Document], other: list[Document], options: dict[str, Any], query: str) -> None:
    """The same documents with the same scores in the same order, but for the order among equal
    scores (RediSearch returns hits of equal score in either order), and for which of them fill
    the last places when equal scores straddle k."""
    a, b = _same(docs, options), _same(other, options)
    assert [d.metadata["score"] for d in a] == [d.metadata["score"] for d in b], (options, query)
    if options.get("recency_half_life_seconds"):
        assert a == b, (options, query)
        return
    runs = [list(g) for _, g in itertools.groupby(zip(a, b, strict=True), key=lambda p: p[0].metadata["score"])]
    for run in runs[:-1]:
        left = sorted(json.dumps(d.metadata, sort_keys=True, default=str) + d.page_content for d, _ in run)
        right = sorted(json.dumps(d.metadata, sort_keys=True, default=str) + d.page_content for _, d in run)
        assert left == right, (options, query)


async def test_a_search_is_one_round_trip_and_finds_what_the_two_trip_path_finds(
    api: Api, counted: RedisSessionMemory
) -> None:
    await _add(api, counted, "u", "s", chef_session())
    await _add(api, counted, "u", "other", [HumanMessage("an avocado smoothie, in another session")])
    await _add(api, counted, "someone else", "s", [HumanMessage("my avocado toast, not yours")])
    await _search(api, counted.as_retriever(user_id="u"), "warm up")  # connects, loads the script
    for options in OPTIONS:
        retriever = counted.as_retriever(user_id="u", **options)
        for query in QUERIES:
            before = _Counting.sends
            docs = await _search(api, retriever, query)
            trips = _Counting.sends - before
            if options.get("exclude_recent"):
                trips -= 1  # the session's last seq, read first (as before)
            assert trips == 1, (options, query)
            _assert_same(docs, _two_trip(counted, options, query), options, query)
            assert {d.metadata["user_id"] for d in docs} <= {"u"}


async def test_the_first_search_checks_the_index_in_the_same_round_trip(api: Api, counted: RedisSessionMemory) -> None:
    await _add(api, counted, "u", "s", chef_session()[:4])
    counted._backend.store.facts.index_checked = False
    await _search(api, counted.as_retriever(user_id="u"), "warm up")  # the script may need loading once
    counted._backend.store.facts.index_checked = False
    before = _Counting.sends
    assert await _search(api, counted.as_retriever(user_id="u", k=2), "avocado toast")
    assert _Counting.sends - before == 1 and counted._backend.store.facts.index_checked


async def test_a_message_gone_since_it_was_indexed_is_left_out_in_the_same_round_trip(
    api: Api, counted: RedisSessionMemory, raw: redis.Redis
) -> None:
    await _add(api, counted, "u", "s", chef_session()[:2])
    retriever = counted.as_retriever(user_id="u", k=2, search_type="similarity")
    assert len(await _search(api, retriever, "avocado toast")) == 2
    keys = counted.history("u", "s")._keys
    raw.unlink(f"{keys.message_prefix}1")  # its vector (and so the KNN hit) stays
    before = _Counting.sends
    docs = await _search(api, retriever, "avocado toast")
    assert _Counting.sends - before == 1
    assert [d.metadata["seq"] for d in docs] == [2]


async def test_a_script_flushed_from_the_server_is_loaded_again(
    api: Api, counted: RedisSessionMemory, raw: redis.Redis
) -> None:
    await _add(api, counted, "u", "s", chef_session()[:2])
    retriever = counted.as_retriever(user_id="u", k=1)
    await _search(api, retriever, "avocado toast")
    raw.script_flush()
    assert "avocado" in (await _search(api, retriever, "avocado toast"))[0].page_content.lower()
