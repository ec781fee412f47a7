"""Drive a plan written once as a generator of Redis commands, from sync or async code.

A plan ``yield``s a command tuple and receives its reply (or has the error thrown in); its
``return`` value is the result. Branching on replies thus lives in one place for both APIs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

T = TypeVar("T")
Plan = Generator[tuple[Any, ...], Any, T]


def drive(plan: Plan[T], execute: Callable[..., Any]) -> T:
    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            cmd = plan.throw(error) if error is not None else plan.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        reply, error = None, None
        try:
            reply = execute(*cmd)
        except Exception as exc:  # handed to the plan, which decides
            error = exc


async def adrive(plan: Plan[T], execute: Callable[..., Awaitable[Any]]) -> T:
    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            cmd = plan.throw(error) if error is not None else plan.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        reply, error = None, None
        try:
            reply = await execute(*cmd)
        except Exception as exc:
            error = exc
