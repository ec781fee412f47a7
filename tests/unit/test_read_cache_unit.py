"""The read cache's pure parts: joining ranges and the bound on what it holds."""

from __future__ import annotations

from langchain_core.messages import HumanMessage

from langchain_sessionmem._cache import Cached, ReadCache, hint, merged


def run(epoch: str, lo: int, hi: int) -> Cached:
    return Cached(epoch, lo, [HumanMessage(str(s)) for s in range(lo, hi + 1)])


def contents(entry: Cached) -> list[str]:
    return [str(m.content) for m in entry.messages]


def test_touching_ranges_of_one_epoch_are_joined_and_cut_at_first() -> None:
    assert contents(merged(run("e", 1, 5), run("e", 4, 8), first=1)) == [str(s) for s in range(1, 9)]
    assert contents(merged(run("e", 6, 9), run("e", 1, 5), first=3)) == [str(s) for s in range(3, 10)]
    assert merged(run("e", 1, 5), run("e", 8, 9), first=1).lo == 8  # a gap: only the new range
    assert merged(run("e", 1, 5), run("f", 5, 6), first=1).epoch == "f"  # another epoch: old is dropped


def test_least_recently_read_sessions_leave_first() -> None:
    cache = ReadCache(10)
    cache.put("a", run("e", 1, 4), 1)
    cache.put("b", run("e", 1, 4), 1)
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", run("e", 1, 4), 1)
    assert cache.get("b") is None and cache.get("a") is not None and cache.size == 8
    cache.put("d", run("e", 1, 11), 1)  # larger than the whole cache: not held
    assert cache.get("d") is None
    cache.put("a", None, 1)
    assert cache.get("a") is None and cache.size == 4


def test_hint_names_what_is_held_and_whether_to_check_it() -> None:
    assert hint(None) == ["", 0, -1, 0]
    assert hint(run("e", 3, 7), check=False) == ["e", 3, 7, 0]
    assert hint(run("e", 3, 7)) == ["e", 3, 7, 1]
