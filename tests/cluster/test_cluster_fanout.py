"""Whole-keyspace operations on a real cluster read every primary, and refuse to answer when one
primary cannot be reached (a cluster of the test's own, one primary killed): never half the users."""

from __future__ import annotations

import io
import os
import signal
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from langchain_core.messages import AIMessage, HumanMessage
from redis.cluster import RedisCluster

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem.cli import cli
from langchain_sessionmem.errors import RedisUnavailableError, SlotMigratingError
from tests.cluster.conftest import Api, drop_prefix, users_on_every_primary
from tests.conftest import MakeMemory


async def _fill(api: Api, memory: RedisSessionMemory, users: list[str]) -> None:
    for user in users:
        await api(memory.history(user, "s"), "add_messages", [HumanMessage(f"hi {user}"), AIMessage("yo")])


async def test_list_users_export_and_stats_cover_every_primary(
    api: Api, cluster_url: str, make_memory: MakeMemory, config: SessionMemConfig, rc: RedisCluster
) -> None:
    users = users_on_every_primary(rc, config.key_prefix)
    memory = make_memory()
    await _fill(api, memory, users)
    assert await api(memory, "list_users") == sorted(users)
    buf = io.StringIO()
    stats = await api(memory, "export_jsonl", buf)
    assert (stats.users, stats.sessions, stats.messages) == (len(users), len(users), 2 * len(users))
    args = ["--url", cluster_url, "--prefix", config.key_prefix, "--index", config.index_name]
    result = CliRunner().invoke(cli, [*args, "users"])
    assert result.exit_code == 0, result.output
    assert all(user in result.output for user in users), result.output
    result = CliRunner().invoke(cli, [*args, "stats"])
    assert result.exit_code == 0, result.output
    rows = dict(line.split(":", 1) for line in result.output.splitlines() if ": " in line)
    assert (rows["users"].strip(), rows["messages"].strip()) == (str(len(users)), str(2 * len(users)))
    assert "over 3 primaries" in result.output and "without a search coordinator" in result.output


async def test_server_stats_sums_the_memory_of_every_primary(
    api: Api, cluster_url: str, config: SessionMemConfig, rc: RedisCluster
) -> None:
    memory = RedisSessionMemory(cluster_url, config=config)
    stats = await api(memory, "server_stats")
    primaries = rc.get_primaries()
    assert stats.primaries == len(primaries) == 3
    # Redis Stack 7.4 has no search coordinator: the indexes are not read (see test_cluster_search).
    assert (stats.search_available, stats.index, stats.vector_index) == (False, None, None)
    each = [int(rc.info("memory", target_nodes=node)["used_memory"]) for node in primaries]
    assert abs(stats.used_memory - sum(each)) < 0.05 * sum(each) and stats.used_memory_human.endswith("M")
    memory.close()
    await memory.aclose()


def _pid_of(env: dict[str, str], port: int) -> int:
    return int((Path(env["SESSIONMEM_CLUSTER_DIR"]) / str(port) / "redis.pid").read_text().strip())


async def test_an_unreachable_primary_is_an_error_not_a_partial_answer(
    api: Api, throwaway_cluster: tuple[str, dict[str, str]], make_memory: MakeMemory
) -> None:
    url, env = throwaway_cluster
    config = SessionMemConfig(key_prefix="fan:", index_name="fan:idx", retries=1, retry_backoff_seconds=0.01)
    rc = RedisCluster.from_url(url.replace("+cluster", "", 1))
    users = users_on_every_primary(rc, config.key_prefix)
    memory = make_memory(url, config=config)
    await _fill(api, memory, users)
    assert await api(memory, "list_users") == sorted(users)
    victim = rc.get_primaries()[-1]
    os.kill(_pid_of(env, victim.port), signal.SIGKILL)
    time.sleep(0.2)
    with pytest.raises(RedisUnavailableError):
        await api(memory, "list_users")
    with pytest.raises(RedisUnavailableError):
        await api(memory, "export_jsonl", io.StringIO())
    result = CliRunner().invoke(cli, ["--url", url, "--prefix", config.key_prefix, "users"])
    assert result.exit_code != 0 and "Redis" in result.output, result.output
    rc.close()


def test_the_fixture_cleans_up(rc: RedisCluster) -> None:
    drop_prefix(rc, "fan:")


async def test_a_scan_during_a_reshard_is_refused_not_partial(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, rc: RedisCluster
) -> None:
    import redis

    users = users_on_every_primary(rc, config.key_prefix, 6)
    memory = make_memory()
    await _fill(api, memory, users)
    slot = rc.keyslot("no-user-here")
    src = rc.get_node_from_key("no-user-here")
    dst = next(n for n in rc.get_primaries() if n.name != src.name)
    s, d = redis.Redis(host=src.host, port=src.port), redis.Redis(host=dst.host, port=dst.port)
    d.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", s.execute_command("CLUSTER MYID"))
    s.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", d.execute_command("CLUSTER MYID"))
    try:
        with pytest.raises(SlotMigratingError, match="resharding"):
            await api(memory, "list_users")
    finally:
        for client in (s, d):
            client.execute_command("CLUSTER SETSLOT", slot, "STABLE")
            client.close()
    assert await api(memory, "list_users") == sorted(users)
