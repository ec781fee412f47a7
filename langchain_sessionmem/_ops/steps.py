"""The steps an operation asks for, and the two drivers that carry them out.

An operation is a generator (a *plan*): it ``yield``s a step, receives the step's result (or has
the error thrown in) and ``return``s its own result. Every decision on a reply is made in the plan,
once, for the sync and the async API alike; the backend's ``execute``/``aexecute`` are the one place
that knows how to carry out each kind of step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, Union

T = TypeVar("T")


class Command:
    """One Redis command: ``Command("HGET", key, "uid")``."""

    __slots__ = ("args",)

    def __init__(self, *args: Any) -> None:
        self.args: tuple[Any, ...] = args

    @property
    def name(self) -> str:
        return str(self.args[0]).upper()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Command) and other.args == self.args

    def __hash__(self) -> int:
        return hash(self.args)

    def __repr__(self) -> str:
        return f"Command{self.args!r}"


@dataclass(frozen=True, slots=True)
class Script:
    """A call of the Lua script ``name`` (see ``_lua``), sent by EVALSHA."""

    name: str
    keys: Sequence[str]
    args: Sequence[Any]


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Commands and scripts sent together in one round trip; the result is their replies, in order."""

    steps: Sequence[Command | Script]


@dataclass(frozen=True, slots=True)
class EmbedDocuments:
    """The memory's ``embed_documents`` (``aembed_documents``) on ``texts``: one vector each."""

    texts: Sequence[str]


@dataclass(frozen=True, slots=True)
class EmbedQuery:
    """The memory's ``embed_query`` (``aembed_query``)."""

    text: str


@dataclass(frozen=True, slots=True)
class Chat:
    """``model.invoke(messages)`` (``ainvoke``): the model's reply message."""

    model: Any
    messages: Sequence[Any]


@dataclass(frozen=True, slots=True)
class Rerank:
    """``compressor.compress_documents(documents, query)``: the documents, best first."""

    compressor: Any
    documents: Sequence[Any]
    query: str


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait ``seconds`` (``time.sleep``; ``asyncio.sleep`` on the async path)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Primaries:
    """The cluster's primaries; ``[None]`` on a single server (see _cluster.py)."""


@dataclass(frozen=True, slots=True)
class OnNode:
    """``command`` on one primary (``node`` None: the single server); its reply."""

    node: Any
    command: Command


Step = Union[Command, Script, Pipeline, EmbedDocuments, EmbedQuery, Chat, Rerank, Pause, Primaries, OnNode]  # noqa: UP007
Plan = Generator[Step, Any, T]


def call(step: Step) -> Plan[Any]:
    """A plan of one step: its result."""
    return (yield step)


def drive(plan: Plan[T], execute: Callable[[Step], Any]) -> T:
    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = plan.throw(error) if error is not None else plan.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        reply, error = None, None
        try:
            reply = execute(step)
        except Exception as exc:  # handed to the plan, which decides
            error = exc


async def adrive(plan: Plan[T], execute: Callable[[Step], Awaitable[Any]]) -> T:
    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = plan.throw(error) if error is not None else plan.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        reply, error = None, None
        try:
            reply = await execute(step)
        except Exception as exc:
            error = exc
