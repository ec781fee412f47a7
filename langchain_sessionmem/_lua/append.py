"""The append script (append.lua): one batch of encoded messages stored atomically."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from langchain_sessionmem._keys import SessionKeys
from langchain_sessionmem._ops.steps import Script


@dataclass(frozen=True, slots=True)
class Row:
    """One message as the script stores it."""

    doc: bytes | str
    """Its encoded JSON document (see _codec.py)."""
    type: str
    vector: bytes | str
    """Its packed embedding, or '' (none)."""
    tokens: int
    ts: int | str
    """Its original time in ms (imports), or '' for the server's clock."""
    id_digest: str
    """``message_id_digest`` of its id, or '' (no id)."""
    text_digest: str = ""
    """``_vectors.text_digest`` of the text its vector was made from, or '' (no vector, or sealed text)."""


class Appended(NamedTuple):
    """The script's reply. A batch whose every message the session already held stores nothing:
    ``first == last + 1``."""

    first: int
    last: int
    server_ms: int
    kept: str
    """'' when every message was stored, else one character per message: '1' stored, '0' skipped
    (its id was already in the session, or repeated within the batch)."""


def append(
    keys: SessionKeys,
    user_id: str,
    *,
    ttl_ms: int,
    max_age_ms: int,
    fingerprint: str,
    title: str,
    batch_id: str,
    rows: Sequence[Row],
) -> Script:
    """``fingerprint``: the embedding model of the rows' vectors; ``title``: the session's title
    if it has none yet (''); ``batch_id``: makes a resend of the same call store nothing twice."""
    args: list[Any] = [user_id, keys.session_id, keys.message_prefix, keys.sh, ttl_ms, max_age_ms]
    args += [keys.vector_prefix, keys.user.uh, fingerprint, title, len(rows), batch_id]
    for r in rows:
        tokens = f"{r.tokens} {r.text_digest}" if r.text_digest else r.tokens
        args += [r.doc, r.type, r.vector, tokens, r.ts, r.id_digest]
    return Script("append", [keys.meta, keys.user.sessions, keys.user.user, keys.ids], args)


def appended(reply: Sequence[Any]) -> Appended:
    kept = reply[3] if len(reply) > 3 else ""
    return Appended(
        int(reply[0]), int(reply[1]), int(reply[2]), kept.decode() if isinstance(kept, bytes) else str(kept)
    )
