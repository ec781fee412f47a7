"""Where the time of a 1,000-message read and of a chat turn goes in this package (pyinstrument).

Run: ``REDIS_URL=... python -m benchmarks.profile_turn [--messages 1000] [--reps 30] [--spawn-server]``.
Prints the reports and writes them to ``benchmarks/results/profile_turn.txt``.

Three profiles over one session of ``--messages`` messages (written in batches of 100):

1. ``history.messages`` with the read cache off (``read_cache_messages=0``, when the package has the
   setting): the full read and decode path, every message decoded on every read;
2. ``history.messages`` with the defaults (a fresh history handle per read, as a per-request factory makes);
3. a turn with the defaults: ``history.messages`` then ``history.add_messages([human, ai])``.

Each report is pyinstrument's call tree with every frame shown (library frames included, so the
inside of ``messages_from_dict``, pydantic and the redis-py parser are visible), after the median time
per call. Times are wall-clock: on a busy machine ``Duration`` exceeds ``CPU time``.
Keys are written under ``bench-prof:`` and removed at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from pyinstrument import Profiler

from benchmarks._harness import PrivateServer, cleanup, log
from benchmarks._impls import conversation, turn_pair
from langchain_sessionmem import RedisSessionMemory, SessionMemConfig

PREFIX = "bench-prof:"
OUT = Path(__file__).parent / "results" / "profile_turn.txt"


def memory(url: str, tag: str, **settings: Any) -> RedisSessionMemory:
    fields = SessionMemConfig.__dataclass_fields__
    config = SessionMemConfig(
        key_prefix=f"{PREFIX}{tag}:",
        index_name=f"{PREFIX}{tag}:idx",
        **{k: v for k, v in settings.items() if k in fields},
    )
    mem = RedisSessionMemory(url, config=config)
    mem.setup()
    return mem


def profile(title: str, fn: Callable[[int], Any], reps: int) -> str:
    for i in range(3):  # warm-up: scripts loaded, connections open, caches filled
        fn(-1 - i)
    times = []
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for i in range(reps):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1e3)
    profiler.stop()
    head = f"== {title}: median {statistics.median(times):.2f} ms, min {min(times):.2f} ms over {reps} calls =="
    return f"{head}\n{profiler.output_text(unicode=False, color=False, show_all=True)}\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--spawn-server", action="store_true", help="start a private Redis Stack instead of REDIS_URL")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    server = PrivateServer() if args.spawn_server else None
    url = server.url if server else os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    probe = redis.Redis.from_url(url)
    try:
        cleanup(probe, PREFIX)
        cold = memory(url, "cold", read_cache_messages=0)
        warm = memory(url, "default")
        seed = conversation(args.messages)
        for mem in (cold, warm):
            history = mem.history("alice", "profiled")
            for i in range(0, len(seed), 100):
                history.add_messages(seed[i : i + 100])
        log(f"profiling on {url}: {args.messages:,} messages, {args.reps} calls per profile")
        has_cache = "read_cache_messages" in SessionMemConfig.__dataclass_fields__
        reports = [
            profile(
                f"history.messages, {args.messages:,} messages, read cache off" if has_cache else "history.messages",
                lambda i: cold.history("alice", "profiled").messages,
                args.reps,
            ),
            profile(
                f"history.messages, {args.messages:,} messages, defaults (fresh handle per read)",
                lambda i: warm.history("alice", "profiled").messages,
                args.reps,
            ),
        ]
        turn_history = warm.history("alice", "profiled")

        def turn(i: int) -> None:
            turn_history.messages  # noqa: B018 - the read is the point
            turn_history.add_messages(turn_pair(10**6 + i))

        reports.append(profile(f"turn (read + append 2) from {args.messages:,} messages, defaults", turn, args.reps))
        text = "\n".join(reports)
        print(text)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
        log(f"written to {args.out}")
        for mem in (cold, warm):
            mem.close()
    finally:
        cleanup(probe, PREFIX)
        if server:
            server.stop()


if __name__ == "__main__":
    main()
