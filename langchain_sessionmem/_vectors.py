"""Embedding text, vector packing and the embedding-model fingerprint. Pure: no I/O."""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Sequence
from datetime import datetime, timezone
from functools import cache
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.messages import BaseMessage

from langchain_sessionmem._codec import content_text
from langchain_sessionmem._search import spoken_date
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.errors import ConfigError

PENDING = "pending"  # ``emb`` value of a message whose embedding failed; reindex() fills it in


def role_of(message: BaseMessage) -> str:
    """The speaker of ``message``: its name, else its ``role`` (a ChatMessage's field, or an extra
    field of any message), else its type."""
    if message.name:
        return message.name
    cls = type(message)
    if _has_role(cls):
        role = getattr(message, "role", None)
    else:  # the same value without pydantic's __getattr__, which raises (slowly) for a missing one
        role = (message.__pydantic_extra__ or {}).get("role")
    return role or message.type


def role_in(message: dict[str, Any]) -> str:
    """``role_of`` the message that ``message`` (``message_to_dict`` output) holds, read from the dict."""
    data = message["data"]
    return data.get("name") or data.get("role") or message["type"]  # type: ignore[no-any-return]


@cache
def _has_role(cls: type[BaseMessage]) -> bool:
    """Whether ``cls`` has a ``role`` of its own (a field or a class attribute), not only an extra one."""
    return "role" in cls.model_fields or hasattr(cls, "role")


def embed_text(message: BaseMessage, template: str, when: datetime) -> str:
    """The text embedded for ``message``, written at ``when``; empty when the message has no
    text (tool-call turns)."""
    text = content_text(message.content)
    if not text.strip():
        return ""
    fields = {"text": text, "role": role_of(message), "type": message.type, "date": when.strftime("%Y-%m-%d")}
    if "{day" in template:  # also {day!s}, {day:>20}: any use of the field needs it
        fields["day"] = spoken_date(when)
    return template.format(**fields)


def message_times(n: int, stamps: Sequence[int] | None) -> list[datetime]:
    """When each of a batch's ``n`` messages was written: its own time (``stamps``, Unix ms, for
    imports), else now (the server stamps live writes with its clock, to the millisecond)."""
    if stamps is None:
        return [datetime.now(timezone.utc)] * n
    return [datetime.fromtimestamp(ms / 1000, tz=timezone.utc) for ms in stamps]


def to_embed(
    messages: Sequence[BaseMessage], config: SessionMemConfig, times: Sequence[datetime]
) -> tuple[list[int], list[str]]:
    """Positions and texts of the messages of a batch that get a vector (``{date}``: ``times``)."""
    positions, texts = [], []
    for i, m in enumerate(messages):
        if m.type in config.embed_message_types:
            text = embed_text(m, config.embed_template, times[i])
            if text:
                positions.append(i)
                texts.append(text)
    return positions, texts


def text_digest(text: str) -> str:
    """64-bit digest of an embedded text, stored beside its vector's mark (``eth``), so that a
    vector that is not its message's embedding can be found without calling the model."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def pack(vector: Sequence[float], dtype: str, dims: int) -> bytes:
    """A vector as the little-endian blob RediSearch stores (FLOAT32 or FLOAT16)."""
    if len(vector) != dims:
        raise ConfigError(
            f"the embeddings returned a {len(vector)}-dimensional vector, the index holds {dims}; "
            "the model changed: run memory.reindex() to rebuild the vectors"
        )
    if not math.isfinite(sum(vector)):  # any NaN or infinity makes the sum non-finite; one pass in C
        raise ConfigError("the embeddings returned a vector with NaN or infinite values")
    return struct.pack(f"<{dims}{'f' if dtype == 'FLOAT32' else 'e'}", *vector)


def model_name(embeddings: Embeddings) -> str:
    cls = type(embeddings)
    name: Any = getattr(embeddings, "model", None) or getattr(embeddings, "model_name", None) or ""
    return f"{cls.__module__}.{cls.__qualname__}:{name}"


def fingerprint(embeddings: Embeddings, dims: int, config: SessionMemConfig) -> str:
    """Short id of (model, dims, template): vectors with another fingerprint are never mixed in."""
    raw = f"{model_name(embeddings)}|{dims}|{config.vector_dtype}|{config.embed_template}"
    return hashlib.sha256(raw.encode()).hexdigest()[:12]
