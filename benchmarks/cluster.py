"""A turn and a history read on the Redis Cluster vs one Redis node, in one interleaved run.

    python -m benchmarks.cluster         # needs REDIS_URL and REDIS_CLUSTER_URL (make bench-cluster)

Prints medians and p99 of each (ms) and their cluster / single ratios, memory per message
(used_memory delta on the single node, without and with a 384-d vector), turns per second with 8
writer threads, and the server time one turn's script takes (which bounds a primary's turns/s).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid

import redis
from langchain_core.messages import AIMessage, HumanMessage
from redis.cluster import RedisCluster

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem.testing import HashingEmbeddings

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def _turn(i: int) -> list[HumanMessage | AIMessage]:
    return [HumanMessage(f"question {i}: what goes well with roasted pumpkin?"),
            AIMessage(f"answer {i}: sage, brown butter and a little lemon zest.")]  # fmt: skip


def latency(memory: RedisSessionMemory, user: str, i: int) -> tuple[float, float]:
    h = memory.history(user, "s")
    t0 = time.perf_counter()
    h.add_messages(_turn(i))
    t1 = time.perf_counter()
    fresh = RedisSessionMemory(memory._backend._url, config=memory.config)  # no read cache: a full read
    fresh._backend._client = memory._backend.client
    fresh.history(user, "s").get_recent(10)
    return t1 - t0, time.perf_counter() - t1


def throughput(url: str, config: SessionMemConfig, seconds: float = 5.0, threads: int = 8) -> float:
    stop, count = threading.Event(), [0] * threads

    def run(k: int) -> None:
        memory = RedisSessionMemory(url, config=config)
        i = 0
        while not stop.is_set():
            memory.history(f"tp-{k}-{i % 50}", "s").add_messages(_turn(i))
            i += 1
        count[k] = i
        memory.close()

    workers = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join()
    return sum(count) / seconds


def memory_per_message(url: str, config: SessionMemConfig, dims: int | None, n: int = 5000) -> float:
    """used_memory growth per stored message (index included; with ``dims``, a vector each)."""
    raw = redis.Redis.from_url(url)
    embeddings = HashingEmbeddings(dims) if dims else None
    memory = RedisSessionMemory(url, config=config, embeddings=embeddings)
    memory.setup()
    before = int(raw.info("memory")["used_memory"])
    for u in range(n // 100):
        memory.history(f"mem-{u}", "s").add_messages([m for i in range(50) for m in _turn(i)])
    time.sleep(0.5)  # let the index catch up
    after = int(raw.info("memory")["used_memory"])
    memory.drop_indexes()
    raw.close()
    return (after - before) / n


def server_us_per_turn(cluster_url: str, config: SessionMemConfig) -> tuple[float, float]:
    """(turns/s with 8 client threads, server µs per append script) on the cluster: the second
    bounds what one primary can do (a Redis primary runs scripts on one core)."""
    rc = RedisCluster.from_url(cluster_url.replace("+cluster", "", 1))
    nodes = [redis.Redis(host=n.host, port=n.port) for n in rc.get_primaries()]
    for node in nodes:
        node.config_resetstat()
    rate = throughput(cluster_url, config)
    calls = usec = 0
    for node in nodes:
        stat = node.info("commandstats").get("cmdstat_evalsha", {})
        calls, usec = calls + int(stat.get("calls", 0)), usec + int(stat.get("usec", 0))
        node.close()
    rc.close()
    return rate, usec / max(calls, 1)


def main() -> None:
    single_url, cluster_url = os.environ["REDIS_URL"], os.environ["REDIS_CLUSTER_URL"]
    tag = uuid.uuid4().hex[:8]
    cfg = SessionMemConfig(key_prefix=f"bench{tag}:", index_name=f"bench{tag}:idx")
    single, cluster = RedisSessionMemory(single_url, config=cfg), RedisSessionMemory(cluster_url, config=cfg)
    results: dict[str, dict[str, list[float]]] = {
        "single": {"turn": [], "read": []},
        "cluster": {"turn": [], "read": []},
    }
    for i in range(ROUNDS):  # interleaved, users spread over every primary
        for name, memory in (("single", single), ("cluster", cluster)):
            turn, read = latency(memory, f"u{i % 30}", i)
            results[name]["turn"].append(turn)
            results[name]["read"].append(read)
    print(f"{ROUNDS} rounds; ms median / p99")
    for op in ("turn", "read"):
        s, c = results["single"][op], results["cluster"][op]
        print(f"{op:5} single {statistics.median(s) * 1000:.2f} / {_p(s, 0.99):.2f}   cluster "
              f"{statistics.median(c) * 1000:.2f} / {_p(c, 0.99):.2f}   ratio "
              f"{statistics.median(c) / statistics.median(s):.2f}x / {_p(c, 0.99) / _p(s, 0.99):.2f}x")  # fmt: skip
    # one prefix each: the second memory's setup would otherwise index (and warn about) the first's messages
    plain, vec = (
        memory_per_message(single_url, SessionMemConfig(key_prefix=f"bench{tag}m{d}:"), d or None) for d in (0, 384)
    )
    print(f"memory per message (single node, used_memory delta, index included): {plain:.0f} B; "
          f"with a 384-d FLOAT32 vector: {vec:.0f} B")  # fmt: skip
    tp_single = throughput(single_url, cfg)
    tp_cluster, us = server_us_per_turn(cluster_url, cfg)
    print(f"turns/s, 8 client threads on this machine: single node {tp_single:.0f}, cluster {tp_cluster:.0f}; "
          f"server time per turn {us:.0f} us -> at most {1e6 / us:.0f} turns/s per primary core")  # fmt: skip
    rc = RedisCluster.from_url(cluster_url.replace("+cluster", "", 1))
    for raw in [redis.Redis.from_url(single_url)] + [redis.Redis(host=n.host, port=n.port) for n in rc.get_primaries()]:
        for key in raw.scan_iter(match=f"bench{tag}*", count=1000):
            raw.unlink(key)
        raw.close()
    rc.close()


if __name__ == "__main__":
    main()
