"""Cost of a token-budget read next to reading everything and trimming in Python.

Run: ``REDIS_URL=... python -m benchmarks.context_window`` (``make bench-context``). For each
session size, the three ways to get the last ``--budget`` tokens of a session are timed
interleaved, and medians and ratios are printed:

- ``get_window``: this package; the read script binary-searches the stored running token totals
  and returns only the window (one round trip);
- ``read all + trim``: ``history.messages`` then ``trim_messages`` with the same token counter;
- ``LIST + trim``: a plain redis-py LIST of ``message_to_dict`` JSON strings, LRANGE everything,
  then ``trim_messages``: what people hand-roll today.

It also times ``token_count()`` (stored, O(1)) against counting a full read with tiktoken.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

import redis
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, message_to_dict, trim_messages

from benchmarks._impls import FloorHistory
from langchain_sessionmem import RedisSessionMemory, SessionMemConfig

PREFIX = "bench-ctx:"


def conversation(n: int) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for i in range(n // 2):
        out.append(HumanMessage(f"Question {i}: how long should I rest the dough for recipe number {i}, and why?"))
        out.append(
            AIMessage(
                f"Answer {i}: about {i % 50 + 10} minutes at room temperature, covered with a damp cloth, so the "
                "gluten relaxes and the dough rolls out without shrinking back."
            )
        )
    return out


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,1000,10000")
    ap.add_argument("--budget", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=40)
    args = ap.parse_args()
    url = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    client = redis.Redis.from_url(url)
    memory = RedisSessionMemory(url, config=SessionMemConfig(key_prefix=PREFIX, index_name=PREFIX + "idx"))
    memory.setup()
    count = memory.count_tokens

    def trim(msgs: list[BaseMessage]) -> list[BaseMessage]:
        return trim_messages(
            msgs, max_tokens=args.budget, token_counter=count, strategy="last", include_system=True, start_on="human"
        )

    rows = []
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            history = memory.history("bench", f"s{n}")
            floor = FloorHistory(client, None, f"{PREFIX}list:{n}")  # type: ignore[arg-type]
            msgs = conversation(n)
            for i in range(0, n, 500):
                history.add_messages(msgs[i : i + 500])
                client.rpush(floor.key, *[json.dumps(message_to_dict(m)) for m in msgs[i : i + 500]])
            window = history.get_window(args.budget)
            assert window == trim(history.messages) == trim(floor.messages), "the three must agree"
            ways: dict[str, Callable[[], object]] = {
                "get_window": lambda h=history: h.get_window(args.budget),
                "read all + trim": lambda h=history: trim(h.messages),
                "LIST + trim": lambda f=floor: trim(f.messages),
                "token_count()": lambda h=history: h.token_count(),
                "read all + count": lambda h=history: count(h.messages),
            }
            times: dict[str, list[float]] = {k: [] for k in ways}
            for _ in range(args.repeat):
                for name, fn in ways.items():  # interleaved: drift hits every way alike
                    times[name].append(timed(fn))
            med = {k: statistics.median(v) for k, v in times.items()}
            rows.append((n, len(window), med))
    finally:
        memory.drop_indexes()
        keys = list(client.scan_iter(match=f"{PREFIX}*", count=1000))
        for i in range(0, len(keys), 1000):
            client.delete(*keys[i : i + 1000])
        memory.close()
        client.close()

    print(f"budget {args.budget} tokens, median of {args.repeat} interleaved runs (ms)\n")
    print("| messages | window | get_window | read all + trim | LIST + trim | ratio all+trim | ratio LIST+trim |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, w, med in rows:
        g, a, f = med["get_window"], med["read all + trim"], med["LIST + trim"]
        print(f"| {n:,} | {w} | {g:.3f} | {a:.3f} | {f:.3f} | {a / g:.1f}× | {f / g:.1f}× |")
    print("\n| messages | token_count() | read all + count | ratio |")
    print("|---:|---:|---:|---:|")
    for n, _, med in rows:
        t, c = med["token_count()"], med["read all + count"]
        print(f"| {n:,} | {t:.3f} | {c:.3f} | {c / t:.1f}× |")


if __name__ == "__main__":
    main()
