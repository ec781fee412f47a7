"""Retrieval at scale: load time, query latency (p50/p99) and memory per message with vectors.

Run: ``REDIS_URL=... python -m benchmarks.retrieval [--users 1000 --per-user 100 --dims 384,1536 --queries 300]``.

For each configuration (FLOAT32 FLAT at every ``--dims`` value, then the ``--extras``), it:

1. loads ``users x per-user`` messages through the public API (``history(u, s).add_messages`` of one
   session's messages per call, so one ``embed_documents`` call each) and times it;
2. times N queries (random user, random query text), interleaved query by query and in a rotating
   order so machine noise hits every strategy alike:

   - ``embed``     ``embed_query`` alone (the fake embedder below);
   - ``sim``       ``retriever.invoke(q)``, k=5, similarity, user-scoped (retriever built per user);
   - ``sim-e``     ``sim`` minus ``embed`` of the same query;
   - ``sim-kw``    ``retriever.invoke(q, user_id=u)``: the per-call override path the docstring shows;
   - ``hybrid``    ``retriever.invoke(q)`` with search_type="hybrid" (KNN + BM25, fused);
   - ``floor``     plain redis-py ``FT.SEARCH <vec idx> "(@user:{U})=>[KNN 5 @v $vec AS dist]"``:
                   one round trip, no document loading (the floor, ratios are to it);
   - ``floor-pkg`` the retriever's own FT.SEARCH (with its ``@m`` model tag, RETURN, LIMIT), sent
                   by redis-py: what the index costs the package before it loads documents;
   - ``range``     UNFILTERED ``@v:[VECTOR_RANGE 0.3 $vec]`` over every user's vectors, filtered by
                   user client-side, as a message history that does not scope its index query by
                   user must (every hit in range is fetched, ``LIMIT 0 100000``, ``TIMEOUT 0``);
   - ``range0``    the same range query with ``LIMIT 0 0``: the server's scan without the reply.

   Then, per configuration: where a similarity call's time goes (each plan step timed at the
   backend, back to back, not interleaved), and the server-side time per FT.SEARCH of the floor,
   the package's query and the range queries (INFO commandstats delta over 30 queries).

   The query vector blob of ``floor``/``floor-pkg``/``range`` is packed outside the timing.
3. memory: ``INFO memory`` used_memory delta over the load, FT.INFO of both indexes, and
   ``MEMORY USAGE`` of one message document and one vector hash.

The embedder is fake and fast: each text gets a pseudo-random unit vector seeded from a hash of the
text, mixed with a "topic" vector seeded from the topic word the text contains (every generated
text names one of TOPICS), so two texts of a topic have cosine similarity about ``--topic-sim``
(default 0.72, cosine distance 0.28: inside redisvl's default 0.3 range) and texts of different
topics about 0. With ``--topic-sim 0`` vectors are pure noise and a 0.3 range query finds only
exact duplicates. Only keys under ``bench-ret:`` and indexes ``bench-ret*`` are touched; they are
dropped at the start and the end of every configuration.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import os
import platform
import pstats
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import redis
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from benchmarks._harness import cpu_and_ram
from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem._keys import user_digest
from langchain_sessionmem._vectors import fingerprint

PREFIX = "bench-ret:"
INDEX = "bench-ret:idx"
RESULTS = Path(__file__).parent / "results" / "retrieval.md"

# -- text -------------------------------------------------------------------------------------------

TOPICS = (
    "sourdough", "kubernetes", "marathon", "tomatoes", "mortgage", "espresso", "guitar", "python",
    "lisbon", "kayak", "vegetarian", "insomnia", "spreadsheet", "wedding", "puppy", "sauna", "bitcoin",
    "chess", "orchids", "ramen", "thermostat", "violin", "yoga", "bicycle", "passport", "resume",
    "telescope", "pottery", "kimchi", "saxophone", "aquarium", "tattoo", "camping", "laptop", "skiing",
    "podcast", "kombucha", "knitting", "physics", "taxes", "origami", "bonsai", "surfing", "sushi",
    "drone", "crossfit", "lasagna", "wallpaper", "hamster", "tennis",
)  # fmt: skip
_TOPIC_SET = frozenset(TOPICS)
ASKS = (
    "how long should I {v} the {t} before {w}?",
    "what is the best way to {v} my {t} on a {d}?",
    "can you remind me what you said about {t} and {w}?",
    "is it normal that the {t} gets {a} after {n} days?",
    "I tried to {v} the {t} again, it was {a}. ideas?",
    "quick one: {t} or {w} for a {d}?",
    "my friend says {t} needs {n} minutes of {w}, true?",
    "ok so the {t} thing, should I {v} it or wait?",
)
ANSWERS = (
    "For {t}, {v} it for about {n} minutes, then check whether it looks {a}.",
    "Most people {v} their {t} on a {d}; {w} helps if it turns {a}.",
    "Earlier I suggested {n} rounds of {w} for the {t}, and to {v} it gently.",
    "That is fairly common with {t}: after {n} days it can get {a}. Try {w} first.",
    "I would {v} the {t} now rather than wait; {w} can come later.",
    "Good question. {t} is {a} when you {v} it on a {d}, so plan {n} hours for it.",
)
VERBS = ("rest", "water", "clean", "store", "stretch", "tune", "check", "warm", "cool", "fold", "prune", "update")
ADJS = ("sticky", "dry", "loud", "slow", "bitter", "flat", "shiny", "crooked", "soggy", "noisy", "stiff", "pale")
WITHS = ("salt", "stretching", "sunlight", "oil", "patience", "a timer", "cold water", "steam", "music", "a checklist")
DAYS = ("weekday", "weekend", "rainy day", "holiday", "Monday", "long trip", "budget", "deadline")


def fill(rng: random.Random, template: str, topic: str) -> str:
    return template.format(
        t=topic, v=rng.choice(VERBS), a=rng.choice(ADJS), w=rng.choice(WITHS), d=rng.choice(DAYS), n=rng.randint(2, 90)
    )


def session_messages(rng: random.Random, n: int) -> list[BaseMessage]:
    """n alternating human/ai messages about one topic (sometimes a second one)."""
    topic, other = rng.choice(TOPICS), rng.choice(TOPICS)
    out: list[BaseMessage] = []
    for i in range(n):
        t = other if rng.random() < 0.15 else topic
        if i % 2 == 0:
            out.append(HumanMessage(fill(rng, rng.choice(ASKS), t)))
        else:
            out.append(AIMessage(fill(rng, rng.choice(ANSWERS), t)))
    return out


def query_text(rng: random.Random) -> str:
    return fill(rng, rng.choice(ASKS), rng.choice(TOPICS))


# -- the fake embedder -------------------------------------------------------------------------------


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


class SeededEmbeddings(Embeddings):
    """Deterministic unit vectors: noise seeded from the text's hash, plus a topic component
    seeded from the first topic word of the text (cosine ~ ``topic_sim`` within a topic)."""

    def __init__(self, dims: int, topic_sim: float = 0.72) -> None:
        self.dims = dims
        self.model = f"seeded-{dims}-{topic_sim}"
        self._a, self._b = float(np.sqrt(topic_sim)), float(np.sqrt(1.0 - topic_sim))
        self._topics: dict[str, np.ndarray] = {}
        self.seconds = 0.0  # time spent inside embed_* calls
        self.calls = 0

    def _unit(self, seed: int) -> np.ndarray:
        v = np.random.default_rng(seed).standard_normal(self.dims)
        return v / np.linalg.norm(v)

    def _vec(self, text: str) -> list[float]:
        v = self._b * self._unit(_seed(text)) if self._a else self._unit(_seed(text))
        if self._a:
            for word in text.lower().replace("?", " ").replace(",", " ").replace(".", " ").split():
                if word in _TOPIC_SET:
                    tv = self._topics.get(word)
                    if tv is None:
                        tv = self._topics[word] = self._unit(_seed("topic:" + word))
                    v = v + self._a * tv
                    break
            v = v / np.linalg.norm(v)
        return v.tolist()  # type: ignore[no-any-return]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        t0 = time.perf_counter()
        out = [self._vec(t) for t in texts]
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        return out

    def embed_query(self, text: str) -> list[float]:
        t0 = time.perf_counter()
        out = self._vec(text)
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        return out


# -- helpers -----------------------------------------------------------------------------------------


@dataclass
class Conf:
    dtype: str
    algorithm: str
    dims: int

    @property
    def label(self) -> str:
        return f"{self.dtype} {self.algorithm} {self.dims}-d"


@dataclass
class Result:
    conf: Conf
    messages: int = 0
    load_s: float = 0.0
    load_embed_s: float = 0.0
    times: dict[str, list[float]] = field(default_factory=dict)
    round_trips: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    mem: dict[str, float] = field(default_factory=dict)
    range_hits: list[int] = field(default_factory=list)
    agree: int = 0
    range_recall: int = 0
    range_any: int = 0
    breakdown: dict[str, float] = field(default_factory=dict)
    add_ms: list[float] = field(default_factory=list)
    server: dict[str, float] = field(default_factory=dict)
    floor_in_radius: int = 0
    queries: int = 0


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs), p)) if xs else float("nan")


def text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def ft_info(raw: redis.Redis, name: str) -> dict[str, Any]:
    reply = raw.execute_command("FT.INFO", name)
    if isinstance(reply, dict):
        return {text(k): v for k, v in reply.items()}
    return {text(reply[i]): reply[i + 1] for i in range(0, len(reply) - 1, 2)}


def cleanup(raw: redis.Redis) -> int:
    """Drop the bench-ret indexes (FT.DROPINDEX, then) UNLINK every bench-ret: key; waits for lazy free."""
    for name in raw.execute_command("FT._LIST"):
        if text(name).startswith("bench-ret"):
            raw.execute_command("FT.DROPINDEX", name)
    n, cursor = 0, 0
    while True:
        cursor, keys = raw.scan(cursor, match=PREFIX + "*", count=20_000)
        if keys:
            n += raw.unlink(*keys)
        if cursor == 0:
            break
    for _ in range(600):  # wait for lazy free so the next memory delta starts clean
        if int(raw.info("memory").get("lazyfree_pending_objects", 0)) == 0:
            break
        time.sleep(0.1)
    return n


def used_memory(raw: redis.Redis) -> int:
    time.sleep(0.5)
    return int(raw.info("memory")["used_memory"])


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1e3, out


def count_round_trips(memory: RedisSessionMemory, fn: Callable[[], Any]) -> int:
    """Round trips of one call: plan steps that reach Redis (embedding steps do not)."""
    backend = memory._backend
    original = backend.execute
    n = 0

    def counting(*step: Any) -> Any:
        nonlocal n
        if getattr(step[0], "name", "") not in ("EMBED_QUERY", "EMBED_DOCUMENTS"):
            n += 1
        return original(*step)

    backend.execute = counting  # type: ignore[method-assign]
    try:
        fn()
    finally:
        backend.execute = original  # type: ignore[method-assign]
    return n


def machine() -> str:
    cpu, mem = cpu_and_ram()
    return f"{os.cpu_count()} cpu(s) (nproc {nproc()}), {cpu}, {mem} RAM, {platform.system()} {platform.release()}"


def nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def server_versions(raw: redis.Redis) -> str:
    info = raw.info("server")
    mods = ", ".join(f"{text(m[b'name'])} {int(m[b'ver'])}" for m in raw.module_list())
    return f"Redis {info['redis_version']} ({info.get('redis_mode', '?')}), modules: {mods}"


# -- one configuration -------------------------------------------------------------------------------


def load(memory: RedisSessionMemory, emb: SeededEmbeddings, args: argparse.Namespace, res: Result) -> list[str]:
    users = [f"user-{u:05d}@example.com" for u in range(args.users)]
    sessions = max(1, args.per_user // args.session_len)
    rng = random.Random(1234)
    emb.seconds, emb.calls = 0.0, 0
    t0 = time.perf_counter()
    last = t0
    for user in users:
        for s in range(sessions):
            msgs = session_messages(rng, args.session_len)
            history = memory.history(user, f"session-{s}")
            for i in range(0, len(msgs), args.batch):
                ms, _ = timed(lambda h=history, b=msgs[i : i + args.batch]: h.add_messages(b))
                res.add_ms.append(ms)
            res.messages += len(msgs)
        now = time.perf_counter()
        if now - last > 10:
            rate = res.messages / (now - t0)
            print(f"  loaded {res.messages:,} messages ({rate:,.0f}/s)", file=sys.stderr, flush=True)
            last = now
    res.load_s = time.perf_counter() - t0
    res.load_embed_s = emb.seconds
    return users


def profile_load(memory: RedisSessionMemory, users: list[str], args: argparse.Namespace) -> str:
    """cProfile of 100 extra session loads (into throwaway sessions)."""
    rng = random.Random(99)
    prof = cProfile.Profile()
    prof.enable()
    for i in range(100):
        memory.history(users[i % len(users)], f"profile-{i}").add_messages(session_messages(rng, args.session_len))
    prof.disable()
    for i in range(100):
        memory.delete_session(users[i % len(users)], f"profile-{i}")
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(18)
    return out.getvalue()


def profile_retriever(retrievers: dict[str, Any], queries: list[tuple[str, str]]) -> str:
    prof = cProfile.Profile()
    prof.enable()
    for user, q in queries:
        retrievers[user].invoke(q)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(30)
    return out.getvalue()


def run_conf(url: str, raw: redis.Redis, conf: Conf, args: argparse.Namespace) -> tuple[Result, str]:
    res = Result(conf)
    cleanup(raw)
    emb = SeededEmbeddings(conf.dims, args.topic_sim)
    cfg = SessionMemConfig(
        key_prefix=PREFIX,
        index_name=INDEX,
        vector_dims=conf.dims,
        vector_dtype=conf.dtype,  # type: ignore[arg-type]
        vector_algorithm=conf.algorithm,  # type: ignore[arg-type]
    )
    memory = RedisSessionMemory(url, config=cfg, embeddings=emb)
    profiles = ""
    try:
        memory.setup()
        before = used_memory(raw)
        print(f"[{conf.label}] loading {args.users * args.per_user:,} messages ...", file=sys.stderr, flush=True)
        users = load(memory, emb, args, res)
        after = used_memory(raw)
        n = res.messages
        res.mem["used_per_msg"] = (after - before) / n
        res.mem["used_total_mb"] = (after - before) / 2**20
        info_doc, info_vec = ft_info(raw, INDEX), ft_info(raw, cfg.vector_index_name)
        res.mem["num_docs"] = float(info_doc["num_docs"])
        res.mem["num_vecs"] = float(info_vec["num_docs"])
        for tag, info in (("doc", info_doc), ("vec", info_vec)):
            for fld in ("inverted_sz_mb", "vector_index_sz_mb", "offset_vectors_sz_mb", "doc_table_size_mb",
                        "sortable_values_size_mb", "key_table_size_mb", "tag_overhead_sz_mb",
                        "text_overhead_sz_mb", "total_index_memory_sz_mb"):  # fmt: skip
                if fld in info:
                    res.mem[f"{tag}.{fld}"] = float(text(info[fld]))
        probe = memory.history(users[0], "session-0")
        mkey = f"{probe._keys.message_prefix}1"
        vkey = f"{probe._keys.vector_prefix}1"
        res.mem["mu_doc"] = float(raw.memory_usage(mkey, samples=0) or 0)
        res.mem["mu_vec"] = float(raw.memory_usage(vkey, samples=0) or 0)
        print(f"[{conf.label}] loaded in {res.load_s:.1f}s; querying ...", file=sys.stderr, flush=True)
        if args.profile:
            profiles += f"### load profile ({conf.label}, 100 sessions x {args.session_len} messages)\n\n"
            profiles += "```\n" + profile_load(memory, users, args) + "```\n\n"
        query(memory, raw, emb, cfg, users, args, res)
        if args.profile:
            qrng = random.Random(7)
            sample = [(qrng.choice(users), query_text(qrng)) for _ in range(300)]
            rets = {u: memory.as_retriever(user_id=u, k=args.k, search_type="similarity") for u, _ in sample}
            profiles += f"### retriever.invoke profile ({conf.label}, 300 similarity calls)\n\n"
            profiles += "```\n" + profile_retriever(rets, sample) + "```\n\n"
    finally:
        removed = cleanup(raw)
        print(f"[{conf.label}] cleaned up {removed:,} keys", file=sys.stderr, flush=True)
        memory.close()
    return res, profiles


def query(
    memory: RedisSessionMemory,
    raw: redis.Redis,
    emb: SeededEmbeddings,
    cfg: SessionMemConfig,
    users: list[str],
    args: argparse.Namespace,
    res: Result,
) -> None:
    k = args.k
    np_dtype = np.float32 if cfg.vector_dtype == "FLOAT32" else np.float16
    fp = fingerprint(emb, cfg.vector_dims or 0, cfg)
    vidx = cfg.vector_index_name
    sim = {u: memory.as_retriever(user_id=u, k=k, search_type="similarity") for u in users}
    hyb = {u: memory.as_retriever(user_id=u, k=k, search_type="hybrid") for u in users}
    shared = memory.as_retriever(k=k, search_type="similarity")
    rng = random.Random(42)
    range_warnings: set[str] = set()

    def floor(uh: str, blob: bytes) -> list[str]:
        reply = raw.execute_command(
            "FT.SEARCH", vidx, f"(@user:{{{uh}}})=>[KNN {k} @v $vec AS dist]", "PARAMS", 2, "vec", blob,
            "SORTBY", "dist", "RETURN", 1, "dist", "DIALECT", 2,
        )  # fmt: skip
        return [(text(key), float(fields[b"dist"])) for key, fields in hits(reply)[1]]

    def floor_pkg(uh: str, blob: bytes) -> list[str]:
        reply = raw.execute_command(
            "FT.SEARCH", vidx, f"(@user:{{{uh}}} @m:{{{fp}}})=>[KNN {k} @v $vec AS dist]", "PARAMS", 2, "vec", blob,
            "SORTBY", "dist", "ASC", "RETURN", 2, "dist", "ts", "LIMIT", 0, k, "DIALECT", 2,
        )  # fmt: skip
        return [text(key) for key, _ in hits(reply)[1]]

    def ranged(uh: str, blob: bytes) -> tuple[list[str], int]:
        reply = raw.execute_command(
            "FT.SEARCH", vidx, "@v:[VECTOR_RANGE $r $vec]=>{$YIELD_DISTANCE_AS: dist}",
            "PARAMS", 4, "r", args.range, "vec", blob, "SORTBY", "dist", "ASC",
            "RETURN", 2, "user", "dist", "LIMIT", 0, 100_000, "TIMEOUT", 0, "DIALECT", 2,
        )  # fmt: skip
        total, rows = hits(reply)
        if warnings_of(reply):
            range_warnings.update(text(w) for w in warnings_of(reply))
        want = uh.encode()
        mine = [text(key) for key, fields in rows if fields.get(b"user") == want]
        return mine[:k], total

    def ranged_count(blob: bytes) -> int:
        reply = raw.execute_command(
            "FT.SEARCH", vidx, "@v:[VECTOR_RANGE $r $vec]=>{$YIELD_DISTANCE_AS: dist}",
            "PARAMS", 4, "r", args.range, "vec", blob, "LIMIT", 0, 0, "TIMEOUT", 0, "DIALECT", 2,
        )  # fmt: skip
        return hits(reply)[0]

    names = ["embed", "sim", "sim-kw", "hybrid", "floor", "floor-pkg", "range", "range0"]
    times: dict[str, list[float]] = {n: [] for n in [*names, "sim-e"]}

    # warm-up (script load, connections, caches), then the round trip count of each strategy
    u0, q0 = users[0], query_text(rng)
    for _ in range(3):
        sim[u0].invoke(q0), hyb[u0].invoke(q0), shared.invoke(q0, user_id=u0)
    res.round_trips = {
        "sim": count_round_trips(memory, lambda: sim[u0].invoke(q0)),
        "sim-kw": count_round_trips(memory, lambda: shared.invoke(q0, user_id=u0)),
        "hybrid": count_round_trips(memory, lambda: hyb[u0].invoke(q0)),
        "floor": 1,
        "floor-pkg": 1,
        "range": 1,
        "range0": 1,
        "embed": 0,
    }

    for qi in range(args.queries):
        user = rng.choice(users)
        q = query_text(rng)
        uh = user_digest(user)
        blob = np.asarray(emb.embed_query(q), dtype=np_dtype).tobytes()  # outside the timing
        out: dict[str, Any] = {}
        jobs: dict[str, Callable[[], Any]] = {
            "embed": lambda q=q: emb.embed_query(q),
            "sim": lambda u=user, q=q: sim[u].invoke(q),
            "sim-kw": lambda u=user, q=q: shared.invoke(q, user_id=u),
            "hybrid": lambda u=user, q=q: hyb[u].invoke(q),
            "floor": lambda uh=uh, b=blob: floor(uh, b),
            "floor-pkg": lambda uh=uh, b=blob: floor_pkg(uh, b),
            "range": lambda uh=uh, b=blob: ranged(uh, b),
            "range0": lambda b=blob: ranged_count(b),
        }
        order = names[qi % len(names) :] + names[: qi % len(names)]  # rotate who goes first
        for name in order:
            ms, out[name] = timed(jobs[name])
            times[name].append(ms)
        times["sim-e"].append(times["sim"][-1] - times["embed"][-1])
        # sanity: the retriever returns the floor's messages; the range query finds some of them
        got = [(d.metadata["seq"], d.metadata["session_id"]) for d in out["sim"]]
        floor_keys = [key for key, _ in out["floor"]]
        res.agree += int(len(got) == len(floor_keys) and _same(out["sim"], floor_keys, user))
        mine, total = out["range"]
        res.range_hits.append(total)
        in_radius = {key for key, dist in out["floor"] if dist <= args.range}
        res.floor_in_radius += len(in_radius)
        res.range_recall += len(set(mine) & in_radius)
        res.range_any += int(bool(mine))
        res.queries += 1
    res.times = times
    res.breakdown = breakdown(memory, sim, users, args.queries)
    res.server = server_times(raw, vidx, emb, np_dtype, users, fp, args)
    if range_warnings:
        res.notes.append(f"range query warnings: {sorted(range_warnings)}")
    res.notes.append(
        f"k={k}; floor agreement (retriever returned the floor's {k} messages): {res.agree}/{res.queries}; "
        f"range (d): median {int(np.median(res.range_hits)):,} hits (all users) returned per query; "
        f"{res.range_any}/{res.queries} queries left at least one hit of the user after client-side filtering; "
        f"{res.floor_in_radius}/{res.queries * k} of the floor's top-{k} are within distance {args.range} and "
        f"(d) found {res.range_recall} of them"
    )


def breakdown(memory: RedisSessionMemory, sim: dict[str, Any], users: list[str], n: int) -> dict[str, float]:
    """Where the time of a similarity retriever call goes (medians over n calls, ms): each plan
    step is timed at the backend; LangChain's share is invoke() minus the bare plan run."""
    from langchain_sessionmem._ops.steps import drive

    backend = memory._backend
    original = backend.execute
    steps: list[float] = []

    def timing(step: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(step)
        finally:
            steps.append((time.perf_counter() - t0) * 1e3)

    rng = random.Random(4242)
    rows: dict[str, list[float]] = {k: [] for k in ("invoke", "plan", "embed", "search", "load", "python", "langchain")}
    for _ in range(n):
        user, q = rng.choice(users), query_text(rng)
        ret = sim[user]
        t_invoke, _ = timed(lambda r=ret, q=q: r.invoke(q))
        steps.clear()
        backend.execute = timing  # type: ignore[method-assign]
        try:
            t_plan, _ = timed(lambda r=ret, q=q: drive(r._plan(q), backend.execute))
        finally:
            backend.execute = original  # type: ignore[method-assign]
        if len(steps) != 3:  # embed, search pipeline, load pipeline
            continue
        rows["invoke"].append(t_invoke)
        rows["plan"].append(t_plan)
        rows["embed"].append(steps[0])
        rows["search"].append(steps[1])
        rows["load"].append(steps[2])
        rows["python"].append(t_plan - sum(steps))
        rows["langchain"].append(t_invoke - t_plan)
    return {k: pct(v, 50) for k, v in rows.items()}


def server_times(
    raw: redis.Redis, vidx: str, emb: SeededEmbeddings, np_dtype: Any, users: list[str], fp: str,
    args: argparse.Namespace,
) -> dict[str, float]:  # fmt: skip
    """Server-side time per FT.SEARCH (ms) of the floor, the package's KNN query and the range query:
    the INFO commandstats usec delta over 30 back-to-back queries of one kind. Kept only when the
    calls delta is exactly 30 (nobody else ran FT.SEARCH on the shared server meanwhile); FT.PROFILE
    is no use here, RediSearch 2.10 reports whole milliseconds."""
    rng = random.Random(777)
    picks = [(user_digest(rng.choice(users)), query_text(rng)) for _ in range(30)]
    blobs = [(uh, np.asarray(emb.embed_query(q), dtype=np_dtype).tobytes()) for uh, q in picks]
    kinds: dict[str, Callable[[str, bytes], list[Any]]] = {
        "floor": lambda uh, blob: [f"(@user:{{{uh}}})=>[KNN {args.k} @v $vec AS dist]", "PARAMS", 2, "vec", blob,
                                   "SORTBY", "dist", "RETURN", 1, "dist"],
        "floor-pkg": lambda uh, blob: [f"(@user:{{{uh}}} @m:{{{fp}}})=>[KNN {args.k} @v $vec AS dist]", "PARAMS", 2,
                                       "vec", blob, "SORTBY", "dist", "ASC", "RETURN", 2, "dist", "ts", "LIMIT", 0,
                                       args.k],
        "range": lambda uh, blob: ["@v:[VECTOR_RANGE $r $vec]=>{$YIELD_DISTANCE_AS: dist}", "PARAMS", 4, "r",
                                   args.range, "vec", blob, "SORTBY", "dist", "ASC", "RETURN", 2, "user", "dist",
                                   "LIMIT", 0, 100_000, "TIMEOUT", 0],
        "range0": lambda uh, blob: ["@v:[VECTOR_RANGE $r $vec]=>{$YIELD_DISTANCE_AS: dist}", "PARAMS", 4, "r",
                                    args.range, "vec", blob, "LIMIT", 0, 0, "TIMEOUT", 0],
    }  # fmt: skip

    def stat() -> tuple[int, int]:
        row = raw.info("commandstats").get("cmdstat_FT.SEARCH", {})
        return int(row.get("calls", 0)), int(row.get("usec", 0))

    out: dict[str, float] = {}
    for name, build in kinds.items():
        for _attempt in range(3):
            calls0, usec0 = stat()
            for uh, blob in blobs:
                raw.execute_command("FT.SEARCH", vidx, *build(uh, blob), "DIALECT", 2)
            calls1, usec1 = stat()
            if calls1 - calls0 == len(blobs):
                out[name] = (usec1 - usec0) / len(blobs) / 1e3
                break
    return out


def hits(reply: Any) -> tuple[int, list[tuple[bytes, dict[bytes, Any]]]]:
    """(total, [(key, fields)]) of an FT.SEARCH reply, RESP3 map or RESP2 list, without decoding."""
    if isinstance(reply, dict):
        rows = [(r[b"id"], r.get(b"extra_attributes") or {}) for r in reply[b"results"]]
        return int(reply[b"total_results"]), rows
    rest = reply[1:]
    out = []
    for i in range(0, len(rest), 2):
        flat = rest[i + 1] or []
        out.append((rest[i], {flat[j]: flat[j + 1] for j in range(0, len(flat) - 1, 2)}))
    return int(reply[0]), out


def warnings_of(reply: Any) -> list[Any]:
    return list(reply.get(b"warning") or []) if isinstance(reply, dict) else []


def _same(docs: list[Any], floor_keys: list[str], user: str) -> bool:
    """Do the retriever's documents name the same (session, seq) as the floor's vector keys?"""
    from langchain_sessionmem._keys import parse_message_key, session_digest

    want = {parse_message_key(k)[1:] for k in floor_keys}
    got = {(session_digest(user, d.metadata["session_id"]), d.metadata["seq"]) for d in docs}
    return want == got


# -- report --------------------------------------------------------------------------------------------

ROWS = (
    ("embed", "embed_query alone (fake embedder)"),
    ("sim", "(a) retriever.invoke, similarity"),
    ("sim-e", "(a) minus its embed_query"),
    ("sim-kw", "(a) via invoke(q, user_id=u) override"),
    ("hybrid", "(b) retriever.invoke, hybrid"),
    ("floor", "(c) floor: filtered KNN FT.SEARCH, RETURN dist"),
    ("floor-pkg", "(c') retriever's own FT.SEARCH only"),
    ("range", "(d) unfiltered VECTOR_RANGE + client filter"),
    ("range0", "(d0) same range query, LIMIT 0 0 (count only)"),
)


def latency_table(res: Result) -> str:
    f50, f99 = pct(res.times["floor"], 50), pct(res.times["floor"], 99)
    lines = [
        f"#### {res.conf.label}: query latency over {res.queries} queries (ms)",
        "",
        "| strategy | p50 | p99 | p50 / floor | p99 / floor | round trips |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, label in ROWS:
        xs = res.times[key]
        p50, p99 = pct(xs, 50), pct(xs, 99)
        rt = res.round_trips.get(key, res.round_trips.get("sim", 0) if key == "sim-e" else 0)
        lines.append(f"| {label} | {p50:.3f} | {p99:.3f} | {p50 / f50:.2f} | {p99 / f99:.2f} | {rt} |")
    b = res.breakdown
    if b:
        lines += [
            "",
            f"Where a similarity retriever call goes (medians, ms): invoke {b['invoke']:.3f} = LangChain "
            f"callbacks/config {b['langchain']:.3f} + plan {b['plan']:.3f}; plan = embed_query {b['embed']:.3f} "
            f"+ search round trip {b['search']:.3f} + load round trip (JSON.MGET + HMGET) {b['load']:.3f} "
            f"+ package Python (pack, rank, decode, Documents) {b['python']:.3f}.",
        ]
    if res.server:
        lines += [
            "",
            "Server-side time per FT.SEARCH (INFO commandstats usec delta, mean of 30, ms): "
            + ", ".join(f"{k} {v:.3f}" for k, v in res.server.items())
            + ".",
        ]
    lines += ["", *[f"- {n}" for n in res.notes]]
    return "\n".join(lines)


def summary_table(results: list[Result]) -> str:
    lines = [
        "| config | load (s) | msgs/s | embed share of load | add_messages p50 / p99 | sim p50 / p99 | sim-e p50 "
        "| hybrid p50 / p99 "
        "| floor p50 / p99 | range p50 / p99 | sim-e / floor (p50) | range / floor (p50) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        t = r.times
        f50 = pct(t["floor"], 50)
        lines.append(
            f"| {r.conf.label} | {r.load_s:.1f} | {r.messages / r.load_s:,.0f} | {r.load_embed_s / r.load_s:.0%} "
            f"| {pct(r.add_ms, 50):.2f} / {pct(r.add_ms, 99):.2f} "
            f"| {pct(t['sim'], 50):.2f} / {pct(t['sim'], 99):.2f} | {pct(t['sim-e'], 50):.2f} "
            f"| {pct(t['hybrid'], 50):.2f} / {pct(t['hybrid'], 99):.2f} "
            f"| {f50:.2f} / {pct(t['floor'], 99):.2f} | {pct(t['range'], 50):.2f} / {pct(t['range'], 99):.2f} "
            f"| {pct(t['sim-e'], 50) / f50:.1f}x | {pct(t['range'], 50) / f50:.1f}x |"
        )
    return "\n".join(lines)


def memory_table(results: list[Result]) -> str:
    lines = [
        "| config | used_memory delta / msg (B) | total delta (MB) | MEMORY USAGE doc / vector hash (B) "
        "| doc index total (MB) | vec index: vector_index_sz_mb | vec index: inverted_sz_mb | vec index total (MB) "
        "| both indexes incl. vectors / msg (B) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        m = r.mem
        index_fields = ("doc.total_index_memory_sz_mb", "vec.total_index_memory_sz_mb", "vec.vector_index_sz_mb")
        both = sum(m.get(f, 0) for f in index_fields) * 2**20  # total_index_memory excludes the vectors
        lines.append(
            f"| {r.conf.label} | {m['used_per_msg']:,.0f} | {m['used_total_mb']:,.0f} "
            f"| {m['mu_doc']:,.0f} / {m['mu_vec']:,.0f} | {m.get('doc.total_index_memory_sz_mb', 0):.1f} "
            f"| {m.get('vec.vector_index_sz_mb', 0):.1f} | {m.get('vec.inverted_sz_mb', 0):.1f} "
            f"| {m.get('vec.total_index_memory_sz_mb', 0):.1f} | {both / max(r.messages, 1):,.0f} |"
        )
    return "\n".join(lines)


def parse_confs(args: argparse.Namespace) -> list[Conf]:
    confs = [Conf("FLOAT32", "FLAT", int(d)) for d in args.dims.split(",") if d.strip()]
    if args.extras.strip().lower() not in ("", "none"):
        for spec in args.extras.split(","):
            dtype, alg, dims = spec.strip().upper().split(":")
            confs.append(Conf(dtype, alg, int(dims)))
    return confs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--per-user", type=int, default=100)
    ap.add_argument("--session-len", type=int, default=20, help="messages per session")
    ap.add_argument("--batch", type=int, default=20, help="messages per add_messages call")
    ap.add_argument("--dims", default="384,1536", help="FLOAT32 FLAT runs")
    ap.add_argument("--extras", default="FLOAT16:FLAT:1536,FLOAT32:HNSW:1536", help="more dtype:algorithm:dims runs")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--range", type=float, default=0.3, help="VECTOR_RANGE radius of strategy (d)")
    ap.add_argument("--topic-sim", type=float, default=0.72, help="cosine similarity of two texts of one topic")
    ap.add_argument("--profile", action="store_true", help="append cProfile of a load and of retriever calls")
    ap.add_argument("--out", default=str(RESULTS), help="markdown report path ('' to skip)")
    args = ap.parse_args()

    url = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    raw = redis.Redis.from_url(url)
    started = time.perf_counter()
    results: list[Result] = []
    profiles = ""
    for conf in parse_confs(args):
        res, prof = run_conf(url, raw, conf, args)
        results.append(res)
        profiles += prof
        print(latency_table(res) + "\n", flush=True)
    total = time.perf_counter() - started

    cmd = "REDIS_URL=<url> .venv/bin/python -m benchmarks.retrieval " + " ".join(sys.argv[1:])
    report = "\n".join(
        [
            "# Retrieval benchmark",
            "",
            f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}",
            f"- machine: {machine()}",
            f"- server: {server_versions(raw)} (shared with other processes during the run)",
            f"- client: Python {platform.python_version()}, redis-py {redis.__version__}, numpy {np.__version__}",
            f"- command: `{cmd.strip()}`",
            f"- data: {args.users:,} users x {args.per_user} messages ({args.per_user // args.session_len} sessions x "
            f"{args.session_len}, one add_messages per {args.batch}), human + ai, all embedded; fake embedder: "
            f"seeded unit vectors, topic similarity {args.topic_sim} ({len(TOPICS)} topics); range radius {args.range}",
            f"- total runtime: {total / 60:.1f} min",
            "",
            "## Summary (ms; ratios to the floor (c))",
            "",
            "Method: strategies run interleaved query by query, in a rotating order; p50/p99 over the queries. "
            'The floor is `FT.SEARCH <vec idx> "(@user:{U})=>[KNN 5 @v $vec AS dist]" PARAMS 2 vec <blob> '
            "SORTBY dist RETURN 1 dist DIALECT 2` (RETURN 1 dist, else the reply carries every hash field, the "
            "vector blob included), blob packed outside the timing. `sim-e` is the retriever minus the "
            "`embed_query` of the same text. The range strategy fetches every hit in range (all users), "
            "then keeps the user's first 5. The server was shared with other processes (load average was "
            "checked before the run, but other clients may have run): p99s are noisy.",
            "",
            summary_table(results),
            "",
            "## Memory per message (vectors included)",
            "",
            memory_table(results),
            "",
            "## Latency by strategy",
            "",
            *[latency_table(r) + "\n" for r in results],
            *(["## Profiles", "", profiles] if profiles else []),
        ]
    )
    print("## Summary\n\n" + summary_table(results) + "\n\n## Memory\n\n" + memory_table(results))
    print(f"\ntotal runtime {total / 60:.1f} min")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(report + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
