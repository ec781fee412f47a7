"""Per-turn cost of memory in a ``create_agent`` agent, with the scripted model (no network).

Run: ``REDIS_URL=... python -m benchmarks.agent_turn`` (``make bench-agent``; about a minute).

One agent turn is ``agent.invoke`` / ``agent.ainvoke`` of one human message. Compared, interleaved
on the same server with the same offline embedder (``BenchEmbeddings``, 256 dims):

- ``no memory``: the same agent without middleware, the floor;
- ``sessionmem``: ``memory.middleware(max_tokens=2000)``: stores the input, reads the instructions,
  summary and token window, recalls 4 earlier messages by vector search (once per run), stores the
  reply; sessions start with 40 messages;
- ``ConversationMemoryMiddleware`` (langgraph-checkpoint-redis): redisvl ``SemanticMessageHistory``
  with ``top_k=4``; async only (its sync hook raises NotImplementedError), so only under ainvoke.

Two workloads: a chat turn (one model call) and a tool turn (a tool call, the tool, the answer:
two model calls). Each cell is the median and p99 of the turn in ms; the overhead is the median
minus the floor's; round trips are redis-py socket sends per turn (a pipeline or a script is one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import redis
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool

from benchmarks._harness import _SENDS, ROOT, cleanup, environment, install_round_trip_counter, log
from benchmarks._impls import BenchEmbeddings, conversation
from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem.testing import ScriptedChatModel

PREFIX = "bench-agent:"
CMM_PREFIX = "bench-agent-cmm"
SYSTEM = "You are a cooking assistant."
SESSIONS = 20
SEED = 40


@tool
def lookup(topic: str) -> str:
    """Look a topic up in the cookbook."""
    return f"cookbook: {topic} takes 20 minutes"


def script(workload: str) -> list[Any]:
    if workload == "chat":
        return ["Rest it 20 minutes, covered."]
    call = AIMessage("", tool_calls=[{"name": "lookup", "args": {"topic": "dough"}, "id": "c1"}])
    return [call, "The cookbook says 20 minutes."]


class AsyncBenchEmbeddings(BenchEmbeddings):
    """``BenchEmbeddings`` with native async twins: LangChain's default ``aembed_*`` hops to a thread
    pool, which would time the pool, not the memory (a real provider's async client does not)."""

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)


def question(i: int) -> str:
    return f"Question {i}: how long should I rest the dough for recipe number {i % 97}?"


def summarize(ms: list[float]) -> tuple[float, float]:
    return float(np.median(ms)), float(np.percentile(ms, 99))


class Contender:
    def __init__(self, name: str, agent: Any, ids: Callable[[int], dict[str, Any]]) -> None:
        self.name, self.agent, self.ids = name, agent, ids
        self.ms: list[float] = []
        self.sends: list[int] = []

    def turn(self, i: int) -> None:
        s0, t0 = _SENDS[0], time.perf_counter()
        self.agent.invoke({"messages": [HumanMessage(question(i))]}, **self.ids(i))
        self.ms.append((time.perf_counter() - t0) * 1e3)
        self.sends.append(_SENDS[0] - s0)

    async def aturn(self, i: int) -> None:
        s0, t0 = _SENDS[0], time.perf_counter()
        await self.agent.ainvoke({"messages": [HumanMessage(question(i))]}, **self.ids(i))
        self.ms.append((time.perf_counter() - t0) * 1e3)
        self.sends.append(_SENDS[0] - s0)


def interleave(contenders: list[Contender], reps: int, warmup: int, run: Callable[[Contender, int], None]) -> None:
    for r in range(warmup + reps):
        k = r % len(contenders)
        for c in contenders[k:] + contenders[:k]:
            run(c, r)
        if r == warmup - 1:
            for c in contenders:
                c.ms.clear()
                c.sends.clear()


async def ainterleave(
    contenders: list[Contender], reps: int, warmup: int, run: Callable[[Contender, int], Awaitable[None]]
) -> None:
    for r in range(warmup + reps):
        k = r % len(contenders)
        for c in contenders[k:] + contenders[:k]:
            await run(c, r)
        if r == warmup - 1:
            for c in contenders:
                c.ms.clear()
                c.sends.clear()


def ids(i: int) -> dict[str, Any]:
    return {"context": {"user_id": f"user{i % 4}", "session_id": f"s{i % SESSIONS}"}}


