"""Measuring: the one interleaved timing loop, round trips and server commands per operation,
memory per key prefix, cleanup, a private server, and a description of the machine."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import redis
import redis.asyncio.connection as aconnection
import redis.connection as connection

ROOT = Path(__file__).resolve().parent.parent


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


# -- round trips: every write to a socket by any redis-py connection, sync or asyncio ------------------

_SENDS = [0]


def install_round_trip_counter() -> None:
    """Count ``send_packed_command`` calls of every redis-py connection in the process.

    One command, one pipeline or one transaction is one call (redis-py packs a pipeline into one
    send), so the count is the number of round trips, whatever client a library builds for itself.
    """
    if getattr(connection.AbstractConnection.send_packed_command, "_counted", False):
        return
    sync_send = connection.AbstractConnection.send_packed_command
    async_send = aconnection.AbstractConnection.send_packed_command

    def counted(self: Any, command: Any, check_health: bool = True) -> Any:
        _SENDS[0] += 1
        return sync_send(self, command, check_health)

    async def acounted(self: Any, command: Any, check_health: bool = True) -> Any:
        _SENDS[0] += 1
        return await async_send(self, command, check_health)

    counted._counted = True  # type: ignore[attr-defined]
    connection.AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]
    aconnection.AbstractConnection.send_packed_command = acounted  # type: ignore[method-assign]


def server_calls(probe: redis.Redis) -> int:
    """Commands the server has executed (INFO commandstats), scripts' inner commands included."""
    return sum(int(v["calls"]) for v in probe.info("commandstats").values())


def costs(fn: Callable[[], Any], n: int, probe: redis.Redis) -> tuple[float, float]:
    """(round trips, server commands) per call of ``fn``, averaged over n calls."""
    c0 = server_calls(probe)
    r0 = _SENDS[0]
    for _ in range(n):
        fn()
    r1 = _SENDS[0]
    c1 = server_calls(probe)
    return (r1 - r0) / n, (c1 - c0 - 1) / n  # - 1: the first INFO is counted by the second


# -- timing --------------------------------------------------------------------------------------------


@dataclass
class Series:
    """Timings of one implementation on one workload, and the worst completeness seen."""

    ms: list[float] = field(default_factory=list)
    returned: int | None = None
    expected: int | None = None
    round_trips: float | None = None
    commands: float | None = None
    note: str = ""

    def see(self, result: Any) -> None:
        """Keep the least complete (returned, expected) pair seen."""
        if not (isinstance(result, tuple) and len(result) == 2):
            return
        got, want = result
        if self.expected is None or got / max(want, 1) <= self.returned / max(self.expected, 1):  # type: ignore[operator]
            self.returned, self.expected = got, want

    @property
    def median(self) -> float:
        return float(np.median(self.ms)) if self.ms else float("nan")

    @property
    def p99(self) -> float:
        return float(np.percentile(self.ms, 99)) if self.ms else float("nan")

    @property
    def short(self) -> bool:
        return self.returned is not None and self.expected is not None and self.returned < self.expected


def interleaved(ops: dict[str, Callable[[], Any]], reps: int, warmup: int) -> dict[str, Series]:
    """Time every op ``warmup + reps`` times, round-robin, rotating the order each repetition so that
    drift and noise hit every implementation alike. Warm-up samples are dropped. An op may return
    ``(returned, expected)``; the worst ratio is kept."""
    names = list(ops)
    out = {name: Series() for name in names}
    clock = time.perf_counter
    for r in range(warmup + reps):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            t0 = clock()
            result = ops[name]()
            dt = (clock() - t0) * 1e3
            if r >= warmup:
                out[name].ms.append(dt)
            out[name].see(result)
    return out


def feed(fn: Callable[[Any], Any], items: list[Any]) -> Callable[[], Any]:
    """An op that calls ``fn`` on the next item each time (every implementation gets the same items)."""
    it = iter(items)
    return lambda: fn(next(it))


