"""Shared fixtures: a real Redis with RedisJSON and RediSearch, and per-test key isolation.

The server is ``$REDIS_URL`` when set, else the project's own Redis Stack started by
``scripts/redis-stack.sh up`` (the same script as ``make redis-up``). If neither gives a server
with both modules the whole run stops with a message: store tests are never skipped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aredis
from langchain_core.embeddings import Embeddings
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from langchain_sessionmem import ContentEncryption, RedisSessionMemory, SessionMemConfig

ROOT = Path(__file__).resolve().parent.parent


def _start_project_redis() -> str:
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "redis-stack.sh"), "up"], capture_output=True, text=True, timeout=900
    )
    if proc.returncode != 0:
        pytest.exit(
            "could not start the project's Redis Stack (scripts/redis-stack.sh up):\n"
            f"{proc.stderr[-3000:]}\nSet REDIS_URL to a Redis with RedisJSON and RediSearch instead.",
            returncode=3,
        )
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("REDIS_URL") or _start_project_redis()
    try:
        client = redis.Redis.from_url(url)
        client.ping()
        modules = {m[b"name"].decode().lower() for m in client.module_list()}
        client.close()
    except redis.RedisError as exc:
        pytest.exit(f"Redis at {url} (REDIS_URL or `make redis-up`) is not usable: {exc}", returncode=3)
    missing = {"rejson", "search"} - modules
    if missing:
        pytest.exit(
            f"Redis at {url} lacks module(s) {sorted(missing)}; point REDIS_URL at Redis Stack or run `make redis-up`",
            returncode=3,
        )
    return url


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    """A plain client for looking at what the package stored."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def _tag(request: pytest.FixtureRequest) -> str:
    return hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:10]


@pytest.fixture
def config(request: pytest.FixtureRequest, redis_url: str) -> Iterator[SessionMemConfig]:
    """A key prefix and index of this test's own; everything under them is removed before (what an
    interrupted run left) and afterwards."""
    tag = _tag(request)
    cfg = SessionMemConfig(key_prefix=f"t{tag}:", index_name=f"t{tag}:idx")
    drop_prefix(redis_url, cfg.key_prefix)
    yield cfg
    drop_prefix(redis_url, cfg.key_prefix)


def drop_prefix(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    for name in client.execute_command("FT._LIST"):
        if (name.decode() if isinstance(name, bytes) else name).startswith(prefix):
            client.execute_command("FT.DROPINDEX", name)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for i in range(0, len(keys), 1000):
        client.unlink(*keys[i : i + 1000])
    client.close()


class MakeMemory:
    """The ``make_memory`` fixture (and its type): ``make_memory(...)`` returns a
    ``RedisSessionMemory`` that is closed, sync and async clients, when the test ends.

    ``url`` defaults to the test's server (``memory_url``), unless clients are given instead.
    ``config`` defaults to the test's own key prefix and index (the ``config`` fixture), and
    ``config_fields`` are replaced onto it (``make_memory(ttl_seconds=1.0)``). ``setup=True`` runs
    the sync ``setup()`` before returning.
    """

    def __init__(self, url: str, config: SessionMemConfig) -> None:
        self._url, self._config = url, config
        self._made: list[RedisSessionMemory] = []

    def __call__(
        self,
        url: str | None = None,
        *,
        config: SessionMemConfig | None = None,
        setup: bool = False,
        client: redis.Redis | RedisCluster | None = None,
        async_client: aredis.Redis | AsyncRedisCluster | None = None,
        embeddings: Embeddings | None = None,
        encryption: ContentEncryption | None = None,
        **config_fields: Any,
    ) -> RedisSessionMemory:
        if url is None and client is None and async_client is None:
            url = self._url
        cfg = self._config if config is None else config
        if config_fields:
            cfg = dataclasses.replace(cfg, **config_fields)
        mem = RedisSessionMemory(
            url, client=client, async_client=async_client, config=cfg, embeddings=embeddings, encryption=encryption
        )
        self._made.append(mem)
        if setup:
            mem.setup()
        return mem

    def close(self) -> None:
        """Close every memory made. Sync, so that the fixture also serves tests under Playwright's
        sync API (no asyncio.Runner there): ``close()`` closes the async clients too, on their loop
        if it is still open, and a loop pytest-asyncio already shut down closed them itself."""
        for mem in self._made:
            mem.close()


@pytest.fixture
def memory_url(redis_url: str) -> str:
    """The server ``make_memory`` builds on when given neither a URL nor clients."""
    return redis_url


@pytest.fixture
def make_memory(memory_url: str, config: SessionMemConfig) -> Iterator[MakeMemory]:
    factory = MakeMemory(memory_url, config)
    yield factory
    factory.close()


@pytest.fixture
def memory(make_memory: MakeMemory) -> RedisSessionMemory:
    return make_memory(setup=True)


@pytest.fixture
async def amemory(make_memory: MakeMemory) -> RedisSessionMemory:
    """A memory used from async tests; its async client is bound to the test's loop."""
    mem = make_memory()
    await mem.asetup()
    return mem


@pytest.fixture(scope="session")
def redis_paths() -> dict[str, str]:
    """Paths of the project's Redis Stack binaries (fetched if needed), for servers of a test's own."""
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "redis-stack.sh"), "paths"], capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(line.split("=", 1) for line in proc.stdout.strip().splitlines())


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def start_server(redis_paths: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start a throw-away redis-server with the given extra arguments; returns its URL."""
    import time

    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str, modules: bool = True) -> str:
        port = free_port()
        cmd = [
            redis_paths["REDIS_SERVER"],
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ]
        if modules:
            cmd += ["--loadmodule", redis_paths["MOD_JSON"], "--loadmodule", redis_paths["MOD_SEARCH"]]
        env = {**os.environ, "LD_LIBRARY_PATH": redis_paths["LD_LIBRARY_PATH"]}
        procs.append(subprocess.Popen([*cmd, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                client.close()
                return url
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server {' '.join(args)} did not start on port {port}")

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)
