"""A scripted executor: runs a plan with no server, answering each step from a script and
recording what the plan sent (replies in, steps out)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from langchain_sessionmem._cache import ReadCache
from langchain_sessionmem._ops.steps import Plan, Step, drive
from langchain_sessionmem._ops.target import ServerFacts, Store
from langchain_sessionmem.config import SessionMemConfig


def store(**options: Any) -> Store:
    config = options.pop("config", None) or SessionMemConfig(key_prefix="u:", index_name="u:idx")
    facts = ServerFacts("redis://scripted", options.pop("is_cluster", False), may_evict=options.pop("may_evict", None))
    return Store(config, facts, cache=ReadCache(options.pop("cache", 0)), **options)


class Scripted:
    """``replies``: one per step, in order; a reply that is an exception is raised into the plan,
    a callable is called with the step."""

    def __init__(self, replies: Iterable[Any]) -> None:
        self.replies = list(replies)
        self.sent: list[Step] = []

    def __call__(self, step: Step) -> Any:
        self.sent.append(step)
        if not self.replies:
            raise AssertionError(f"the plan sent a step the script did not expect: {step!r}")
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply(step) if isinstance(reply, Callable) else reply  # type: ignore[arg-type]

    def run(self, plan: Plan[Any]) -> Any:
        result = drive(plan, self)
        assert not self.replies, f"{len(self.replies)} scripted replies were not asked for"
        return result
