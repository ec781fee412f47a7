"""Redis Cluster support, kept apart from the single-server code it extends.

- **Clients.** A ``redis+cluster://`` (or ``rediss+cluster://``) URL builds ``RedisCluster``
  clients (sync and asyncio); ``client=`` / ``async_client=`` may also be cluster clients. A user's
  keys share the hash tag ``{U}`` and every script is routed by its first key, a key of that user,
  so the history path needs nothing more: one user's operations stay in one slot.
- **Slots in motion.** While a slot is being migrated, a script that touches a key it did not
  declare is refused (Redis 7.4: "undeclared keys were accessed during rehashing of the slot").
  Every script first touches a key that never exists (see ``_lua/prelude.lua``), so it is refused
  before it read or wrote anything; the refusal is translated to ``SlotMigratingError`` and the
  backend sends the call again, with short pauses, for up to
  ``SessionMemConfig.slot_migration_wait_seconds``.
- **Fan-out.** Whole-keyspace operations (``list_users``, a full export, ``stats``) SCAN every
  primary. A plan asks ``Primaries()`` for the primaries (``[None]`` on a single server) and
  runs a command on one with ``OnNode(node, Command(...))``. An unreachable primary raises
  ``RedisUnavailableError`` naming it; a reshard during the scan raises ``SlotMigratingError``:
  never a partial answer.
- **Search.** RediSearch 2.x of Redis Stack has no cluster coordinator: each shard indexes its own
  documents, and an index name is routed like a key. Redis 8's Query Engine (and Redis Software /
  Cloud) coordinates ``FT.*`` across shards; such a server knows ``SEARCH.CLUSTERINFO`` (Redis 8)
  or ``FT.CLUSTERINFO`` (the older RSCoordinator module). ``search_plan`` asks for it once and
  refuses search with ``SearchUnavailableError`` where there is no coordinator.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aredis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster
from typing_extensions import TypeIs

from langchain_sessionmem._ops.steps import Command, OnNode, Plan, Primaries
from langchain_sessionmem._ops.target import ServerFacts
from langchain_sessionmem.errors import (
    ClusterClientError,
    ModulesMissingError,
    RedisCommandError,
    RedisUnavailableError,
    SearchUnavailableError,
    SlotMigratingError,
)

SyncClient = redis.Redis | RedisCluster
AsyncClient = aredis.Redis | AsyncRedisCluster

_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
_COORDINATOR_PROBES = (Command("SEARCH.CLUSTERINFO"), Command("FT.CLUSTERINFO"))


def is_cluster_url(url: str | None) -> bool:
    return url is not None and url.split("://", 1)[0].lower() in _SCHEMES


def node_url(url: str) -> str:
    """``redis+cluster://h:p/...`` -> ``redis://h:p/...`` (what ``RedisCluster.from_url`` reads)."""
    scheme, rest = url.split("://", 1)
    return f"{_SCHEMES[scheme.lower()]}://{rest}"


def sync_client(url: str) -> SyncClient:
    return RedisCluster.from_url(node_url(url)) if is_cluster_url(url) else redis.Redis.from_url(url)


def async_client(url: str) -> AsyncClient:
    return AsyncRedisCluster.from_url(node_url(url)) if is_cluster_url(url) else aredis.Redis.from_url(url)


def is_cluster_client(client: object) -> TypeIs[RedisCluster | AsyncRedisCluster]:
    return isinstance(client, (RedisCluster, AsyncRedisCluster))


def cluster_url_of(client: RedisCluster | AsyncRedisCluster) -> str:
    """A URL naming a cluster client's first startup node (no I/O), for messages."""
    names = list(client.nodes_manager.startup_nodes) or ["localhost:6379"]
    kwargs = getattr(client.nodes_manager, "connection_kwargs", {}) or {}
    tls = kwargs.get("ssl") or "SSL" in str(kwargs.get("connection_class", ""))
    return f"{'rediss' if tls else 'redis'}+cluster://{names[0]}"


def migration_delays(wait_seconds: float) -> Iterator[float]:
    """Pauses between attempts of a call refused while its slot moves: short, growing, jittered,
    ``wait_seconds`` in all."""
    waited, pause = 0.0, 0.01
    while waited < wait_seconds:
        step = pause * random.uniform(0.5, 1.0)
        waited += step
        yield step
        pause = min(pause * 1.5, 0.25)


# -- executing the two plan steps -----------------------------------------------------------------


def primaries(client: SyncClient) -> list[Any]:
    return list(client.get_primaries()) if isinstance(client, RedisCluster) else [None]  # type: ignore[no-untyped-call]


async def aprimaries(client: AsyncClient) -> list[Any]:
    if isinstance(client, AsyncRedisCluster):
        await client.initialize()
        return list(client.get_primaries())
    return [None]


def one_reply(node: Any, reply: Any) -> Any:
    """redis-py answers some commands (SCAN) with ``{node name: reply}`` even for one target node."""
    return reply[node.name] if isinstance(reply, dict) and list(reply) == [node.name] else reply


def unreachable(node: Any, cmd: tuple[Any, ...], exc: RedisUnavailableError) -> RedisUnavailableError:
    return RedisUnavailableError(
        f"cluster primary {node.name} did not answer {cmd[0]}: {exc}. An answer without that primary's keys "
        "would be partial, so none is given: bring the node (or its replica) back and call again"
    )


