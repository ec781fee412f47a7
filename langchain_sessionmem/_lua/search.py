"""The search script (search.lua): the retriever's searches and the documents of their best hits
in one call, on a single server; and its decoded reply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_sessionmem._codec import optional_text, reply_text
from langchain_sessionmem._keys import UserKeys
from langchain_sessionmem._ops.steps import Command, Script
from langchain_sessionmem._search import Hit

Mode = Literal["score", "fused", "all"]


def search(
    user: UserKeys,
    *,
    knn: Command | None,
    knn_model: Command | None,
    fingerprint: str,
    text: Command | None,
    n: int,
    mode: Mode,
    text_weight: float,
    distance_threshold: float | None,
    neighbors: int,
) -> Script:
    """Run ``knn`` (``knn_model`` instead when another model's vectors answer it, see
    ``fingerprint``; the two differ in their query only) and ``text``, and read the documents of
    the best ``n`` hits by ``mode`` ("score": one search by its own score; "fused": hybrid, by
    weighted reciprocal rank fusion; "all": every hit), each with its ``neighbors`` before and after."""
    if (knn is None) != (knn_model is None):
        raise ValueError("a KNN search needs its model-only form too")
    args: list[Any] = [n, mode, repr(text_weight), "" if distance_threshold is None else repr(distance_threshold)]
    args += [neighbors, fingerprint, user.message_prefix, user.meta_prefix]
    args += [0, ""] if knn is None or knn_model is None else [len(knn.args), *knn.args, knn_model.args[2]]
    args += [0] if text is None else [len(text.args), *text.args]
    return Script("search", [user.user], args)


@dataclass(frozen=True, slots=True)
class Found:
    """A decoded reply of the search script."""

    knn: list[Hit] | None
    """The KNN hits that count (as FT.SEARCH ... RETURN dist ts gives them), None: no KNN search."""
    text: list[Hit] | None
    """The BM25 hits (as FT.SEARCH ... WITHSCORES RETURN ts gives them), None: no text search."""
    docs: dict[tuple[str, int], str | None]
    """(session digest, seq) -> the stored document, None when it is gone: every message read."""
    owners: dict[str, tuple[str | None, str | None]]
    """Session digest -> (user_id, session_id) of its meta ((None, None): gone)."""

    @classmethod
    def of(cls, user: UserKeys, reply: Sequence[Any]) -> Found:
        knn, text, flat_docs, flat_owners = reply
        docs: dict[tuple[str, int], str | None] = {}
        for row in flat_docs:
            sh, seq, doc = reply_text(row).split(":", 2)
            docs[(sh, int(seq))] = doc or None
        owners = {
            reply_text(flat_owners[i]): (optional_text(flat_owners[i + 1]), optional_text(flat_owners[i + 2]))
            for i in range(0, len(flat_owners), 3)
        }
        return cls(_hits(user.vector_prefix, knn, False), _hits(user.message_prefix, text, True), docs, owners)


def _hits(prefix: str, rows: Sequence[Any] | None, scored: bool) -> list[Hit] | None:
    if rows is None:
        return None
    out = []
    for row in rows:
        sh, seq, value, ts = reply_text(row).split(":")
        key = f"{prefix}{sh}:{seq}"
        out.append(Hit(key, float(value), {"ts": ts}) if scored else Hit(key, None, {"dist": value, "ts": ts}))
    return out
