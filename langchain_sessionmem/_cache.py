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
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from langchain_core.messages import BaseMessage


@dataclass(frozen=True, slots=True)
class Cached:
    """Decoded messages ``lo..lo + len(messages) - 1`` of one session epoch. Never mutated:
    a read that holds it can use it whatever other threads store meanwhile."""

    epoch: str
    lo: int
    messages: list[BaseMessage]

    @property
    def hi(self) -> int:
        return self.lo + len(self.messages) - 1

    def slice(self, lo: int, hi: int) -> list[BaseMessage]:
        return self.messages[lo - self.lo : hi - self.lo + 1]


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
        before = new.messages[: max(0, old.lo - new.lo)]
        after = new.messages[old.hi + 1 - new.lo :] if new.hi > old.hi else []
        new = Cached(new.epoch, lo, before + old.messages + after)
    if new.lo < first:
        new = Cached(new.epoch, first, new.messages[first - new.lo :])
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

    def put(self, key: str, new: Cached | None, first: int) -> None:
        """Store ``new`` (joined with what is held, see ``merged``); None forgets the session."""
        if not self.capacity:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._size -= 0 if old is None else len(old.messages)
            if new is None:
                return
            entry = merged(old, new, first)
            if not entry.messages or len(entry.messages) > self.capacity:
                return
            self._entries[key] = entry
            self._size += len(entry.messages)
            while self._size > self.capacity:
                _, out = self._entries.popitem(last=False)
                self._size -= len(out.messages)

    @property
    def size(self) -> int:
        """Messages held, all sessions together."""
        return self._size