# -- plans -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topology:
    nodes: list[Any]
    slots: tuple[str, ...]  # each primary's slot ranges, as CLUSTER NODES shows them ('' on one server)

    @property
    def moving(self) -> bool:
        """A slot is being imported or migrated: CLUSTER NODES shows ``[slot->-id]`` / ``[slot-<-id]``."""
        return any("[" in s for s in self.slots)


def _myself_slots(reply: Any) -> str:
    text = reply.decode() if isinstance(reply, bytes) else str(reply)
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 2 and "myself" in parts[2]:
            return " ".join(parts[8:])
    return ""


def _not_a_cluster_node_plan() -> Plan[None]:
    """Raise ClusterClientError when a plain client talks to a cluster node (one INFO)."""
    info = yield Command("INFO", "cluster")
    if str(info.get("cluster_enabled", 0)) == "1":
        raise ClusterClientError(
            "this Redis is a Redis Cluster node: a plain client reaches only that node's slots. Use a "
            "redis+cluster:// URL (e.g. redis+cluster://host:port), or pass client=redis.cluster.RedisCluster(...) "
            "and async_client=redis.asyncio.cluster.RedisCluster(...)"
        )


def topology_plan() -> Plan[Topology]:
    """The primaries and their slots; on a single server ``[None]``, after checking it is one."""

    nodes = yield Primaries()
    if nodes == [None]:
        yield from _not_a_cluster_node_plan()
    slots = []
    for node in nodes:
        if node is not None:
            slots.append(_myself_slots((yield OnNode(node, Command("CLUSTER", "NODES")))))
    return Topology(nodes, tuple(slots))


def scan_plan(match: str, count: int, page: Any) -> Plan[None]:
    """SCAN every primary for keys matching ``match``; ``page(keys)`` is a plan run on each batch.
    A slot moving during the scan could hide keys from it: then SlotMigratingError, no answer."""

    before = yield from topology_plan()
    for node in before.nodes:
        cursor: Any = 0
        while True:
            cursor, keys = yield OnNode(node, Command("SCAN", cursor, "MATCH", match, "COUNT", count))
            if isinstance(cursor, dict):  # redis-py's cluster client: {node name: cursor}
                (cursor,) = cursor.values()
            if keys:
                yield from page(keys)
            if int(cursor) == 0:
                break
    if before.slots:
        after = yield from topology_plan()
        if before.moving or after != before:
            raise SlotMigratingError(
                "the Redis Cluster was resharding while every primary was scanned, so keys could have been "
                "missed; nothing is returned. Call again once the reshard is done"
            )


def setup_plan(facts: ServerFacts) -> Plan[tuple[bool, str | None]]:
    """Cluster part of ``setup()``: (is a cluster, worst maxmemory-policy of its primaries).

    On a single server only checks that it is not a cluster node reached by a plain client. On a
    cluster: both modules on every primary, each one's eviction policy, and search coordination."""

    if not facts.is_cluster:
        yield from _not_a_cluster_node_plan()
        return False, None
    topology = yield from topology_plan()
    for node in topology.nodes:
        modules = yield OnNode(node, Command("INFO", "modules"))
        names = {str(m.get("name", "")).lower() for m in modules.get("modules", [])}
        for module, name in (("RedisJSON", "rejson"), ("RediSearch", "search")):
            if name not in names:
                raise ModulesMissingError(
                    f"cluster primary {node.name} lacks the {module} module; load rejson.so and redisearch.so "
                    "on every node (Redis Stack or Redis 8)"
                )
    policy = yield from policy_plan(topology)
    facts.may_evict = policy != "noeviction"
    yield from search_plan(facts, topology)
    return True, policy


def policy_plan(topology: Topology | None = None) -> Plan[str]:
    """The ``maxmemory-policy`` of the primaries: the first that is not ``noeviction``, if any."""

    if topology is None:
        topology = yield from topology_plan()
    policies = []
    for node in topology.nodes:
        memory = yield OnNode(node, Command("INFO", "memory"))
        policies.append(str(memory.get("maxmemory_policy", "noeviction")))
    return next((p for p in policies if p != "noeviction"), "noeviction")


def search_plan(facts: ServerFacts, topology: Topology | None = None) -> Plan[None]:
    """Raise SearchUnavailableError on a cluster whose RediSearch does not search across shards
    (asked once per memory; nothing is sent on a single server)."""

    if not facts.is_cluster or facts.search_coordinated:
        return
    if facts.search_coordinated is None:
        if topology is None:
            topology = yield from topology_plan()
        coordinated = False
        for probe in _COORDINATOR_PROBES:
            try:
                yield OnNode(topology.nodes[0], probe)
            except (RedisCommandError, ModulesMissingError) as exc:  # FT.* unknown reads as a missing module
                if "unknown command" not in str(exc.__cause__ or exc).lower():
                    raise
                continue
            coordinated = True
            break
        facts.search_coordinated = coordinated
    if not facts.search_coordinated:
        raise SearchUnavailableError(
            f"the Redis Cluster at {facts.url} runs RediSearch without a cluster coordinator (Redis Stack 7.x): "
            "each shard would index only its own messages, so a search would miss the others. The chat history "
            "(reads, writes, sessions, windows, summaries, export) works on this cluster; search and retrieval "
            "need one of: Redis 8 or later (its Query Engine coordinates FT.* across shards), Redis Software / "
            "Redis Cloud, or a single Redis Stack server for the memory (RedisSessionMemory('redis://...')). An "
            "agent's memory works here without search: memory.middleware(recall=False), and no search_tool"
        )