class Rotation:
    """Cycles through pre-seeded sessions so that none grows by more than ~10% while it is measured
    (each turn appends 2 messages): a session of n messages serves max(1, n // 20) turns."""

    def __init__(self, sessions: list[Any], per: int) -> None:
        self.sessions, self.per, self.used = sessions, max(1, per), 0

    @staticmethod
    def needed(n_messages: int, ops: int) -> tuple[int, int]:
        per = max(1, n_messages // 20)
        return -(-ops // per), per

    def next(self) -> Any:
        s = self.sessions[(self.used // self.per) % len(self.sessions)]
        self.used += 1
        return s


# -- memory -------------------------------------------------------------------------------------------

INDEX_FIELDS = ("total_index_memory_sz_mb", "vector_index_sz_mb")


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def ft_info(probe: redis.Redis, name: str) -> dict[str, Any]:
    reply = probe.execute_command("FT.INFO", name)
    if isinstance(reply, dict):
        return {_text(k): v for k, v in reply.items()}
    return {_text(reply[i]): reply[i + 1] for i in range(0, len(reply) - 1, 2)}


def index_bytes(probe: redis.Redis, names: list[str]) -> tuple[float, dict[str, float]]:
    """Bytes of the indexes: RediSearch's total_index_memory_sz_mb (inverted index, doc table, key
    table, sortables, tag/text overhead) plus vector_index_sz_mb, which the total leaves out."""
    parts: dict[str, float] = {}
    for name in names:
        try:
            info = ft_info(probe, name)
        except redis.ResponseError:
            continue
        for f in ("inverted_sz_mb", "vector_index_sz_mb", "doc_table_size_mb", "key_table_size_mb",
                  "sortable_values_size_mb", "offset_vectors_sz_mb", "tag_overhead_sz_mb", "text_overhead_sz_mb",
                  "total_index_memory_sz_mb"):  # fmt: skip
            parts[f] = parts.get(f, 0.0) + float(_text(info.get(f, 0)) or 0) * 1024 * 1024
    return sum(parts.get(f, 0.0) for f in INDEX_FIELDS), parts


def keys_bytes(probe: redis.Redis, prefix: str) -> tuple[int, int]:
    """(sum of MEMORY USAGE ... SAMPLES 0, number of keys) under ``prefix``."""
    total, n = 0, 0
    for batch in _scan(probe, prefix):
        pipe = probe.pipeline(transaction=False)
        for key in batch:
            pipe.memory_usage(key, samples=0)
        total += sum(int(x or 0) for x in pipe.execute())
        n += len(batch)
    return total, n


def used_memory(probe: redis.Redis) -> int:
    wait_lazyfree(probe)
    time.sleep(0.1)
    return int(probe.info("memory")["used_memory"])


def _scan(probe: redis.Redis, prefix: str) -> Any:
    cursor = 0
    while True:
        cursor, keys = probe.scan(cursor, match=prefix + "*", count=5000)
        if keys:
            yield keys
        if cursor == 0:
            break


def wait_lazyfree(probe: redis.Redis) -> None:
    for _ in range(600):
        if int(probe.info("memory").get("lazyfree_pending_objects", 0)) == 0:
            return
        time.sleep(0.05)


def cleanup(probe: redis.Redis, prefix: str) -> int:
    """FT.DROPINDEX every index named ``prefix...``, then UNLINK every key under ``prefix``."""
    for name in probe.execute_command("FT._LIST"):
        if _text(name).startswith(prefix):
            probe.execute_command("FT.DROPINDEX", name)
    n = 0
    for batch in _scan(probe, prefix):
        n += probe.unlink(*batch)
    wait_lazyfree(probe)
    return n


# -- a private server ----------------------------------------------------------------------------------


PORTS: list[int] = []  # where private servers may listen (``--ports``); empty: any free port


def _free_port() -> int:
    for port in PORTS or [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError(f"no free port among {PORTS[0]}-{PORTS[-1]} for a private Redis Stack")


class PrivateServer:
    """redis-server + RedisJSON + RediSearch from ``scripts/redis-stack.sh paths``, on a free port (of
    ``PORTS`` when set), no persistence; stopped (by its own pid) on ``stop``."""

    def __init__(self) -> None:
        out = subprocess.run(
            ["bash", str(ROOT / "scripts" / "redis-stack.sh"), "paths"], capture_output=True, text=True, check=True
        ).stdout
        paths = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="bench-redis-")
        env = {**os.environ, "LD_LIBRARY_PATH": paths.get("LD_LIBRARY_PATH", "")}
        args = [paths["REDIS_SERVER"], "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", self.dir, "--loadmodule", paths["MOD_JSON"],
                "--loadmodule", paths["MOD_SEARCH"]]  # fmt: skip
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        client.close()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


# -- the machine -----------------------------------------------------------------------------------------

PACKAGES = (
    "langchain-sessionmem", "langchain-core", "langchain-redis", "redisvl", "langchain-community", "redis",
    "hiredis", "numpy", "matplotlib",
)  # fmt: skip


def cpu_and_ram() -> tuple[str, str]:
    """The CPU model and the RAM size, as Linux reports them ("?" when it does not)."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        ram = f"{int(Path('/proc/meminfo').read_text().split()[1]) / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        ram = "?"
    return cpu, ram


def environment(probe: redis.Redis) -> dict[str, Any]:
    cpu, ram = cpu_and_ram()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info = probe.info("server")
    modules = ", ".join(f"{_text(m[b'name'])} {_version(int(m[b'ver']))}" for m in probe.module_list())
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{cpu}, {cores} cores usable ({os.cpu_count()} online), {ram} RAM, "
        f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "server": f"Redis {info['redis_version']}, modules {modules}",
        "packages": versions,
        "git": _git(),
    }


def _version(v: int) -> str:
    return f"{v // 10000}.{v // 100 % 100}.{v % 100}"


def _git() -> str:
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "langchain_sessionmem"],
                               capture_output=True, text=True)  # fmt: skip
        return rev.stdout.strip() + (" + uncommitted changes in langchain_sessionmem/" if dirty.stdout.strip() else "")
    except OSError:
        return "?"
