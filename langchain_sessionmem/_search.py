"""RediSearch index schema, schema comparison and query building. Pure: no I/O.

User text never enters a query: tag filters use hex digests, and full-text queries are built
from escaped word tokens only (see ``text_query``).
"""

from __future__ import annotations

import re
from typing import Any

from langchain_sessionmem._keys import message_index_prefix
from langchain_sessionmem.config import SessionMemConfig

# (JSON path, attribute name, type, flags) of the message index.
MESSAGE_SCHEMA: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("$.uh", "user", "TAG", ("CASESENSITIVE",)),
    ("$.sh", "session", "TAG", ("CASESENSITIVE",)),
    ("$.type", "type", "TAG", ("CASESENSITIVE",)),
    ("$.seq", "seq", "NUMERIC", ("SORTABLE",)),
    ("$.ts", "ts", "NUMERIC", ("SORTABLE",)),
    ("$.text", "text", "TEXT", ()),
)


def create_index_args(config: SessionMemConfig) -> list[str]:
    """FT.CREATE arguments for the message index.

    ``STOPWORDS 0`` indexes every word: RediSearch 2.10.5 crashes the server on some queries
    whose leading terms are stop-words, so the index has none to trip over.
    """
    args = ["FT.CREATE", config.index_name, "ON", "JSON", "PREFIX", "1", message_index_prefix(config.key_prefix)]
    args += ["STOPWORDS", "0", "SCHEMA"]
    for path, name, kind, flags in MESSAGE_SCHEMA:
        args += [path, "AS", name, kind, *flags]
    return args


def _s(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return [_s(v) for v in value]
    if isinstance(value, dict):
        return {_s(k): _s(v) for k, v in value.items()}
    return value


def _pairs(value: Any) -> dict[str, Any]:
    """FT.INFO sections come as flat [k, v, k, v] lists (RESP2) or maps (RESP3)."""
    value = _s(value)
    if isinstance(value, dict):
        return value
    return {str(value[i]): value[i + 1] for i in range(0, len(value) - 1, 2)}


def schema_signature(ft_info: Any) -> tuple[str, tuple[str, ...], tuple[tuple[str, str, str, tuple[str, ...]], ...]]:
    """(key type, prefixes, fields) of an existing index, from its FT.INFO reply."""
    info = _pairs(ft_info)
    definition = _pairs(info.get("index_definition", []))
    fields = []
    for attr in info.get("attributes", []):
        flat = _s(attr)
        if isinstance(flat, dict):
            d = flat
            flags_src = [str(f) for f in d.get("flags", [])]
        else:
            d = {str(flat[i]): flat[i + 1] for i in range(0, len(flat) - 1, 2) if isinstance(flat[i], str)}
            flags_src = [str(f) for f in flat]
        flags = tuple(f for f in ("CASESENSITIVE", "SORTABLE") if f in flags_src)
        fields.append((str(d.get("identifier")), str(d.get("attribute")), str(d.get("type")), flags))
    prefixes = tuple(str(p) for p in definition.get("prefixes", []))
    return str(definition.get("key_type")), prefixes, tuple(fields)


def expected_signature(
    config: SessionMemConfig,
) -> tuple[str, tuple[str, ...], tuple[tuple[str, str, str, tuple[str, ...]], ...]]:
    return "JSON", (message_index_prefix(config.key_prefix),), MESSAGE_SCHEMA


_TOKEN = re.compile(r"\w+", re.UNICODE)
_ESCAPE = re.compile(r"([^\w])", re.UNICODE)


def text_query_terms(text: str, limit: int = 32) -> list[str]:
    """Word tokens of ``text``, lower-cased and de-duplicated, at most ``limit``."""
    seen: dict[str, None] = {}
    for tok in _TOKEN.findall(text.lower()):
        if tok not in seen:
            seen[tok] = None
        if len(seen) >= limit:
            break
    return list(seen)


def tag_filter(user_digest: str, session_digest: str | None = None) -> str:
    """A RediSearch filter scoped to one user (and one session): digests are hex, never escaped."""
    q = f"@user:{{{user_digest}}}"
    if session_digest is not None:
        q += f" @session:{{{session_digest}}}"
    return q
