"""Side-by-side benchmark of Redis chat histories for LangChain (issue 5), in one run on one server.

Run: ``REDIS_URL=redis://127.0.0.1:6403/0 python -m benchmarks.compare [--quick|--full] [--out benchmarks/results]``
(``--spawn-server`` starts a private Redis Stack on a free port instead, and stops it at the end).
Progress goes to stderr, the summary table to stdout; the results are written to ``<out>/compare.md``,
``compare.json`` and ``compare_*.png`` (``compare_quick*`` in quick mode).

Implementations (``benchmarks/_impls.py``, one adapter each, used as their documentation shows):

- ``sessionmem``: this package, ``RedisSessionMemory(client=..., config=SessionMemConfig(key_prefix=...))``
  with its defaults (no TTL, no embeddings except in the vector workloads); ``sessionmem-nocache`` is the
  same with ``read_cache_messages=0`` (when the package has that setting), so every read decodes everything;
- ``langchain-redis``: ``langchain_redis.RedisChatMessageHistory`` (given a RESP2 client, see the notes);
- ``redisvl``: ``redisvl.extensions.message_history.MessageHistory`` behind a 20-line LangChain adapter;
- ``redisvl-semantic``: ``SemanticMessageHistory`` (same adapter; a deterministic offline vectorizer);
- ``langchain-community``: ``langchain_community.chat_message_histories.RedisChatMessageHistory``;
- ``floor``: the fewest round trips a careful hand-written redis-py implementation needs for the same
  durable semantics. Chat history floor: one LIST per (user, session) of ``message_to_dict`` JSON
  strings; read = LRANGE 0 -1 (1 round trip) + ``messages_from_dict``; append = one RPUSH of both
  messages (1 round trip; an EXPIRE would join it in a pipeline if a TTL were configured for every
  implementation, and none is); get_recent(10) = LRANGE -10 -1. Vector floor: one HASH per message
  (``user`` tag, ``session`` tag, ``content`` = message_to_dict JSON, ``v`` FLOAT32 vector) + an FT index
  (FLAT, COSINE); filtered KNN = one ``FT.SEARCH idx "(@user:{u})=>[KNN 5 @v $vec]" PARAMS 2 vec <blob>
  RETURN 1 content DIALECT 2`` (1 round trip) + ``messages_from_dict`` of the 5 hits. Memory floor: the
  LIST's bytes without vectors; HASH + index bytes with vectors.

Workloads:

a. chat turn = read the whole history + append a human and an AI message, at 10 / 100 / 1,000 / 5,000
   stored messages (sessions seeded through each implementation's API, one exchange per call);
b. get_recent(10) at the same lengths (``messages[-10:]`` where the library has no such call);
c. memory per message without vectors and with 384- and 1536-dim vectors, indexes included;
d. filtered KNN k=5 for one user among 100,000 messages of 1,000 users (query embedded by each);
e. throughput: 16 threads (sync API) and 16 asyncio tasks (async API), each on its own session of 100
   messages doing turns for a fixed time;
f. one ``RunnableWithMessageHistory`` turn (prompt with MessagesPlaceholder + a fake chat model), the
   factory building the history per call as RunnableWithMessageHistory does, at 100 and 1,000 messages.

Measurement: one process, one server; operations are interleaved (each repetition runs every
implementation once, in an order rotated each repetition); warm-up repetitions are dropped; medians
and p99 in ms, and each divided by the floor's (ratio < 1 is faster than the floor). A session serves at
most n/20 turns before the next pre-seeded one takes over, so no history grows by more than ~10% while
it is measured. Round trips per operation are counted by wrapping ``send_packed_command`` of every
redis-py connection class, sync and asyncio (a pipeline is one); server commands per operation are the
``INFO commandstats`` delta over a few extra operations (commands run inside Lua scripts and by modules
count), minus the INFO call itself. Every read reports how many messages came back against how many
were stored; a full read is also compared with what was written (order included).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import redis
from langchain_core.language_models import FakeListChatModel
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import RunnableLambda

from benchmarks import _report
from benchmarks._harness import (
    PrivateServer,
    Rotation,
    Series,
    cleanup,
    costs,
    environment,
    feed,
    index_bytes,
    install_round_trip_counter,
    interleaved,
    keys_bytes,
    log,
    used_memory,
)
from benchmarks._impls import (
    KNN_SESSION,
    PREFIX,
    BenchEmbeddings,
    Env,
    Floor,
    Impl,
    LangchainCommunity,
    LangchainRedis,
    RedisVL,
    SemanticRedisVL,
    SessionMem,
    SessionMemNoCache,
    VectorFloor,
    conversation,
    turn_pair,
)


@dataclass(frozen=True)
class Params:
    mode: str
    sizes: tuple[int, ...]
    reps: int
    warmup: int
    cost_ops: int
    mem_sessions: int
    mem_per_session: int
    knn_users: int
    knn_per_user: int
    knn_queries: int
    tp_workers: int
    tp_seconds: float
    tp_reps: int
    chain_sizes: tuple[int, ...]
    dims: int = 384
    mem_dims: tuple[int, ...] = (384, 1536)


MODES = {
    "quick": Params("quick", (10, 100, 1000), reps=6, warmup=2, cost_ops=2, mem_sessions=20,
                    mem_per_session=100, knn_users=50, knn_per_user=100, knn_queries=30, tp_workers=16,
                    tp_seconds=1.0, tp_reps=1, chain_sizes=(100, 1000)),
    "full": Params("full", (10, 100, 1000, 5000), reps=40, warmup=5, cost_ops=5, mem_sessions=100,
                   mem_per_session=100, knn_users=1000, knn_per_user=100, knn_queries=200, tp_workers=16,
                   tp_seconds=1.5, tp_reps=6, chain_sizes=(100, 1000)),
}  # fmt: skip

# Key prefix tags: none is a prefix of another (RediSearch and redisvl match index prefixes as strings).
TAGS = {
    Floor: "fl", SessionMem: "sm", SessionMemNoCache: "nc", LangchainRedis: "lcr", RedisVL: "rvl",
    SemanticRedisVL: "srvl", LangchainCommunity: "lcc", VectorFloor: "vfl",
}  # fmt: skip


def make(cls: type[Impl], env: Env, group: str, emb: BenchEmbeddings | None = None) -> Impl:
    prefix = f"{PREFIX}{group}{TAGS[cls]}:"
    if cls in (SemanticRedisVL, VectorFloor):
        return cls(env, prefix, emb)  # type: ignore[call-arg]
    if cls is SessionMem and emb is not None:
        return SessionMem(env, prefix, emb)
    return cls(env, prefix)


def chat_impls(env: Env, emb: BenchEmbeddings) -> list[Impl]:
    classes: list[type[Impl]] = [Floor, SessionMem, LangchainRedis, RedisVL, SemanticRedisVL, LangchainCommunity]
    if SessionMemNoCache.available():  # the read cache is new: compare with it off too
        classes.insert(2, SessionMemNoCache)
    return [make(cls, env, "", emb if cls is SemanticRedisVL else None) for cls in classes]


def measure(ops: dict[str, Callable[[], Any]], p: Params, probe: redis.Redis) -> dict[str, Series]:
    """The timing loop, then round trips and server commands of a few more calls of each op."""
    series = interleaved(ops, p.reps, p.warmup)
    for name, op in ops.items():
        series[name].round_trips, series[name].commands = costs(op, p.cost_ops, probe)
    return series


# -- (a) turn and (b) get_recent ---------------------------------------------------------------------------


def chat_workloads(impls: list[Impl], p: Params, probe: redis.Redis) -> tuple[dict, dict]:
    turns: dict[int, dict[str, Series]] = {}
    recents: dict[int, dict[str, Series]] = {}
    total = p.warmup + p.reps + p.cost_ops
    for n in p.sizes:
        count, per = Rotation.needed(n, total)
        t0 = time.perf_counter()
        rotations = {}
        for impl in impls:
            sessions = []
            for j in range(count):
                s = impl.session(f"u{n}", f"s{j}")
                s.seed(conversation(n), batch=2)  # one exchange per call, as a chat writes
                sessions.append(s)
            rotations[impl.name] = Rotation(sessions, per)
        log(f"  {n:>5} messages: seeded {count} session(s) per implementation in {time.perf_counter() - t0:.1f}s")
        pairs = [turn_pair(10**6 + i) for i in range(total)]
        ops: dict[str, Callable[[], Any]] = {
            impl.name: feed(lambda pair, rot=rotations[impl.name]: rot.next().turn(pair), pairs) for impl in impls
        }
        turns[n] = measure(ops, p, probe)
        recent_ops: dict[str, Callable[[], Any]] = {
            impl.name: (lambda s=rotations[impl.name].sessions[0]: s.recent(10)) for impl in impls
        }
        recents[n] = measure(recent_ops, p, probe)
        for impl in impls:
            turns[n][impl.name].note = rotations[impl.name].sessions[0].check()
        log(f"  {n:>5} messages: " + ", ".join(f"{k} {v.median:.2f}" for k, v in turns[n].items()) + " ms/turn")
    return turns, recents


# -- (c) memory ---------------------------------------------------------------------------------------------


def memory_workload(env: Env, p: Params, probe: redis.Redis) -> dict[str, dict[str, dict[str, float]]]:
    n = p.mem_sessions * p.mem_per_session
    variants: list[tuple[str, list[type[Impl]], BenchEmbeddings | None]] = [
        ("no vectors", [Floor, SessionMem, LangchainRedis, RedisVL, LangchainCommunity], None)
    ]
    for dims in p.mem_dims:
        variants.append((f"{dims}-d vectors", [VectorFloor, SessionMem, SemanticRedisVL], BenchEmbeddings(dims)))
    out: dict[str, dict[str, dict[str, float]]] = {}
    for label, classes, emb in variants:
        out[label] = {}
        for cls in classes:
            group = "m" + ("0" if emb is None else str(emb.dims)) + "-"
            impl = make(cls, env, group, emb)  # creates its (empty) index before the baseline
            before = used_memory(probe)
            for s in range(p.mem_sessions):
                impl.bulk_write(f"mu{s // 10}", f"ms{s}", conversation(p.mem_per_session, start=s * 1000))
            after = used_memory(probe)
            kb, nkeys = keys_bytes(probe, impl.prefix)
            ib, parts = index_bytes(probe, impl.index_names())
            out[label][impl.name] = {
                "keys_per_msg": kb / n,
                "index_per_msg": ib / n,
                "total_per_msg": (kb + ib) / n,
                "used_memory_per_msg": (after - before) / n,
                "keys": nkeys,
                **{f"index.{k}": v / n for k, v in parts.items()},
            }
            cleanup(probe, impl.prefix)
            impl.close()
            log(f"  memory {label}: {impl.name} {(kb + ib) / n:.0f} B/message (used_memory {(after - before) / n:.0f})")
    return out


# -- (d) filtered KNN ----------------------------------------------------------------------------------------


def knn_workload(env: Env, p: Params, probe: redis.Redis) -> dict[str, Any]:
    emb = BenchEmbeddings(p.dims)
    impls = [make(cls, env, "k-", emb) for cls in (VectorFloor, SessionMem, SemanticRedisVL)]
    users = [f"user{u:04d}" for u in range(p.knn_users)]
    load_s = {}
    for impl in impls:
        t0 = time.perf_counter()
        for i, user in enumerate(users):
            impl.bulk_write(user, KNN_SESSION, conversation(p.knn_per_user, start=i * p.knn_per_user))
        load_s[impl.name] = time.perf_counter() - t0
        log(f"  knn: loaded {len(users) * p.knn_per_user:,} messages into {impl.name} in {load_s[impl.name]:.1f}s")
    rng = random.Random(5)
    total = p.warmup + p.knn_queries + p.cost_ops
    queries = [(rng.choice(users), f"how long should I rest the dough for recipe {rng.randint(0, 10**5)}?")
               for _ in range(total)]  # fmt: skip
    ops: dict[str, Callable[[], Any]] = {
        impl.name: feed(lambda q, impl=impl: (impl.knn(q[0], q[1], 5), 5), queries) for impl in impls
    }
    series = measure(ops, dataclasses.replace(p, reps=p.knn_queries), probe)
    for impl in impls:
        cleanup(probe, impl.prefix)
        impl.close()
    return {"messages": len(users) * p.knn_per_user, "users": len(users), "load_s": load_s, "series": series}


# -- (e) throughput --------------------------------------------------------------------------------------------

PAIR = turn_pair(7)


def _threads(sessions: list[Any], seconds: float) -> tuple[float, str]:
    counts = [0] * len(sessions)
    errors: list[str] = []
    barrier = threading.Barrier(len(sessions) + 1)
    end = [0.0]

    def work(i: int) -> None:
        barrier.wait()
        n = 0
        try:
            while time.perf_counter() < end[0]:
                sessions[i].turn(PAIR)
                n += 1
        except Exception as exc:  # a failure is reported, not hidden
            errors.append(repr(exc)[:120])
        counts[i] = n

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(sessions))]
    for t in threads:
        t.start()
    end[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - t0), (errors[0] if errors else "")


async def _tasks(sessions: list[Any], seconds: float) -> tuple[float, str]:
    end = time.perf_counter() + seconds
    errors: list[str] = []

    async def work(s: Any) -> int:
        n = 0
        try:
            while time.perf_counter() < end:
                await s.aturn(PAIR)
                n += 1
        except Exception as exc:
            errors.append(repr(exc)[:120])
        return n

    t0 = time.perf_counter()
    counts = await asyncio.gather(*(work(s) for s in sessions))
    return sum(counts) / (time.perf_counter() - t0), (errors[0] if errors else "")


def throughput_workload(impls: list[Impl], p: Params) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {"threads": {i.name: [] for i in impls}, "asyncio": {i.name: [] for i in impls}}
    errors: dict[str, str] = {}
    sizes: dict[str, list[float]] = {f"{i.name} {kind}": [] for i in impls for kind in ("threads", "asyncio")}

    def fresh(impl: Impl, kind: str, rep: int) -> list[Any]:
        sessions = [impl.session(f"tp-{kind}{rep}", f"w{w}") for w in range(p.tp_workers)]
        for s in sessions:
            s.seed(conversation(100), batch=100)
        return sessions

    for rep in range(p.tp_reps):
        for k in range(len(impls)):
            impl = impls[(k + rep) % len(impls)]
            sessions = fresh(impl, "t", rep)
            rate, err = _threads(sessions, p.tp_seconds)
            out["threads"][impl.name].append(rate)
            sizes[f"{impl.name} threads"].append(sum(s.stored for s in sessions) / len(sessions))
            if err:
                errors[f"{impl.name} threads"] = err
        log(f"  threads rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in out["threads"].items()))

    async def run_async() -> None:
        for rep in range(p.tp_reps):
            for k in range(len(impls)):
                impl = impls[(k + rep) % len(impls)]
                sessions = fresh(impl, "a", rep)
                rate, err = await _tasks(sessions, p.tp_seconds)
                out["asyncio"][impl.name].append(rate)
                sizes[f"{impl.name} asyncio"].append(sum(s.stored for s in sessions) / len(sessions))
                if err:
                    errors[f"{impl.name} asyncio"] = err
            log(f"  asyncio rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in out["asyncio"].items()))
        for impl in impls:
            await impl.aclose()

    asyncio.run(run_async())
    return {**out, "errors": errors, "final_size": {k: sum(v) / len(v) for k, v in sizes.items() if v}}


# -- (f) RunnableWithMessageHistory -------------------------------------------------------------------------


class _ChainSession:
    def __init__(self, user: str, session: str, stored: int) -> None:
        self.user, self.session, self.stored = user, session, stored


def chain_workload(impls: list[Impl], p: Params, probe: redis.Redis) -> dict[int, dict[str, Series]]:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a concise chef."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    seen = [0]

    def capture(value: Any) -> Any:  # how many history messages reached the model
        seen[0] = len(value.to_messages()) - 2
        return value

    model = FakeListChatModel(responses=["Rest it for 30 minutes, covered with a damp cloth."])
    chain = prompt | RunnableLambda(capture) | model
    keys = {"input_messages_key": "question", "history_messages_key": "history"}
    out: dict[int, dict[str, Series]] = {}
    total = p.warmup + p.reps + p.cost_ops
    for n in p.chain_sizes:
        count, per = Rotation.needed(n, total)
        ops: dict[str, Callable[[], Any]] = {}
        for impl in impls:
            for label, (runnable, config) in impl.chains(chain, **keys).items():
                sessions = []
                for j in range(count):
                    impl.session(f"c{n}", f"{label}-{j}").seed(conversation(n), batch=2)
                    sessions.append(_ChainSession(f"c{n}", f"{label}-{j}", n))
                rot = Rotation(sessions, per)

                def op(rot: Rotation = rot, runnable: Any = runnable, config: Any = config) -> tuple[int, int]:
                    s = rot.next()
                    expected = s.stored
                    runnable.invoke({"question": "And how long for the second rise?"}, config=config(s.user, s.session))
                    s.stored += 2
                    return seen[0], expected

                ops[label] = op
        out[n] = measure(ops, p, probe)
        log(f"  chain {n:>5} messages: " + ", ".join(f"{k} {v.median:.2f}" for k, v in out[n].items()) + " ms")
    return out


# -- main -----------------------------------------------------------------------------------------------------


def run(p: Params, url: str, protocol: int | None, only: set[str]) -> dict[str, Any]:
    """Every workload (or those in ``only``) against one server; everything under PREFIX is removed after,
    also on failure."""
    started = time.perf_counter()
    install_round_trip_counter()
    env = Env(url, protocol)
    probe = redis.Redis.from_url(url)
    log(f"compare ({p.mode} mode) on {url}: cleaning {PREFIX}*")
    cleanup(probe, PREFIX)
    try:
        results: dict[str, Any] = {"params": asdict(p), "environment": environment(probe), "protocol": protocol}
        impls = chat_impls(env, BenchEmbeddings(p.dims))
        results["impls"] = {
            i.name: {"label": i.label, "async": i.async_api, "recent": i.recent_api, "storage": i.key_type,
                     "notes": i.notes}
            for i in impls
        }  # fmt: skip
        if not only or "turn" in only:
            log("(a) turn, (b) get_recent(10)")
            results["turn"], results["recent"] = chat_workloads(impls, p, probe)
        if not only or "chain" in only:
            log("(f) RunnableWithMessageHistory turn")
            results["chain"] = chain_workload(impls, p, probe)
        if not only or "throughput" in only:
            log(f"(e) throughput: {p.tp_workers} threads / {p.tp_workers} asyncio tasks, {p.tp_seconds}s x {p.tp_reps}")
            results["throughput"] = throughput_workload(impls, p)
        for impl in impls:
            impl.close()
        cleanup(probe, PREFIX)
        if not only or "memory" in only:
            log("(c) memory per message")
            results["memory"] = memory_workload(env, p, probe)
        if not only or "knn" in only:
            log(f"(d) filtered KNN k=5, {p.knn_users * p.knn_per_user:,} messages of {p.knn_users:,} users")
            results["knn"] = knn_workload(env, p, probe)
        results["wall_s"] = time.perf_counter() - started
        return results
    finally:
        cleanup(probe, PREFIX)  # FT.DROPINDEX of every bench-cmp index, UNLINK of every bench-cmp: key
        probe.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", dest="mode", action="store_const", const="quick", help="< 2 min (default)")
    g.add_argument("--full", dest="mode", action="store_const", const="full", help="< 15 min")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"), help="results folder")
    ap.add_argument("--protocol", type=int, choices=(2, 3), default=None, help="RESP version (default: redis-py's)")
    ap.add_argument("--spawn-server", action="store_true", help="start a private Redis Stack instead of REDIS_URL")
    ap.add_argument("--only", default="", help="comma-separated workloads: turn,memory,knn,throughput,chain")
    args = ap.parse_args()
    p = MODES[args.mode or "quick"]
    server = PrivateServer() if args.spawn_server else None
    url = server.url if server else os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    try:
        results = run(p, url, args.protocol, set(filter(None, args.only.split(","))))
    finally:
        if server:
            server.stop()
    paths = _report.write(results, Path(args.out), suffix="" if p.mode == "full" else "_quick")
    print(_report.summary(results))
    log(f"done in {results['wall_s']:.0f}s: " + ", ".join(str(x) for x in paths))


if __name__ == "__main__":
    main()
