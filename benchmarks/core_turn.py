"""Core numbers for the history: a chat turn (read all + append 2) next to plain redis-py,
round trips per operation, and memory per message (index included).

Run: ``REDIS_URL=... python -m benchmarks.core_turn`` (``make bench-core``). Prints medians and ratios.
The floor is a careful hand-written redis-py history: a LIST of message_to_dict JSON strings,
LRANGE to read (1 round trip), RPUSH of a batch in one call (1 round trip).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

import redis
from langchain_core.messages import AIMessage, HumanMessage, message_to_dict, messages_from_dict

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig

PREFIX = "bench-core:"


def turn_pair(i: int) -> list:
    return [
        HumanMessage(f"Question {i}: how long should I rest the dough for recipe number {i}?"),
        AIMessage(f"Answer {i}: about {i % 50 + 10} minutes at room temperature, covered with a damp cloth."),
    ]


class Floor:
    """Plain redis-py: one list per (user, session), JSON strings."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.client, self.key = client, key

    def messages(self) -> list:
        return messages_from_dict([json.loads(x) for x in self.client.lrange(self.key, 0, -1)])

    def add(self, msgs: list) -> None:
        self.client.rpush(self.key, *[json.dumps(message_to_dict(m)) for m in msgs])


def measure(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,100,1000,5000")
    ap.add_argument("--turns", type=int, default=60)
    args = ap.parse_args()
    url = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    raw = redis.Redis.from_url(url)
    cfg = SessionMemConfig(key_prefix=PREFIX, index_name=PREFIX + "idx")
    memory = RedisSessionMemory(url, config=cfg)
    memory.setup()

    print(f"turn = read whole history + append a human and an AI message; median of {args.turns} (ms)")
    print(f"{'messages':>9} {'sessionmem':>11} {'floor':>8} {'ratio':>6}")
    for size in [int(s) for s in args.sizes.split(",")]:
        ours = memory.history("bench", f"s{size}")
        floor = Floor(raw, f"{PREFIX}floor:{size}")
        ours.clear()
        raw.delete(floor.key)
        seed = [m for i in range(size // 2) for m in turn_pair(i)]
        for i in range(0, len(seed), 1000):
            ours.add_messages(seed[i : i + 1000])
            floor.add(seed[i : i + 1000])
        t_ours, t_floor = [], []
        for t in range(args.turns):  # interleaved so drift hits both alike
            pair = turn_pair(t)
            t_ours += measure(lambda h=ours, p=pair: (h.messages, h.add_messages(p)), 1)
            t_floor += measure(lambda f=floor, p=pair: (f.messages(), f.add(p)), 1)
        mo, mf = statistics.median(t_ours), statistics.median(t_floor)
        print(f"{size:>9} {mo:>11.3f} {mf:>8.3f} {mo / mf:>6.2f}")

    # memory per message, index included: used_memory delta over 10,000 messages in 100 sessions
    n = 10_000
    memory.delete_user("mem")
    raw.delete(*[f"{PREFIX}mfloor:{s}" for s in range(100)])
    msgs = [m for i in range(n // 2) for m in turn_pair(i)]
    for label, writer in [
        ("sessionmem", lambda s, batch: memory.history("mem", f"s{s}").add_messages(batch)),
        ("floor", lambda s, batch: Floor(raw, f"{PREFIX}mfloor:{s}").add(batch)),
    ]:
        time.sleep(0.2)
        before = int(raw.info("memory")["used_memory"])
        per = n // 100
        for s in range(100):
            writer(s, msgs[s * per : (s + 1) * per])
        time.sleep(0.2)
        after = int(raw.info("memory")["used_memory"])
        print(f"memory per message, {label}: {(after - before) / n:.0f} bytes (used_memory delta, index included)")
    one = memory.history("mem", "s0")
    key = f"{one._keys.message_prefix}1"
    print(f"MEMORY USAGE of one message document: {raw.memory_usage(key, samples=0)} bytes")
    memory.delete_user("mem")
    memory.delete_user("bench")
    raw.delete(*[f"{PREFIX}mfloor:{s}" for s in range(100)], *[f"{PREFIX}floor:{s}" for s in (10, 100, 1000, 5000)])


if __name__ == "__main__":
    main()
