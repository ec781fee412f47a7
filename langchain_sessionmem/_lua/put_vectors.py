"""The put_vectors script (put_vectors.lua): vectors made by reindex() stored beside their messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_sessionmem._keys import UserKeys
from langchain_sessionmem._ops.steps import Script


@dataclass(frozen=True, slots=True)
class Vector:
    seq: int | str
    type: str
    blob: bytes | str
    """The packed vector; '' for a message with no text to embed (it is only marked)."""
    text_digest: str
    """``text_digest`` of the text embedded; '' for sealed content (a digest would confirm guesses)."""


def put_vectors(user: UserKeys, sh: str, fingerprint: str, vectors: Sequence[Vector]) -> Script:
    """The vectors of one session's messages (``user``: key names only; ``sh``: the session
    digest), made by the model ``fingerprint``. The reply is how many were stored: a message
    deleted meanwhile gets none."""
    args: list[int | str | bytes] = [user.messages_of(sh), user.vectors_of(sh), user.uh, sh, fingerprint]
    for v in vectors:
        args += [v.seq, v.type, v.blob, v.text_digest]
    return Script("put_vectors", [user.meta_of(sh)], args)
