"""The search script (search.lua): the retriever's searches and the documents of their best hits
in one call, on a single server; and its decoded reply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_sessionmem._codec import reply_text
from langchain_sessionmem._keys import UserKeys
from langchain_sessionmem._ops.steps import Command, Script

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
    ``fingerprint``) and ``text``, and read the documents of the best ``n`` hits by ``mode``
    ("score": one search by its own score; "fused": hybrid, by weighted reciprocal rank fusion;
    "all": every hit), each with its ``neighbors`` before and after."""
    if (knn is None) != (knn_model is None):
        raise ValueError("a KNN search needs its model-only form too")
    args: list[Any] = [n, mode, repr(text_weight), "" if distance_threshold is None else repr(distance_threshold)]
    args += [neighbors, fingerprint, user.message_prefix, user.meta_prefix]
    for command in (knn, knn_model, text):
        args += [0] if command is None else [len(command.args), *command.args]
    return Script("search", [user.user], args)


@dataclass(frozen=True, slots=True)
class Found:
    """A decoded reply of the search script."""

    knn: Any
    """The KNN FT.SEARCH reply (RESP2), None when there was no KNN search."""
    text: Any
    """The BM25 FT.SEARCH reply (RESP2), None when there was no text search."""
    docs: dict[tuple[str, int], Any]
    """(session digest, seq) -> the stored document, None when it is gone: every message read."""
    owners: dict[str, tuple[str | None, str | None]]
    """Session digest -> (user_id, session_id) of its meta ((None, None): gone)."""

    @classmethod
    def of(cls, reply: Sequence[Any]) -> Found:
        knn, text, flat_docs, flat_owners = reply
        docs = {
            (reply_text(flat_docs[i]), int(flat_docs[i + 1])): flat_docs[i + 2] or None
            for i in range(0, len(flat_docs), 3)
        }
        owners = {
            reply_text(flat_owners[i]): (_text(flat_owners[i + 1]), _text(flat_owners[i + 2]))
            for i in range(0, len(flat_owners), 3)
        }
        return cls(knn or None, text or None, docs, owners)


def _text(value: Any) -> str | None:
    return None if value is None or value is False else reply_text(value)
