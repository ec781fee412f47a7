"""The read script (read.lua): the call that asks for a session's messages, and its decoded reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_sessionmem._cache import Cached, ReadCache, State, hint, state_of
from langchain_sessionmem._codec import decode_messages, open_text, reply_text
from langchain_sessionmem._keys import SessionKeys
from langchain_sessionmem._ops.steps import Script
from langchain_sessionmem.encryption import UserCipher


def read(
    keys: SessionKeys,
    user_id: str,
    *,
    k: int = -1,
    after: int = 0,
    limit: int = -1,
    max_tokens: int = -1,
    window: bool = False,
    instructions: bool = False,
    summary: bool = False,
    held: Cached | None = None,
    check: bool = True,
) -> Script:
    """Messages with seq > ``after``: the first ``limit`` of them (paging forward), or the last
    ``k``, or the longest suffix within ``max_tokens`` (-1: no limit). ``window`` cuts as
    ``trim_messages`` does (a leading system message kept, the rest starting on a human one);
    ``instructions`` and ``summary`` also return those (their tokens count against the budget, and
    with ``summary`` only messages after it are read). ``held`` is the reader's cache entry, whose
    messages the server then skips; ``check``: it confirms each of them still exists (needed only
    where the server may evict keys)."""
    flags = ("w" if window else "") + ("i" if instructions else "") + ("s" if summary else "")
    args = [user_id, keys.session_id, keys.message_prefix, k, after, limit, max_tokens, flags, *hint(held, check)]
    return Script("read", [keys.meta, keys.user.user], args)


def _lines(docs: bytes | str) -> list[Any]:
    """The documents the script sent as one string, one per line (compact JSON holds no newline)."""
    if not docs:
        return []
    if isinstance(docs, bytes):
        return docs.split(b"\n")
    return docs.split("\n")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A decoded reply of the read script."""

    exists: bool
    epoch: str
    first: int
    last: int
    tokens: int
    instructions: str | None
    summary: str | None
    summary_upto: int
    summary_gen: int
    lo: int
    hi: int
    nsys: int
    nbefore: int
    skip_lo: int
    skip_hi: int
    docs: list[Any]
    cipher: UserCipher | None = None

    @classmethod
    def of(cls, reply: list[Any], cipher: UserCipher | None = None, uh: str = "", sh: str = "") -> Snapshot:
        numbers, epoch, instr, summ = reply[:4]
        exists, first, last, tokens, _itok, sup, _stok, sgen, lo, hi, nsys, nbefore, slo, shi = map(
            int, numbers.split()
        )
        summary = open_text(reply_text(summ), uh, sh, cipher) or None
        return cls(
            exists == 1, reply_text(epoch), first, last, tokens, reply_text(instr) or None, summary, sup, sgen,
            lo, hi, nsys, nbefore, slo, shi, _lines(reply[4]) if len(reply) > 4 else [], cipher,
        )  # fmt: skip

    @property
    def count(self) -> int:
        return max(0, self.last - self.first + 1)

    def messages(self, cache: ReadCache | None = None, key: str = "", held: Cached | None = None) -> list[BaseMessage]:
        """The stored messages of the reply, taking the range the script skipped from ``held`` (the
        cache entry whose hint was sent) and storing what was read back into ``cache``."""
        cut = self.nsys + self.nbefore
        head, tail = decode_messages(self.docs[:cut], self.cipher), decode_messages(self.docs[cut:], self.cipher)
        middle: list[BaseMessage] = []
        states: list[State] = []
        if self.skip_lo <= self.skip_hi:
            if held is None or cache is None:
                raise RuntimeError("the read script skipped messages that no cache entry holds")
            middle = cache.lend(held, self.skip_lo, self.skip_hi)  # objects no one else holds
            states = held.states[self.skip_lo - held.lo : self.skip_hi - held.lo + 1]
        stored = head[self.nsys :] + middle + tail
        if cache is not None and cache.capacity and self.exists:  # (no state copies for a disabled cache)
            if len(stored) != self.hi - self.lo + 1:  # a key vanished mid-range: positions are unknown
                cache.put(key, None, self.first)
            elif stored:
                states = [*map(state_of, head[self.nsys :]), *states, *map(state_of, tail)]
                cache.put(key, Cached(self.epoch, self.lo, stored, states), self.first)
        return head[: self.nsys] + stored
