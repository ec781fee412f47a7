"""The server_stats plan without a server: FT.INFO replies of both protocols, an index still
scanning, a missing index, and a cluster (memory summed over the primaries, no FT.INFO where
search cannot span the shards)."""

from __future__ import annotations

from langchain_sessionmem._ops.stats import server_stats_plan
from langchain_sessionmem._ops.steps import Command, OnNode, Primaries
from langchain_sessionmem.errors import IndexMissingError
from langchain_sessionmem.types import IndexStats, ServerStats

from .scripted import Scripted, store

MEMORY = {"used_memory": 1_100_000, "used_memory_human": "1.05M", "maxmemory_policy": "noeviction"}


def test_a_single_server_reads_both_indexes_in_either_protocol_and_its_own_used_memory_human() -> None:
    st = store()
    resp2 = [b"index_name", b"u:idx", b"num_docs", b"12", b"indexing", b"1", b"percent_indexed", b"0.25"]
    resp3 = {"index_name": "u:idx:vec", "num_docs": 3, "indexing": 0, "percent_indexed": 1.0}
    script = Scripted([resp2, resp3, [None], MEMORY])
    assert script.run(server_stats_plan(st)) == ServerStats(
        search_available=True,
        index=IndexStats("u:idx", docs=12, indexing=True, percent_indexed=0.25),
        vector_index=IndexStats("u:idx:vec", docs=3, indexing=False, percent_indexed=1.0),
        used_memory=1_100_000,
        used_memory_human="1.05M",
        primaries=1,
    )
    assert script.sent == [
        Command("FT.INFO", "u:idx"),
        Command("FT.INFO", "u:idx:vec"),
        Primaries(),
        OnNode(None, Command("INFO", "memory")),
    ]


def test_a_missing_index_is_none() -> None:
    script = Scripted([IndexMissingError("no such index"), IndexMissingError("no such index"), [None], MEMORY])
    stats = script.run(server_stats_plan(store()))
    assert (stats.search_available, stats.index, stats.vector_index) == (True, None, None)


def test_a_cluster_without_a_coordinator_sums_the_primaries_and_reads_no_index() -> None:
    st = store(is_cluster=True)
    st.facts.search_coordinated = False  # learned before: nothing is asked again
    infos = [{"used_memory": 2**20, "used_memory_human": "1.00M"}, {"used_memory": 2**21}, {"used_memory": 2**19}]
    script = Scripted([["a", "b", "c"], *infos])
    stats = script.run(server_stats_plan(st))
    assert stats == ServerStats(False, None, None, 7 * 2**19, "3.50M", 3)
    assert script.sent[1:] == [OnNode(node, Command("INFO", "memory")) for node in "abc"]
