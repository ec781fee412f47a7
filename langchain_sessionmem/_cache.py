"""Decoded messages kept between reads, so that a read decodes only what is new.

A stored message never changes once written: its document is addressed by the session's
``epoch`` (which changes when the session is created anew, after a delete or a TTL expiry) and
its sequence number (never reused within an epoch; ``clear()`` only moves ``first`` forward). So a
message decoded once can be reused as long as its key still exists. A read sends the range it
holds for the session; the read script skips the part of that range it would have returned and
returns only the rest. Messages expire oldest first (the APPEND script keeps per-message deadlines
in order), so expiry shows as ``first`` moving forward; only a server whose maxmemory policy may
evict keys can remove a key in the middle, and there the script first checks every skipped key
still exists (one EXISTS per 1,000 keys).

The cache is per memory object (so per process), bounded in messages, least recently used
sessions first out, and safe to share between threads.

A read never hands out an object that someone else holds. Beside each decoded message the
entry keeps its pristine state (a private deep copy of its fields, taken once). A cached object is
lent out again only if nothing but the cache refers to it (the callers of earlier reads dropped
it) and its fields still equal that state. Otherwise the read lends a fresh object built from the
state. So a caller that edits a returned message (appends to its content, sets its id, changes
nested metadata), before or after dropping it, changes no later read. The common case costs one
reference count and one C-level dict comparison per message and allocates nothing. Copying every
message on every read, or rebuilding messages from stored dicts, would allocate several objects
per message per read; measured, that costs several times the whole read and, through the garbage
collector, far more at the tail.
"""

from __future__ import annotations

import copy
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage

_SHARED = frozenset({str, int, float, bool, type(None)})  # immutable: copies may share them
_new = object.__new__
_set = object.__setattr__
State = tuple[type[BaseMessage], dict[str, Any], Any, frozenset[str], Any]


def _copy_value(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SHARED else _copy_value(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SHARED else _copy_value(v) for v in value]
    return value if kind in _SHARED else copy.deepcopy(value)


def state_of(m: BaseMessage) -> State:
    """A private deep copy of what makes ``m`` (what ``model_copy(deep=True)`` copies)."""
    extra, private = _copy_value(m.__pydantic_extra__), _copy_value(m.__pydantic_private__)
    return (m.__class__, _copy_value(m.__dict__), extra, frozenset(m.__pydantic_fields_set__), private)


def from_state(state: State) -> BaseMessage:
    """A new message, equal to the one ``state`` was taken from, sharing nothing mutable with it."""
    cls, fields, extra, fields_set, private = state
    m = _new(cls)
    _set(m, "__dict__", _copy_value(fields))
    _set(m, "__pydantic_fields_set__", set(fields_set))
    _set(m, "__pydantic_extra__", _copy_value(extra))
    _set(m, "__pydantic_private__", _copy_value(private))
    return m


def _alone() -> int:
    """How many references ``lend`` counts to an object that only an entry's list holds (the
    count includes the call's own references, which vary between Python versions)."""
    items, getrefcount = [object()], sys.getrefcount
    m = items[0]
    return getrefcount(m)


# Without reference counts (not CPython), nothing is lent twice: every read gets fresh objects.
_ALONE = _alone() if hasattr(sys, "getrefcount") else -1


@dataclass(frozen=True, slots=True)
class Cached:
    """Decoded messages ``lo..lo + len(messages) - 1`` of one session epoch, and their pristine
    states. Only ``ReadCache.lend`` replaces an object of ``messages`` (by a fresh one of the same
    state): a read that holds the entry can use it whatever other threads store meanwhile."""

    epoch: str
    lo: int
    messages: list[BaseMessage]
    states: list[State] = field(default_factory=list)  # empty: taken from ``messages``

    def __post_init__(self) -> None:
        if len(self.states) != len(self.messages):
            _set(self, "states", [state_of(m) for m in self.messages])

    @property
    def hi(self) -> int:
        return self.lo + len(self.messages) - 1


def hint(entry: Cached | None, check: bool = True) -> list[str | int]:
    """The read script's cache arguments: epoch, lo, hi of what we hold, and whether the server
    must confirm each of those keys still exists (only where it may evict keys: without eviction
    a key of a live epoch at or above ``first`` cannot vanish, see the APPEND script)."""
    return ["", 0, -1, 0] if entry is None else [entry.epoch, entry.lo, entry.hi, int(check)]


def merged(old: Cached | None, new: Cached, first: int) -> Cached:
    """``new`` joined with ``old`` when they belong to the same epoch and touch, without the
    messages before ``first`` (cleared or expired)."""
    if old is not None and old.epoch == new.epoch and new.lo <= old.hi + 1 and old.lo <= new.hi + 1:
        lo = min(old.lo, new.lo)
        cut, tail = max(0, old.lo - new.lo), old.hi + 1 - new.lo
        after, after_states = (new.messages[tail:], new.states[tail:]) if new.hi > old.hi else ([], [])
        messages = new.messages[:cut] + old.messages + after
        new = Cached(new.epoch, lo, messages, new.states[:cut] + old.states + after_states)
    if new.lo < first:
        new = Cached(new.epoch, first, new.messages[first - new.lo :], new.states[first - new.lo :])
    return new


class ReadCache:
    """Per-session ``Cached`` entries, at most ``capacity`` messages in all (0: disabled)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, Cached] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Cached | None:
        if not self.capacity:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, new: Cached | None, first: int) -> bool:
        """Store ``new`` (joined with what is held, see ``merged``); None forgets the session.
        Returns whether ``new``'s messages are now held."""
        if not self.capacity:
            return False
        with self._lock:
            old = self._entries.pop(key, None)
            self._size -= 0 if old is None else len(old.messages)
            if new is None:
                return False
            entry = merged(old, new, first)
            if not entry.messages or len(entry.messages) > self.capacity:
                return False
            self._entries[key] = entry
            self._size += len(entry.messages)
            while self._size > self.capacity:
                _, out = self._entries.popitem(last=False)
                self._size -= len(out.messages)
            return True

    def lend(self, entry: Cached, lo: int, hi: int) -> list[BaseMessage]:
        """Messages ``lo..hi`` of ``entry`` for a caller to own: each cached object that nothing
        else refers to and that is unchanged, else a fresh one (which the entry keeps instead)."""
        out = []
        getrefcount, alone = sys.getrefcount, _ALONE
        with self._lock:  # two readers must not both find the same object alone
            messages, states = entry.messages, entry.states
            for i in range(lo - entry.lo, hi - entry.lo + 1):
                m = messages[i]  # counted as in _alone(): the list's reference, m, the call's own
                state = states[i]
                if (
                    getrefcount(m) != alone
                    or m.__dict__ != state[1]
                    or m.__pydantic_extra__ != state[2]
                    or m.__pydantic_fields_set__ != state[3]
                ):
                    m = messages[i] = from_state(state)
                out.append(m)
        return out

    @property
    def size(self) -> int:
        """Messages held, all sessions together."""
        return self._size
