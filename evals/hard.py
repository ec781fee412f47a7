"""The hard retrieval eval: recall of evidence turns in long, dated, two-speaker conversations.

    REDIS_URL=... .venv/bin/python -m evals.hard                         # MiniLM -> evals/results-hard.md
    REDIS_URL=... .venv/bin/python -m evals.hard --embeddings hashing    # no torch -> results-hard-hashing.md

The data comes from ``evals/hard_dataset.py`` (seeded). Each conversation is one app user; it is
stored through the public API as an application importing its history would: one session per
dated session, the first speaker's turns as ``HumanMessage(name=...)``, the second's as
``AIMessage(name=...)``, with their original timestamps, through ``session_records`` and
``import_records``. Each memory layout (embedding template; the speaker and date stored for full
text or not) is loaded once under its own key
prefix; each strategy is a retriever configuration over one of them.

A question is asked with ``retriever.invoke(question, user_id=..., k=k)``; the first k returned
documents count, neighbours included (a strategy that returns more is cut at k). Reported per
category: R@k, the mean share of a question's evidence turns among those k, and all@k, the share
of questions whose every evidence turn is among them.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

import langchain_sessionmem
from benchmarks._harness import cpu_and_ram
from evals.hard_dataset import CATEGORIES, digest, generate
from evals.recall import make_embeddings, out
from langchain_sessionmem import RedisSessionMemory, SessionMemConfig, session_records

HERE = Path(__file__).parent
KS = (5, 10, 20)
DEFAULT_TEMPLATE = SessionMemConfig().embed_template


# -- strategies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Strategy:
    name: str
    template: str  # embed_template of the memory it searches
    search: dict[str, Any]  # retriever fields
    note: str = ""
    reranker: str | None = None  # name of a reranker in RERANKERS
    stored_context: bool = False  # SessionMemConfig(text_context=True) even if the search does not use it


LEGACY = "{text}"  # the embedding template of v0.1.0
CHAT = "{role} on {day}: {text}"  # speaker and the message's own date

STRATEGIES: tuple[Strategy, ...] = (
    Strategy("package defaults", DEFAULT_TEMPLATE, {}, "`as_retriever()`, default `embed_template`"),
    Strategy("similarity, `{text}`", LEGACY, {"search_type": "similarity"}, "the v0.1.0 defaults"),
    Strategy("similarity, `{text}`, neighbors=1", LEGACY, {"search_type": "similarity", "neighbors": 1}),
    Strategy("text", LEGACY, {"search_type": "text"}, "BM25 over the text"),
    Strategy("text, text_context=True", LEGACY, {"search_type": "text", "text_context": True},
             "BM25 over the text, the speaker's name and the date"),
    Strategy("hybrid, `{text}`, w=0.3, depth 4k", LEGACY,
             {"search_type": "hybrid", "hybrid_text_weight": 0.3, "fusion_depth": 0}, "v0.1.0 fusion settings"),
    Strategy("similarity, `{role} on {day}: {text}`", CHAT, {"search_type": "similarity"}),
    Strategy("similarity, `{role} on {day}: {text}`, neighbors=1", CHAT, {"search_type": "similarity", "neighbors": 1}),
    Strategy("hybrid, `{role} on {day}: {text}`, w=0.3, depth 4k", CHAT,
             {"search_type": "hybrid", "hybrid_text_weight": 0.3, "fusion_depth": 0}),
    Strategy("hybrid, `{role} on {day}: {text}`, w=0.5, depth 4k", CHAT,
             {"search_type": "hybrid", "hybrid_text_weight": 0.5, "fusion_depth": 0}),
    Strategy("hybrid, `{role} on {day}: {text}`, w=0.3, depth 20", CHAT,
             {"search_type": "hybrid", "hybrid_text_weight": 0.3, "fusion_depth": 20}),
    Strategy("hybrid, `{role} on {day}: {text}`, w=0.5, depth 20", CHAT,
             {"search_type": "hybrid", "hybrid_text_weight": 0.5, "fusion_depth": 20}),
    Strategy("hybrid, `{role} on {day}: {text}`, w=0.7, depth 20", CHAT,
             {"search_type": "hybrid", "hybrid_text_weight": 0.7, "fusion_depth": 20}),
    Strategy("hybrid, `{role} on {day}: {text}`, w=0.5, depth 50", CHAT,
             {"search_type": "hybrid", "hybrid_text_weight": 0.5, "fusion_depth": 50}),
    Strategy("hybrid, `{role} on {day}: {text}`, w=0.5, depth 20, text_context=True", CHAT,
             {"search_type": "hybrid", "hybrid_text_weight": 0.5, "fusion_depth": 20, "text_context": True}),
    Strategy("defaults, speaker and date stored", CHAT, {}, "`SessionMemConfig(text_context=True)`, the same search",
             stored_context=True),
    Strategy("hybrid, `{role} on {day}: {text}`, w=0.5, depth 20, neighbors=1", CHAT,
             {"search_type": "hybrid", "hybrid_text_weight": 0.5, "fusion_depth": 20, "neighbors": 1}),
    Strategy("hybrid, `{role} on {day}: {text}`, w=0.5, depth 20, recency 90 d", CHAT,
             {"search_type": "hybrid", "hybrid_text_weight": 0.5, "fusion_depth": 20,
              "recency_half_life_seconds": 90 * 86400}),
    Strategy("hybrid + cross-encoder rerank", CHAT,
             {"search_type": "hybrid", "hybrid_text_weight": 0.5, "fusion_depth": 20}, reranker="cross-encoder"),
)  # fmt: skip


# -- embeddings ------------------------------------------------------------------------------


class CachedEmbeddings(Embeddings):
    """Delegates to another Embeddings, caches query vectors (every strategy asks the same
    questions) and adds up the time spent embedding."""

    def __init__(self, inner: Embeddings, name: str) -> None:
        self.inner = inner
        self.model_name = name
        self.document_seconds = 0.0
        self.query_seconds: list[float] = []
        self._queries: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        t0 = time.perf_counter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self.document_seconds += time.perf_counter() - t0

    def embed_query(self, text: str) -> list[float]:
        if text not in self._queries:
            t0 = time.perf_counter()
            self._queries[text] = self.inner.embed_query(text)
            self.query_seconds.append(time.perf_counter() - t0)
        return self._queries[text]


# -- rerankers -------------------------------------------------------------------------------


CROSS_ENCODER_PACKAGES = ()  # PyPI packages that ship cross-encoder weights (none found yet, see README)


def make_reranker(name: str, emb: Embeddings) -> tuple[BaseDocumentCompressor | None, str]:
    """(reranker, "") or (None, the reason it is skipped). Models cannot be fetched from a hub at
    run time here, so a reranker is measured only when a registry package ships its weights."""
    if name == "cross-encoder":
        if not CROSS_ENCODER_PACKAGES:
            return None, (
                "no installable package ships cross-encoder weights (flashrank and small-hybrid-reranker "
                "download theirs at run time)"
            )
    return None, f"unknown reranker {name!r}"


# -- load ------------------------------------------------------------------------------------


def records_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for user in data["users"]:
        first, _ = user["speakers"]
        for session in user["sessions"]:
            start = datetime.fromisoformat(session["start"])
            msgs: list[BaseMessage] = [
                (HumanMessage if t["speaker"] == first else AIMessage)(t["text"], name=t["speaker"])
                for t in session["turns"]
            ]
            stamps = [start + timedelta(minutes=i) for i in range(len(msgs))]
            records += session_records(user["user_id"], session["session_id"], msgs, timestamps=stamps)
    return records


def layout(s: Strategy) -> tuple[str, bool]:
    """What a strategy's memory stores: its embedding template, and the speaker and date for full
    text (``SessionMemConfig.text_context``) only where the strategy searches them, as an app would."""
    return s.template, s.stored_context or bool(s.search.get("text_context"))


def load(url: str, emb: Embeddings, lay: tuple[str, bool], prefix: str, data: dict[str, Any]) -> RedisSessionMemory:
    template, context = lay
    config = SessionMemConfig(
        key_prefix=prefix, index_name=f"{prefix}idx", embed_template=template, text_context=context
    )
    memory = RedisSessionMemory(url, config=config, embeddings=emb)
    cleanup(memory, data)
    memory.setup()
    memory.import_records(records_of(data), batch_size=64)
    wait_indexed(memory)
    return memory


def wait_indexed(memory: RedisSessionMemory) -> None:
    client = memory._backend.client
    for name in (memory.config.index_name, memory.config.vector_index_name):
        for _ in range(600):
            info = client.ft(name).info()
            if str(info.get("indexing", 0)) in ("0", "0.0") and float(info.get("percent_indexed", 1)) >= 1:
                break
            time.sleep(0.1)


def cleanup(memory: RedisSessionMemory, data: dict[str, Any], drop: bool = False) -> None:
    for user in data["users"]:
        memory.delete_user(user["user_id"])
    if drop:
        memory.drop_indexes()


# -- evaluation ------------------------------------------------------------------------------


@dataclass
class Score:
    recall: dict[str, dict[int, list[float]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    full: dict[str, dict[int, list[float]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    seconds: list[float] = field(default_factory=list)
    skipped: str = ""


def evaluate(
    memory: RedisSessionMemory, strategy: Strategy, data: dict[str, Any], ks: tuple[int, ...],
    reranker: BaseDocumentCompressor | None,
) -> Score:  # fmt: skip
    score = Score()
    extra = {"reranker": reranker} if reranker is not None else {}
    retriever = memory.as_retriever(**strategy.search, **extra)
    # With a fixed fusion depth (or none) the first k documents of a k=max(ks) search are what a
    # k search returns (hits come best first, each followed by its neighbours), so one search
    # serves every k; a depth of 4k depends on k and needs one search per k.
    per_k = getattr(retriever, "fusion_depth", 0) == 0 and (  # (no fusion_depth before v0.2)
        retriever.search_type != "similarity" or bool(retriever.recency_half_life_seconds)
    )
    for q in data["questions"]:
        gold = {(e["session_id"], e["index"]) for e in q["evidence"]}
        found_docs: list[Document] = []
        for k in ks:
            if per_k or not found_docs:
                t0 = time.perf_counter()
                found_docs = retriever.invoke(q["question"], user_id=q["user_id"], k=k if per_k else max(ks))
                score.seconds.append(time.perf_counter() - t0)
            got = {(d.metadata["session_id"], d.metadata["seq"] - 1) for d in found_docs[:k]}
            found = len(gold & got) / len(gold)
            for group in (q["category"], "all"):
                score.recall[group][k].append(found)
                score.full[group][k].append(float(found == 1.0))
    return score


# -- report ----------------------------------------------------------------------------------


def pct(values: list[float]) -> str:
    return f"{100 * statistics.fmean(values):.1f}" if values else "-"


def render(
    data: dict[str, Any], strategies: list[Strategy], scores: dict[str, Score], ks: tuple[int, ...],
    meta: dict[str, Any],
) -> tuple[str, str]:  # fmt: skip
    """(the summary table, the full markdown report)."""
    counts: dict[str, int] = defaultdict(int)
    for q in data["questions"]:
        counts[q["category"]] += 1
    head = "| strategy | " + " | ".join(f"R@{k}" for k in ks) + " | " + " | ".join(f"all@{k}" for k in ks) + " |"
    rows = [head, "|---|" + "---:|" * (2 * len(ks))]
    for s in strategies:
        sc = scores[s.name]
        if sc.skipped:
            rows.append(f"| {s.name} | skipped: {sc.skipped} |" + " |" * (2 * len(ks) - 1))
            continue
        cells = [pct(sc.recall["all"][k]) for k in ks] + [pct(sc.full["all"][k]) for k in ks]
        rows.append(f"| {s.name} | " + " | ".join(cells) + " |")
    table = "\n".join(rows)

    cats = [c for c in CATEGORIES if counts[c]]
    per = []
    for k in ks:
        per.append(f"R@{k} (%) by category:\n")
        per.append("| strategy | " + " | ".join(f"{c} (n={counts[c]})" for c in cats) + " |")
        per.append("|---|" + "---:|" * len(cats))
        for s in strategies:
            sc = scores[s.name]
            if not sc.skipped:
                per.append(f"| {s.name} | " + " | ".join(pct(sc.recall[c][k]) for c in cats) + " |")
        per.append("")
    lat = ["| strategy | latency p50 / p95 (ms, query embedding cached) |", "|---|---:|"]
    for s in strategies:
        sec = sorted(scores[s.name].seconds)
        if sec:
            lat.append(f"| {s.name} | {1000 * statistics.median(sec):.1f} / {1000 * sec[int(0.95 * len(sec))]:.1f} |")
    notes = "\n".join(f"- {s.name}: {s.note}" for s in strategies if s.note)
    report = f"""# Hard retrieval eval

