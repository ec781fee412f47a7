"""memory.server_stats(): document counts of the memory's indexes and the server's memory use, as
the server itself reports them (RESP2 and RESP3)."""

from __future__ import annotations

import re

import pytest
import redis
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from langchain_sessionmem import IndexStats, RedisSessionMemory, ServerStats, SessionMemConfig
from langchain_sessionmem.testing import HashingEmbeddings
from tests.store.conftest import Api, wait_indexed

TURNS = [SystemMessage("You are a chef."), HumanMessage("An avocado toast?"), AIMessage("Toast, avocado, salt.")]


@pytest.mark.parametrize("protocol", ["2", "3"])
async def test_counts_the_documents_of_each_index_and_reads_the_server_memory(
    api: Api, redis_url: str, config: SessionMemConfig, raw: redis.Redis, protocol: str
) -> None:
    url = f"{redis_url}{'&' if '?' in redis_url else '?'}protocol={protocol}"
    memory = RedisSessionMemory(url, config=config, embeddings=HashingEmbeddings(16))
    await api(memory, "setup")
    await api(memory.history("alice", "breakfast"), "add_messages", TURNS)
    await api(memory.history("bob", "dinner"), "add_messages", TURNS[1:])
    wait_indexed(raw, config.index_name)
    wait_indexed(raw, config.vector_index_name)

    stats = await api(memory, "server_stats")

    assert isinstance(stats, ServerStats) and stats.search_available and stats.primaries == 1
    assert stats.index == IndexStats(config.index_name, docs=5, indexing=False, percent_indexed=1.0)
    # Only human and ai messages are embedded (config.embed_message_types): a vector each.
    assert stats.vector_index == IndexStats(config.vector_index_name, docs=4, indexing=False, percent_indexed=1.0)
    # The server's own rendering of the same used_memory (from the same INFO reply).
    found = re.fullmatch(r"(\d+(?:\.\d+)?)([BKMG])", stats.used_memory_human)
    assert found and stats.used_memory > 0, stats
    shown = float(found[1]) * 1024 ** "BKMG".index(found[2])
    assert abs(shown - stats.used_memory) <= 0.01 * stats.used_memory, stats
    memory.close()
    await memory.aclose()


async def test_a_missing_index_is_none_and_nothing_is_created(
    api: Api, redis_url: str, config: SessionMemConfig, raw: redis.Redis
) -> None:
    memory = RedisSessionMemory(redis_url, config=config)
    stats = await api(memory, "server_stats")  # no setup(): reads only
    assert (stats.search_available, stats.index, stats.vector_index) == (True, None, None)
    assert stats.used_memory > 0
    names = {n.decode() if isinstance(n, bytes) else n for n in raw.execute_command("FT._LIST")}
    assert config.index_name not in names and not list(raw.scan_iter(match=f"{config.key_prefix}*"))

    await api(memory, "setup")
    await api(memory.history("alice", "breakfast"), "add_messages", TURNS)
    wait_indexed(raw, config.index_name)
    stats = await api(memory, "server_stats")
    assert stats.index is not None and stats.index.docs == 3 and stats.vector_index is None

    await api(memory, "drop_indexes")
    assert (await api(memory, "server_stats")).index is None
    memory.close()
    await memory.aclose()
