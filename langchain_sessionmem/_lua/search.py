"""The search script (search.lua): the retriever's searches and the documents of their best hits
in one call, on a single server; the searches it runs (which a cluster sends as they are); and
its decoded reply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_sessionmem._codec import optional_text, reply_text
from langchain_sessionmem._keys import UserKeys
from langchain_sessionmem._ops.steps import Command, Script

Mode = Literal["score", "fused", "all"]
Key = tuple[str, int]  # (session digest, seq): one message of the user
Candidate = tuple[Key, float, "float | None", int]
"""One hit of one search that counts: (key, its own score (1 - distance, or BM25), its distance
(vector hits), when it was written (Unix ms; 0 when the search did not ask)). A plain tuple: a
search makes dozens of them."""


@dataclass(frozen=True, slots=True)
class KnnSearch:
    """The filtered KNN search: ``fetch`` nearest to ``blob`` by ``query`` (``_search.knn_query``),
    or by ``model_query``, the same among one model's vectors only; each hit with its distance,
    its model fingerprint and, with ``times``, when it was written. search.lua builds the same
    commands from these parts (what a call sends is then its parts only)."""

    index: str
    query: str
    model_query: str
    blob: bytes
    fetch: int
    times: bool

    def command(self, *, model: bool = False) -> Command:
        returns = (3, "dist", "ts", "m") if self.times else (2, "dist", "m")
        query = self.model_query if model else self.query
        return Command("FT.SEARCH", self.index, query, "PARAMS", 2, "vec", self.blob, "SORTBY", "dist", "ASC",
                       "RETURN", *returns, "LIMIT", 0, self.fetch, "DIALECT", 2)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TextSearch:
    """The BM25 search by ``query`` (``_search.text_query``): the best ``fetch``, each with when it
    was written. search.lua builds the same command from these parts."""

    index: str
    query: str
    fetch: int

    def command(self) -> Command:
        return Command("FT.SEARCH", self.index, self.query, "WITHSCORES", "SCORER", "BM25", "RETURN", 1, "ts",
                       "LIMIT", 0, self.fetch, "DIALECT", 2)  # fmt: skip


def search(
    user: UserKeys,
    *,
    knn: KnnSearch | None,
    fingerprint: str,
    text: TextSearch | None,
    n: int,
    mode: Mode,
    text_weight: float,
    distance_threshold: float | None,
    neighbors: int,
) -> Script:
    """Run ``knn`` (among the vectors of model ``fingerprint`` only, when another model's answer
    it) and ``text``, and read the documents of the best ``n`` hits by ``mode`` ("score": one
    search by its own score; "fused": hybrid, by weighted reciprocal rank fusion; "all": every
    hit), each with its ``neighbors`` before and after."""
    args: list[Any] = [n, mode, repr(text_weight), "" if distance_threshold is None else repr(distance_threshold)]
    args += [neighbors, fingerprint, user.message_prefix, user.meta_prefix]
    if knn is None:
        args += ["", "", "", "", 0, ""]
    else:
        args += [knn.index, knn.query, knn.model_query, knn.blob, knn.fetch, "1" if knn.times else ""]
    args += ["", "", 0] if text is None else [text.index, text.query, text.fetch]
    return Script("search", [user.user], args)


@dataclass(frozen=True, slots=True)
class Found:
    """A decoded reply of the search script."""

    knn: list[Candidate] | None
    """The KNN hits that count, nearest first; None: no KNN search."""
    text: list[Candidate] | None
    """The BM25 hits, best first; None: no text search."""
    docs: dict[Key, str | None]
    """(session digest, seq) -> the stored document, None when it is gone: every message read."""
    owners: dict[str, tuple[str | None, str | None]]
    """Session digest -> (user_id, session_id) of its meta ((None, None): gone)."""

    @classmethod
    def of(cls, reply: Sequence[Any]) -> Found:
        knn, text, joined_docs, flat_owners = reply
        docs: dict[Key, str | None] = {}
        for row in reply_text(joined_docs).split("\n") if joined_docs else ():
            sh, seq, doc = row.split(":", 2)
            docs[(sh, int(seq))] = doc or None
        owners = {
            reply_text(flat_owners[i]): (optional_text(flat_owners[i + 1]), optional_text(flat_owners[i + 2]))
            for i in range(0, len(flat_owners), 3)
        }
        return cls(_candidates(knn, True), _candidates(text, False), docs, owners)


def _candidates(joined: Any, similarity: bool) -> list[Candidate] | None:
    """The hits of one search as the script gives them ('sh:seq:distance-or-score:ts', joined by
    spaces), as ``_ops.search.candidates`` reads an FT.SEARCH reply's."""
    if joined is None:
        return None
    out: list[Candidate] = []
    for hit in reply_text(joined).split(" ") if joined else ():
        sh, seq, value, ts = hit.split(":")
        v = float(value)
        if similarity:
            out.append(((sh, int(seq)), 1.0 - v, v, int(float(ts))))
        else:
            out.append(((sh, int(seq)), v, None, int(float(ts))))
    return out
