"""A real Redis Cluster (3 primaries of the project's Redis Stack 7.4, modules loaded).

``$REDIS_CLUSTER_URL`` (``redis+cluster://host:port``) when set; else the project's own cluster,
started by ``scripts/redis-cluster.sh up`` (the same script as ``make redis-cluster-up``) and
stopped at the end only if this run started it. Tests that stop a primary start a cluster of their
own (``throwaway_cluster``), never the shared one.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from redis.cluster import RedisCluster
from redis.crc import key_slot

from langchain_sessionmem import SessionMemConfig
from tests.conftest import ROOT
from tests.store.conftest import Api, api  # noqa: F401  (the sync/async fixture)

SCRIPT = ROOT / "scripts" / "redis-cluster.sh"


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=900, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="session")
def cluster_url() -> Iterator[str]:
    url = os.environ.get("REDIS_CLUSTER_URL")
    started = False
    if not url:
        running = _run("url")
        if running.returncode == 0:
            url = running.stdout.strip().splitlines()[-1]
        else:
            up = _run("up")
            if up.returncode != 0:
                pytest.exit(f"could not start the project's Redis Cluster (scripts/redis-cluster.sh up):\n"
                            f"{up.stderr[-3000:]}\nSet REDIS_CLUSTER_URL to a cluster with RedisJSON and RediSearch.",
                            returncode=3)  # fmt: skip
            url, started = up.stdout.strip().splitlines()[-1], True
    yield url
    if started:
        _run("down")


@pytest.fixture(scope="session")
def rc(cluster_url: str) -> Iterator[RedisCluster]:
    """A cluster client for looking at what the package stored."""
    client = RedisCluster.from_url(cluster_url.replace("+cluster", "", 1))
    yield client
    client.close()


@pytest.fixture
def memory_url(cluster_url: str) -> str:
    """``make_memory`` builds on the cluster here."""
    return cluster_url


@pytest.fixture
def config(request: pytest.FixtureRequest, rc: RedisCluster) -> Iterator[SessionMemConfig]:
    """A key prefix of this test's own; its keys are removed from every primary afterwards."""
    tag = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:10]
    cfg = SessionMemConfig(key_prefix=f"c{tag}:", index_name=f"c{tag}:idx")
    yield cfg
    drop_prefix(rc, cfg.key_prefix)


def drop_prefix(rc: RedisCluster, prefix: str) -> None:
    for node in rc.get_primaries():
        client = redis.Redis(host=node.host, port=node.port)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for key in keys:
            client.unlink(key)
        client.close()


def node_of(rc: RedisCluster, key: str | bytes) -> str:
    return str(rc.get_node_from_key(key).name)


def users_on_every_primary(rc: RedisCluster, prefix: str, n: int = 12) -> list[str]:
    """User ids whose keys spread over every primary (at least one user on each)."""
    from langchain_sessionmem._keys import UserKeys

    users = [f"user-{i}@example.com" for i in range(n)]
    nodes = {node_of(rc, UserKeys.of(prefix, u).user) for u in users}
    assert len(nodes) == len(rc.get_primaries()), nodes
    return users


TAG = re.compile(rb"\{([0-9a-f]{32})\}")


class Monitor:
    """``redis-cli MONITOR`` on every primary: every command each one ran, scripts' inner ones too."""

    def __init__(self, rc: RedisCluster, cli: str, env: dict[str, str], folder: Path) -> None:
        self.nodes = list(rc.get_primaries())
        self.files = {n.name: folder / f"monitor-{n.port}.log" for n in self.nodes}
        self.procs = []
        for n in self.nodes:
            with self.files[n.name].open("wb") as out:
                self.procs.append(subprocess.Popen([cli, "-h", n.host, "-p", str(n.port), "monitor"], env=env,
                                                   stdout=out, stderr=subprocess.DEVNULL))  # fmt: skip
        import time

        time.sleep(0.3)  # redis-cli has connected and sent MONITOR

    def stop(self) -> dict[str, list[bytes]]:
        for proc in self.procs:
            proc.terminate()
            proc.wait(10)
        return {name: path.read_bytes().splitlines() for name, path in self.files.items()}


@pytest.fixture
def monitor(rc: RedisCluster, redis_paths: dict[str, str], tmp_path: Path) -> Callable[[], Monitor]:
    env = {**os.environ, "LD_LIBRARY_PATH": redis_paths["LD_LIBRARY_PATH"]}
    return lambda: Monitor(rc, redis_paths["REDIS_CLI"], env, tmp_path)


def slot_of_tag(tag: bytes) -> int:
    return int(key_slot(b"{" + tag + b"}"))


@pytest.fixture
def throwaway_cluster(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A cluster of this test's own (ports ``$SESSIONMEM_CLUSTER_FAULT_PORTS``, default 7111-7113),
    which the test may break; stopped afterwards."""
    env = {
        "SESSIONMEM_CLUSTER_PORTS": os.environ.get("SESSIONMEM_CLUSTER_FAULT_PORTS", "7111 7112 7113"),
        "SESSIONMEM_CLUSTER_DIR": str(tmp_path / "cluster"),
    }
    up = _run("up", env=env)
    assert up.returncode == 0, up.stderr[-3000:]
    yield up.stdout.strip().splitlines()[-1], env
    _run("down", env=env)
