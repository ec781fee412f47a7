"""Side-by-side benchmark of Redis chat histories for LangChain (issue 5), in one run on one server.

Run: ``REDIS_URL=redis://127.0.0.1:6403/0 python -m benchmarks.compare [--quick|--full] [--out benchmarks/results]``
(``--spawn-server`` starts a private Redis Stack on a free port instead, and stops it at the end).
Progress goes to stderr, the summary table to stdout; the results are written to ``<out>/compare.md``,
``compare.json`` and ``compare_*.png`` (``compare_quick*`` in quick mode).

Implementations (``benchmarks/_impls.py``, one adapter each, used as their documentation shows):

- ``sessionmem``: this package, ``RedisSessionMemory(client=..., config=SessionMemConfig(key_prefix=...))``
  with its defaults (no TTL, no embeddings except in the vector workloads), as a memory that has read each
  session once before it is measured (its read cache holds it); ``sessionmem-cold`` is the same with
  ``read_cache_messages=0``: every read is a first read, as in a worker that never served the session. (A
  fresh memory per turn would also charge building a memory and its clients, which a deployment does once
  per process, not per turn.)
- ``langchain-redis``: ``langchain_redis.RedisChatMessageHistory`` (given a RESP2 client, see the notes);
- ``redisvl``: ``redisvl.extensions.message_history.MessageHistory`` behind a 20-line LangChain adapter;
- ``redisvl-semantic``: ``SemanticMessageHistory`` (same adapter; a deterministic offline vectorizer);
- ``langchain-community``: ``langchain_community.chat_message_histories.RedisChatMessageHistory``;
- ``floor``: the fewest round trips a careful hand-written redis-py implementation needs for the same
  durable, ordered, per-message storage (issue 15). Chat: one RedisJSON document per message
  (``message_to_dict``) plus a per-session LIST of their numbers; read = one script doing LRANGE + JSON.MGET
  (1 round trip) + ``messages_from_dict``; append = one script (JSON.SET each document, RPUSH its number;
  the server numbers them); get_recent(10) = the read script from -10; the async floor is the same on
  ``redis.asyncio``. KNN: the same documents plus a HASH per message (``user`` tag, FLOAT32 ``v``) under a
  FLAT COSINE index; filtered KNN = one script: ``FT.SEARCH idx "(@user:{u})=>[KNN 5 @v $vec]" NOCONTENT``
  then JSON.MGET of the hits' documents (1 round trip); ``floor-hash`` (shown beside it) keeps the JSON in the
  vector HASH: one FT.SEARCH ``RETURN 1 content``. Memory: the chat floor's keys without vectors; with vectors
  ``floor-hash``, the smallest layout (``floor-script``, the KNN floor's layout, shown beside it).

Workloads:

a. chat turn = read the whole history + append a human and an AI message, at 10 / 100 / 1,000 / 5,000
   stored messages (sessions seeded through each implementation's API, one exchange per call, then read
   once), for a memory that has read the session and for one that never has (``sessionmem-cold``);
b. get_recent(10) at the same lengths (``messages[-10:]`` where the library has no such call);
   ``sessionmem-cold`` is get_recent(10) on a session never read before;
c. memory per message without vectors and with 384- and 1536-dim vectors, indexes included, each
   implementation on a fresh private server of its own (the order of implementations cannot change a figure);
d. filtered KNN k=5 for one user among 100,000 messages of 1,000 users (query embedded by each);
e. throughput: 16 threads (sync API) and 16 asyncio tasks (async API), each on short sessions: it starts on an
   empty session and moves to a new one when it holds 50 messages, doing turns for a fixed time;
f. one ``RunnableWithMessageHistory`` turn (prompt with MessagesPlaceholder + a fake chat model), the
   factory building the history per call as RunnableWithMessageHistory does, at 100 and 1,000 messages.

Measurement: one process, one server (plus the fresh ones of (c); ``--ports 6451-6469`` or ``BENCH_PORTS``
confines private servers to a port range); operations are interleaved (each repetition runs every
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

from benchmarks import _harness, _report
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
    ScriptVectorFloor,
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
    small_reps: int  # repetitions at <= 100 messages, where a call is short and noise weighs most
    dims: int = 384
    mem_dims: tuple[int, ...] = (384, 1536)


MODES = {
    "quick": Params("quick", (10, 100, 1000), reps=8, warmup=2, cost_ops=2, mem_sessions=20,
                    mem_per_session=100, knn_users=50, knn_per_user=100, knn_queries=40, tp_workers=16,
                    tp_seconds=1.0, tp_reps=2, chain_sizes=(100, 1000), small_reps=40),
    "full": Params("full", (10, 100, 1000, 5000), reps=40, warmup=5, cost_ops=5, mem_sessions=100,
                   mem_per_session=100, knn_users=1000, knn_per_user=100, knn_queries=200, tp_workers=16,
                   tp_seconds=1.5, tp_reps=6, chain_sizes=(100, 1000), small_reps=150),
}  # fmt: skip

# Key prefix tags: none is a prefix of another (RediSearch and redisvl match index prefixes as strings).
TAGS = {
    Floor: "fl", SessionMem: "sm", SessionMemNoCache: "nc", LangchainRedis: "lcr", RedisVL: "rvl",
    SemanticRedisVL: "srvl", LangchainCommunity: "lcc", VectorFloor: "vfl", ScriptVectorFloor: "sfl",
}  # fmt: skip


def make(cls: type[Impl], env: Env, group: str, emb: BenchEmbeddings | None = None, as_floor: bool = False) -> Impl:
    """An implementation under ``PREFIX + group + its tag``; ``as_floor``: named ``floor`` (the ratios' base)."""
    prefix = f"{PREFIX}{group}{TAGS[cls]}:"
    if cls in (SemanticRedisVL, VectorFloor, ScriptVectorFloor):
        impl = cls(env, prefix, emb)  # type: ignore[call-arg]
    elif cls is SessionMem and emb is not None:
        impl = SessionMem(env, prefix, emb)
    else:
        impl = cls(env, prefix)
    if as_floor:
        impl.name = "floor"
    return impl


def chat_impls(env: Env, emb: BenchEmbeddings) -> list[Impl]:
    """The floor; this package as a memory that has read the session (``sessionmem``) and as one that never
    has (``sessionmem-cold``: ``read_cache_messages=0``, so every read is a first read, as in a worker that
    did not serve the session before; a fresh memory per turn would also charge building the memory and its
    clients, which a deployment does once per process); then the other libraries."""
    classes: list[type[Impl]] = [Floor, SessionMem, LangchainRedis, RedisVL, SemanticRedisVL, LangchainCommunity]
    if SessionMemNoCache.available():
        classes.insert(2, SessionMemNoCache)
    return [make(cls, env, "", emb if cls is SemanticRedisVL else None) for cls in classes]


def reps(p: Params, n: int) -> Params:
    """``p`` with the repetitions for sessions of n messages."""
    return dataclasses.replace(p, reps=p.small_reps if n <= 100 else p.reps)


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
    for n in p.sizes:
        pn = reps(p, n)
        total = pn.warmup + pn.reps + pn.cost_ops
        count, per = Rotation.needed(n, total)
        t0 = time.perf_counter()
        rotations = {}
        for impl in impls:
            sessions = []
            for j in range(count):
                s = impl.session(f"u{n}", f"s{j}")
                s.seed(conversation(n), batch=2)  # one exchange per call, as a chat writes
                _ = s.history.messages  # read once: a memory with a read cache has now read the session
                sessions.append(s)
            rotations[impl.name] = Rotation(sessions, per)
        log(f"  {n:>5} messages: seeded {count} session(s) per implementation in {time.perf_counter() - t0:.1f}s")
        pairs = [turn_pair(10**6 + i) for i in range(total)]
        ops: dict[str, Callable[[], Any]] = {
            impl.name: feed(lambda pair, rot=rotations[impl.name]: rot.next().turn(pair), pairs) for impl in impls
        }
        turns[n] = measure(ops, pn, probe)
        recent_ops: dict[str, Callable[[], Any]] = {
            impl.name: (lambda s=rotations[impl.name].sessions[0]: s.recent(10)) for impl in impls
        }
        recents[n] = measure(recent_ops, pn, probe)
        for impl in impls:
            turns[n][impl.name].note = rotations[impl.name].sessions[0].check()
        log(f"  {n:>5} messages: " + ", ".join(f"{k} {v.median:.2f}" for k, v in turns[n].items()) + " ms/turn")
    return turns, recents


# -- (c) memory ---------------------------------------------------------------------------------------------


def memory_workload(p: Params, protocol: int | None) -> dict[str, dict[str, dict[str, float]]]:
    """Each implementation loads the same messages into a fresh private server of its own (index
    created first), so that nothing another implementation left (allocator state, module caches,
    lazily freed keys) can move its figure: the order of implementations cannot change a figure."""
    n = p.mem_sessions * p.mem_per_session
    variants: list[tuple[str, list[type[Impl]], BenchEmbeddings | None]] = [
        ("no vectors", [Floor, SessionMem, LangchainRedis, RedisVL, LangchainCommunity], None)
    ]
    for dims in p.mem_dims:
        emb = BenchEmbeddings(dims)
        variants.append((f"{dims}-d vectors", [VectorFloor, ScriptVectorFloor, SessionMem, SemanticRedisVL], emb))
    out: dict[str, dict[str, dict[str, float]]] = {}
    for label, classes, emb in variants:
        out[label] = {}
        for cls in classes:
            server = PrivateServer()
            probe = redis.Redis.from_url(server.url)
            try:
                impl = make(cls, Env(server.url, protocol), "m-", emb, as_floor=cls is classes[0])
                before = used_memory(probe)  # the (empty) index exists
                for s in range(p.mem_sessions):
                    impl.bulk_write(f"mu{s // 10}", f"ms{s}", conversation(p.mem_per_session, start=s * 1000))
                after = used_memory(probe)
                kb, nkeys = keys_bytes(probe, impl.prefix)
                ib, parts = index_bytes(probe, impl.index_names())
                impl.close()
            finally:
                probe.close()
                server.stop()
            out[label][impl.name] = {
                "keys_per_msg": kb / n,
                "index_per_msg": ib / n,
                "total_per_msg": (kb + ib) / n,
                "used_memory_per_msg": (after - before) / n,
                "keys": nkeys,
                **{f"index.{k}": v / n for k, v in parts.items()},
            }
            log(f"  memory {label}: {impl.name} {(kb + ib) / n:.0f} B/message (used_memory {(after - before) / n:.0f})")
    return out


# -- (d) filtered KNN ----------------------------------------------------------------------------------------


def knn_workload(env: Env, p: Params, probe: redis.Redis) -> dict[str, Any]:
    emb = BenchEmbeddings(p.dims)
    impls = [make(ScriptVectorFloor, env, "k-", emb, as_floor=True)]
    impls += [make(cls, env, "k-", emb) for cls in (VectorFloor, SessionMem, SemanticRedisVL)]
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
SHORT = 50  # throughput sessions grow from 0 to this many messages, then the worker starts a new one


class ShortSessions:
    """One worker's sessions: it starts on an empty session and moves to a new one (made through the
    library's API, as a new conversation is) once the current one holds ``SHORT`` messages."""

    def __init__(self, impl: Impl, user: str) -> None:
        self.impl, self.user, self.count, self.sizes = impl, user, 0, [0]
        self.current = impl.session(user, "c0")

    def _next(self) -> Any:
        if self.current.stored >= SHORT:
            self.count += 1
            self.current = self.impl.session(self.user, f"c{self.count}")
        return self.current

    def turn(self, pair: list[Any]) -> Any:
        return self._next().turn(pair)

    async def aturn(self, pair: list[Any]) -> Any:
        return await self._next().aturn(pair)

    @property
    def messages_written(self) -> int:
        return self.count * SHORT + self.current.stored


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
    """Turns per second of ``tp_workers`` threads (sync API) and as many asyncio tasks (async API), each
    worker on its own short sessions (0 -> ``SHORT`` messages, then a new session); implementations take
    turns, in an order rotated each repetition."""
    out: dict[str, dict[str, Any]] = {"threads": {i.name: [] for i in impls}, "asyncio": {i.name: [] for i in impls}}
    errors: dict[str, str] = {}
    sessions_used: dict[str, list[float]] = {f"{i.name} {kind}": [] for i in impls for kind in ("threads", "asyncio")}

    def workers(impl: Impl, kind: str, rep: int) -> list[ShortSessions]:
        return [ShortSessions(impl, f"tp-{kind}{rep}-w{w}") for w in range(p.tp_workers)]

    def record(impl: Impl, kind: str, ws: list[ShortSessions], rate: float, err: str) -> None:
        out[kind][impl.name].append(rate)
        sessions_used[f"{impl.name} {kind}"].append(sum(w.count + 1 for w in ws) / len(ws))
        if err:
            errors[f"{impl.name} {kind}"] = err

    for rep in range(p.tp_reps):
        for k in range(len(impls)):
            impl = impls[(k + rep) % len(impls)]
            ws = workers(impl, "t", rep)
            record(impl, "threads", ws, *_threads(ws, p.tp_seconds))
        log(f"  threads rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in out["threads"].items()))

    async def run_async() -> None:
        for rep in range(p.tp_reps):
            for k in range(len(impls)):
                impl = impls[(k + rep) % len(impls)]
                ws = workers(impl, "a", rep)
                record(impl, "asyncio", ws, *(await _tasks(ws, p.tp_seconds)))
            log(f"  asyncio rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in out["asyncio"].items()))
        for impl in impls:
            await impl.aclose()

    asyncio.run(run_async())
    return {**out, "errors": errors, "sessions_per_worker": {k: sum(v) / len(v) for k, v in sessions_used.items() if v}}


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
    for n in p.chain_sizes:
        pn = reps(p, n)
        total = pn.warmup + pn.reps + pn.cost_ops
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
        out[n] = measure(ops, pn, probe)
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
            log("(c) memory per message, a fresh server per implementation")
            results["memory"] = memory_workload(p, protocol)
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
    ap.add_argument(
        "--ports",
        default=os.environ.get("BENCH_PORTS", ""),
        help="port range for private servers, e.g. 6451-6469 (default: $BENCH_PORTS, else any free port)",
    )
    args = ap.parse_args()
    if args.ports:
        lo, _, hi = args.ports.partition("-")
        _harness.PORTS[:] = range(int(lo), int(hi or lo) + 1)
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
