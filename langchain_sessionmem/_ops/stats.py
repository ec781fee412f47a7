"""What ``server_stats`` reads: document counts of the memory's indexes and the server's memory use."""

from __future__ import annotations

from typing import Any

from langchain_sessionmem import _cluster
from langchain_sessionmem._ops.steps import Command, OnNode, Plan, Primaries
from langchain_sessionmem._ops.target import Store
from langchain_sessionmem._search import index_stats
from langchain_sessionmem.errors import IndexMissingError, SearchUnavailableError
from langchain_sessionmem.types import IndexStats, ServerStats


def server_stats_plan(store: Store) -> Plan[ServerStats]:
    """FT.INFO of both indexes (unless search is unavailable on this cluster), INFO memory of every primary."""
    cfg = store.config
    index = vector_index = None
    try:
        yield from _cluster.search_plan(store.facts)
    except SearchUnavailableError:
        available = False
    else:
        available = True
        index = yield from index_stats_plan(cfg.index_name)
        vector_index = yield from index_stats_plan(cfg.vector_index_name)
    infos: list[Any] = []
    for node in (yield Primaries()):
        infos.append((yield OnNode(node, Command("INFO", "memory"))))
    used = sum(int(info.get("used_memory", 0)) for info in infos)
    human = f"{used / 2**20:.2f}M"
    if len(infos) == 1:  # the server's own rendering
        human = str(infos[0].get("used_memory_human", human))
    return ServerStats(available, index, vector_index, used, human, len(infos))


def index_stats_plan(name: str) -> Plan[IndexStats | None]:
    """Documents and scan progress of the index ``name``; None when the index does not exist."""
    try:
        info = yield Command("FT.INFO", name)
    except IndexMissingError:
        return None
    return index_stats(name, info)
