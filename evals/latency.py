"""Retriever latency with a real query embedding, for one user with thousands of messages.

    REDIS_URL=... .venv/bin/python -m evals.latency            # -> evals/results-latency.md

One user holds every turn of the hard eval's conversations, twice over (6,160 messages in 220
sessions), imported with their timestamps. Stored vectors are 384-d pseudo-random unit vectors
(a FLAT index compares every one of the user's vectors whatever their values, so the search costs
what it costs with real ones, and loading takes seconds instead of minutes); every query is
embedded by the real all-MiniLM-L6-v2 on this CPU, inside the timed call. Each question of the
hard eval is asked once per configuration, configurations interleaved question by question.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from evals.hard import machine, records_of, wait_indexed
from evals.hard_dataset import generate
from langchain_sessionmem import RedisSessionMemory, SessionMemConfig

HERE = Path(__file__).parent
USER = "latency-user"
CONFIGS: dict[str, dict[str, Any]] = {
    "defaults (k=4)": {},
    "defaults, k=10": {"k": 10},
    "similarity, k=10": {"search_type": "similarity", "k": 10},
    "text, k=10": {"search_type": "text", "k": 10},
}


class QueryTimed(Embeddings):
    """Real MiniLM for queries (timed); pseudo-random unit vectors for stored messages."""

    def __init__(self, inner: Embeddings, dims: int = 384) -> None:
        self.inner = inner
        self.dims = dims
        self.model_name = "latency-eval:" + str(getattr(inner, "model_name", type(inner).__name__))
        self.last_query_seconds = 0.0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out = []
        for text in texts:
            rng = random.Random(hashlib.sha256(text.encode()).digest())
            vec = [rng.gauss(0, 1) for _ in range(self.dims)]
            norm = sum(x * x for x in vec) ** 0.5
            out.append([x / norm for x in vec])
        return out

    def embed_query(self, text: str) -> list[float]:
        t0 = time.perf_counter()
        try:
            return self.inner.embed_query(text)
        finally:
            self.last_query_seconds = time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--copies", type=int, default=2, help="copies of the conversations the user holds")
    parser.add_argument("--out", type=Path, default=HERE / "results-latency.md")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the query embedding")
    parser.add_argument(
        "--encode-queries", action="store_true", help="embed queries with sentence-transformers' encode (no fast path)"
    )
    args = parser.parse_args(argv)
    if not args.redis_url:
        parser.error("set REDIS_URL or pass --redis-url")
    from evals.minilm import MiniLMEmbeddings

    # One thread: a query is one short sentence, and on a busy machine a second torch thread waiting
    # for a core stalls the call (p95 of 0.5 s with two threads on 2 shared cores; on 2026-12-05,
    # with another process busy on one of the two cores, the forward pass took 22 ms p50 with two
    # threads against 10.6 ms with one).
    minilm = MiniLMEmbeddings(threads=args.threads, fast_query=not args.encode_queries)
    emb = QueryTimed(minilm)
    data = generate()
    questions = [q["question"] for q in data["questions"]]
    difference = minilm.query_difference(questions)  # the fast query path against encode
    records: list[dict[str, Any]] = []
    for copy in range(args.copies):
        for record in records_of(data):
            records.append({**record, "user_id": USER, "session_id": f"{copy}:{record['session_id']}"})
    n = sum(1 for r in records if r["kind"] == "message")
    config = SessionMemConfig(key_prefix="evallat:", index_name="evallat:idx")
    memory = RedisSessionMemory(args.redis_url, config=config, embeddings=emb)
    try:
        memory.delete_user(USER)
        memory.setup()
        memory.import_records(records, batch_size=500)
        wait_indexed(memory)
        retrievers = {name: memory.as_retriever(user_id=USER, **kw) for name, kw in CONFIGS.items()}
        for q in questions[:20]:  # warm-up: model, connections, scripts
            for r in retrievers.values():
                r.invoke(q)
        total: dict[str, list[float]] = {name: [] for name in CONFIGS}
        embed: dict[str, list[float]] = {name: [] for name in CONFIGS}
        for i, q in enumerate(questions):
            names = list(CONFIGS)
            names = names[i % len(names) :] + names[: i % len(names)]
            for name in names:
                t0 = time.perf_counter()
                retrievers[name].invoke(q)
                total[name].append(time.perf_counter() - t0)
                embed[name].append(emb.last_query_seconds if "text" not in name else 0.0)
    finally:
        memory.delete_user(USER)
        memory.drop_indexes()
        memory.close()

    def ms(xs: list[float], p: float) -> str:
        xs = sorted(xs)
        return f"{1000 * xs[min(len(xs) - 1, int(p * len(xs)))]:.1f}"

    rows = [
        "| configuration | p50 (ms) | p95 (ms) | query embedding p50 (ms) | rest p50 (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in CONFIGS:
        rest = [t - e for t, e in zip(total[name], embed[name], strict=True)]
        rows.append(
            f"| {name} | {ms(total[name], 0.5)} | {ms(total[name], 0.95)} | "
            f"{1000 * statistics.median(embed[name]):.1f} | {ms(rest, 0.5)} |"
        )
    table = "\n".join(rows)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report = (
        f"# Retriever latency\n\n- {when}; {machine()}; load average {os.getloadavg()[0]:.1f} at the end\n"
        f"- one user, {n} messages, {len(questions)} questions per configuration, "
        f"query embedded by all-MiniLM-L6-v2 (CPU, {args.threads} torch thread(s)) inside each call, "
        + (
            "with sentence-transformers' `encode`"
            if minilm._query is None
            else "through the frozen forward pass of evals/minilm.py (largest difference to `encode` over the "
            f"questions: {difference:.1e})"
        )
        + "\n\n"
        + table
        + "\n"
    )
    args.out.write_text(report, encoding="utf-8")
    sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