- date: {meta["date"]}; machine: {meta["machine"]}
- embeddings: {meta["model"]}
- data: `evals/hard_dataset.py` seed {data["seed"]} (digest {meta["digest"]}): {meta["users"]} conversations
  (users), {meta["sessions"]} sessions, {meta["messages"]} messages, {len(data["questions"])} questions
- store: langchain-sessionmem {meta["package"]} (git {meta["commit"]}), Redis {meta["redis"]};
  load {meta["load_seconds"]:.0f} s ({meta["embed_seconds"]:.0f} s embedding) per layout
- run: `{meta["command"]}`, {meta["total_seconds"]:.0f} s

R@k: mean share of a question's evidence turns among the first k returned documents (neighbours
count); all@k: share of questions with every evidence turn among them.

{table}

{notes}

{chr(10).join(per)}
{chr(10).join(lat)}
"""
    return table, report


def _commit() -> str:
    try:
        res = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE.parent, capture_output=True, text=True)
        return res.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def machine() -> str:
    cpu, ram = cpu_and_ram()
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{cpu}, {os.cpu_count()} cores, {ram} RAM, {system}"


def run(
    url: str, embeddings: str, strategies: list[Strategy], ks: tuple[int, ...] = KS,
    conversations: int | None = None, progress: Callable[[str], None] = out, keep: bool = False,
    prefix: str = "evalhard:",
) -> tuple[dict[str, Score], dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Load, ask every question with every strategy, clean up. Returns (scores, data, meta)."""
    t_start = time.perf_counter()
    data = generate(conversations=conversations)
    inner, model = make_embeddings(embeddings)
    emb = CachedEmbeddings(inner, getattr(inner, "model_name", type(inner).__name__))
    memories: dict[tuple[str, bool], RedisSessionMemory] = {}
    scores: dict[str, Score] = {}
    load_seconds: list[float] = []
    n_messages = sum(len(s["turns"]) for u in data["users"] for s in u["sessions"])
    progress(f"{len(data['questions'])} questions, {n_messages} messages")
    try:
        for s in strategies:
            lay = layout(s)
            if lay not in memories:
                t0 = time.perf_counter()
                progress(f"loading layout {lay!r} ...")
                memories[lay] = load(url, emb, lay, f"{prefix}{embeddings}:{len(memories)}:", data)
                load_seconds.append(time.perf_counter() - t0)
                progress(f"loaded layout {lay!r} in {load_seconds[-1]:.1f} s")
            reranker, reason = make_reranker(s.reranker, emb) if s.reranker else (None, "")
            t0 = time.perf_counter()
            scores[s.name] = Score(skipped=reason) if reason else evaluate(memories[lay], s, data, ks, reranker)
            progress(
                f"  {s.name:<60} R@10 {pct(scores[s.name].recall['all'][10]):>5}  {time.perf_counter() - t0:5.1f} s"
            )
        info = next(iter(memories.values()))._backend.client.info("server")
    finally:
        for memory in memories.values():
            if not keep:
                cleanup(memory, data, drop=True)
            memory.close()
    meta = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "model": model,
        "digest": digest(data),
        "users": len(data["users"]),
        "sessions": sum(len(u["sessions"]) for u in data["users"]),
        "messages": sum(len(s["turns"]) for u in data["users"] for s in u["sessions"]),
        "package": langchain_sessionmem.__version__,
        "commit": _commit(),
        "redis": info.get("redis_version", "?"),
        "load_seconds": statistics.fmean(load_seconds) if load_seconds else 0.0,
        "embed_seconds": emb.document_seconds / max(1, len(memories)),
        "total_seconds": time.perf_counter() - t_start,
    }
    return scores, data, meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the hard retrieval eval of langchain-sessionmem")
    parser.add_argument("--embeddings", choices=("minilm", "hashing"), default="minilm")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--conversations", type=int, help="only the first n conversations")
    parser.add_argument("--strategies", help="comma-separated 1-based numbers of the strategies to run")
    parser.add_argument("--out", type=Path, help="markdown report (default evals/results-hard[-hashing].md)")
    parser.add_argument("--keep", action="store_true", help="leave the data in Redis")
    args = parser.parse_args(argv)
    if not args.redis_url:
        parser.error("set REDIS_URL or pass --redis-url (a Redis with RedisJSON and RediSearch)")
    strategies = list(STRATEGIES)
    if args.strategies:
        strategies = [STRATEGIES[int(i) - 1] for i in args.strategies.split(",")]
    suffix = "" if args.embeddings == "minilm" else f"-{args.embeddings}"
    out_path = args.out or HERE / f"results-hard{suffix}.md"
    scores, data, meta = run(args.redis_url, args.embeddings, strategies, KS, args.conversations, keep=args.keep)
    meta["command"] = "python -m evals.hard " + " ".join(argv if argv is not None else sys.argv[1:])
    table, report = render(data, strategies, scores, KS, meta)
    out()
    out(table)
    out_path.write_text(report, encoding="utf-8")
    out(f"\nreport written to {out_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