def build(memory: RedisSessionMemory, workload: str) -> tuple[Contender, Contender]:
    tools = [lookup] if workload == "tool" else []
    bare = create_agent(ScriptedChatModel(responses=script(workload)), tools, system_prompt=SYSTEM)
    mem = create_agent(
        ScriptedChatModel(responses=script(workload)),
        tools,
        system_prompt=SYSTEM,
        middleware=[memory.middleware(max_tokens=2000)],
    )
    return Contender("no memory", bare, lambda i: {}), Contender("sessionmem", mem, ids)


async def conversation_memory_agent(url: str, embeddings: BenchEmbeddings, workload: str) -> Contender:
    from langgraph.middleware.redis import ConversationMemoryConfig, ConversationMemoryMiddleware
    from redisvl.utils.vectorize import CustomVectorizer

    vectorizer = CustomVectorizer(embed=embeddings.embed_query, embed_many=embeddings.embed_documents)
    config = ConversationMemoryConfig(
        redis_url=url, name=f"{CMM_PREFIX}-{workload}", session_tag="user0", top_k=4, vectorizer=vectorizer
    )
    middleware = ConversationMemoryMiddleware(config)
    await middleware._ensure_initialized_async()
    seed = conversation(SEED)
    middleware._history.add_messages(
        [{"role": "user" if m.type == "human" else "llm", "content": str(m.content)} for m in seed]
    )
    tools = [lookup] if workload == "tool" else []
    agent = create_agent(
        ScriptedChatModel(responses=script(workload)), tools, system_prompt=SYSTEM, middleware=[middleware]
    )
    return Contender("ConversationMemoryMiddleware", agent, lambda i: {})


def row(c: Contender, floor: Contender) -> dict[str, Any]:
    med, p99 = summarize(c.ms)
    fmed, _ = summarize(floor.ms)
    return {
        "name": c.name,
        "median_ms": round(med, 3),
        "p99_ms": round(p99, 3),
        "overhead_ms": round(med - fmed, 3),
        "ratio": round(med / fmed, 2),
        "round_trips": round(float(np.mean(c.sends)), 2),
    }


def table(rows: list[dict[str, Any]]) -> str:
    out = [
        "| workload | API | implementation | median ms | p99 ms | overhead ms (median) | × no memory | round trips |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['workload']} | {r['api']} | {r['name']} | {r['median_ms']:.2f} | {r['p99_ms']:.2f} | "
            f"{r['overhead_ms']:+.2f} | {r['ratio']:.2f}× | {r['round_trips']:g} |"
        )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=150)
    ap.add_argument("--warmup", type=int, default=15)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "agent_turn"))
    args = ap.parse_args()
    url = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    probe = redis.Redis.from_url(url)
    install_round_trip_counter()
    embeddings = AsyncBenchEmbeddings(256)
    memory = RedisSessionMemory(
        url, config=SessionMemConfig(key_prefix=PREFIX, index_name=PREFIX + "idx"), embeddings=embeddings
    )
    rows: list[dict[str, Any]] = []
    cleanup(probe, PREFIX)
    cleanup(probe, CMM_PREFIX)
    try:
        memory.setup()
        memory.set_instructions("user0", "Answer briefly.")
        for i in range(SESSIONS):
            memory.history(f"user{i % 4}", f"s{i}").add_messages(conversation(SEED, start=i * SEED))
        for workload in ("chat", "tool"):
            bare, mem = build(memory, workload)
            log(f"{workload}: invoke")
            interleave([bare, mem], args.reps, args.warmup, lambda who, i: who.turn(i))
            rows += [{"workload": workload, "api": "invoke", **row(c, bare)} for c in (bare, mem)]

            async def async_part(workload: str = workload) -> list[Contender]:
                abare, amem = build(memory, workload)
                cmm = await conversation_memory_agent(url, embeddings, workload)
                contenders = [abare, amem, cmm]
                await ainterleave(contenders, args.reps, args.warmup, lambda who, i: who.aturn(i))
                await memory.aclose()  # its async client belongs to this loop
                return contenders

            log(f"{workload}: ainvoke")
            contenders = asyncio.run(async_part())
            rows += [{"workload": workload, "api": "ainvoke", **row(c, contenders[0])} for c in contenders]
    finally:
        cleanup(probe, PREFIX)
        cleanup(probe, CMM_PREFIX)
        memory.close()
    env = environment(probe)
    head = (
        f"`make bench-agent`, {env['date']}, {env['machine']}, {env['python']}, {env['server']}; "
        f"git {env['git']}. {args.reps} interleaved turns per cell after {args.warmup} warm-up turns; "
        f"sessions start with {SEED} messages; scripted model, 256-dim offline embedder."
    )
    text = head + "\n\n" + table(rows) + "\n"
    print(text)
    Path(args.out + ".md").write_text(text)
    Path(args.out + ".json").write_text(json.dumps({"environment": env, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
