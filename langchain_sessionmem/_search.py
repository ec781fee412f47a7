"""RediSearch index schema, schema comparison and query building. Pure: no I/O.

User text never enters a query: tag filters use hex digests, and full-text queries are built
from escaped word tokens only (see ``text_query``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_sessionmem._keys import message_index_prefix, vector_index_prefix
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.errors import IndexSchemaMismatchError
from langchain_sessionmem.types import IndexStats

# (JSON path, attribute name, type, flags) of each field of an index.
Fields = tuple[tuple[str, str, str, tuple[str, ...]], ...]
# The message index.
MESSAGE_SCHEMA: Fields = (
    ("$.uh", "user", "TAG", ("CASESENSITIVE",)),
    ("$.sh", "session", "TAG", ("CASESENSITIVE",)),
    ("$.type", "type", "TAG", ("CASESENSITIVE",)),
    ("$.seq", "seq", "NUMERIC", ()),
    ("$.ts", "ts", "NUMERIC", ()),
    ("$.text", "text", "TEXT", ()),
    ("$.emb", "emb", "TAG", ("CASESENSITIVE",)),
    ("$.ctx", "ctx", "TEXT", ()),
)
# Version 0.1.0 made ``seq`` and ``ts`` SORTABLE, which kept a copy of both in the index
# (48 B a message) that no query sorts on: their indexes serve every query and are used as they are.
SORTABLE_SCHEMA: Fields = tuple((p, a, k, ("SORTABLE",) if a in ("seq", "ts") else f) for p, a, k, f in MESSAGE_SCHEMA)
ACCEPTED_SCHEMAS = frozenset({MESSAGE_SCHEMA, SORTABLE_SCHEMA})
# Indexes created before ``ctx`` existed are migrated by adding it (FT.ALTER); their documents
# stay searchable by their text.
MIGRATIONS: dict[Fields, tuple[str, ...]] = {
    SORTABLE_SCHEMA[:-1]: ("SCHEMA", "ADD", "$.ctx", "AS", "ctx", "TEXT"),
}

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def spoken_date(when: datetime) -> str:
    """A date the way people write and ask about it: ``Monday 8 May 2023`` (English, UTC)."""
    return f"{WEEKDAYS[when.weekday()]} {when.day} {MONTHS[when.month - 1]} {when.year}"


def context_text(message: BaseMessage, when: datetime) -> str:
    """What the full-text index holds beside a message's text (its ``ctx`` field): the speaker's
    name and the message's own date, so "what did Maya say in May 2023" can match words the
    text itself never contains."""
    speaker = message.name or getattr(message, "role", None) or ""
    return f"{speaker} {spoken_date(when)}".strip()


# (key type, prefixes, fields) of an index, as compared by setup().
Signature = tuple[str, tuple[str, ...], Fields]

# Hash fields of a message vector (key ``P v:{U}:S:<seq>``), all indexed by the vector index.
VECTOR_TAGS = (("uh", "user"), ("sh", "session"), ("type", "type"), ("m", "m"))
VECTOR_NUMERIC = ("seq", "ts")


def create_index_args(config: SessionMemConfig) -> list[str]:
    """FT.CREATE arguments for the message index.

    ``STOPWORDS 0`` indexes every word: RediSearch 2.10.5 crashes the server on some queries
    whose leading terms are stop-words, so the index has none to trip over. ``NOOFFSETS``: no
    query uses term positions (no phrases, slop or highlighting) and BM25 scores do not depend on
    them; leaving them out saves 44 B a message (110 B of ``used_memory``).
    """
    args = ["FT.CREATE", config.index_name, "ON", "JSON", "PREFIX", "1", message_index_prefix(config.key_prefix)]
    args += ["NOOFFSETS", "STOPWORDS", "0", "SCHEMA"]
    for path, name, kind, flags in MESSAGE_SCHEMA:
        args += [path, "AS", name, kind, *flags]
    return args


def create_vector_index_args(config: SessionMemConfig, dims: int) -> list[str]:
    """FT.CREATE arguments for the vector index (HASH documents, FLOAT32/16 blobs)."""
    args = ["FT.CREATE", config.vector_index_name, "ON", "HASH", "PREFIX", "1", vector_index_prefix(config.key_prefix)]
    args += ["STOPWORDS", "0", "SCHEMA"]
    for name, alias in VECTOR_TAGS:  # same attribute names as the message index: one filter syntax
        args += [name, "AS", alias, "TAG", "CASESENSITIVE"]
    for name in VECTOR_NUMERIC:
        args += [name, "NUMERIC"]
    params = ["TYPE", config.vector_dtype, "DIM", str(dims), "DISTANCE_METRIC", "COSINE"]
    return [*args, "v", "VECTOR", config.vector_algorithm, str(len(params)), *params]


def vector_index_dims(ft_info: Any) -> tuple[int, str, str] | None:
    """(dims, dtype, algorithm) of the vector field of an existing vector index."""
    info = _pairs(ft_info)
    for attr in info.get("attributes", []):
        d = _pairs(attr) if not isinstance(_s(attr), dict) else _s(attr)
        if str(d.get("type")) == "VECTOR":
            dims = d.get("dim") or d.get("DIM")
            dtype = d.get("data_type") or d.get("DATA_TYPE") or d.get("type")
            alg = d.get("algorithm") or d.get("ALGORITHM")
            return int(str(dims)), str(dtype).upper(), str(alg).upper()
    return None


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


def still_indexing(ft_info: Any) -> bool:
    """The index is still scanning the keys that existed when it was created (FT.INFO ``indexing``)."""
    return bool(int(float(_pairs(ft_info).get("indexing", 0) or 0)))


def index_stats(name: str, ft_info: Any) -> IndexStats:
    """Documents and scan progress of the index ``name``, from its FT.INFO reply (RESP2 or RESP3)."""
    info = _pairs(ft_info)
    return IndexStats(
        name=name,
        docs=int(float(info.get("num_docs", 0))),
        indexing=still_indexing(info),
        percent_indexed=float(info.get("percent_indexed", 0) or 0),
    )


def schema_signature(ft_info: Any) -> Signature:
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


def expected_signature(config: SessionMemConfig) -> Signature:
    return "JSON", (message_index_prefix(config.key_prefix),), MESSAGE_SCHEMA


def check_index(ft_info: Any, config: SessionMemConfig) -> None:
    """Raise IndexSchemaMismatchError when an existing message index is not the one ``config``
    needs (another memory's, or another version's), saying what differs in words."""
    found, want = schema_signature(ft_info), expected_signature(config)
    if found[:2] != want[:2] or found[2] not in ACCEPTED_SCHEMAS:
        raise IndexSchemaMismatchError(describe_schema_mismatch(found, config)[0])


def _own_index_hint(config: SessionMemConfig) -> str:
    default = f"{config.key_prefix}idx"
    if config.index_name == default:
        return "pass another SessionMemConfig.index_name"
    return f"leave SessionMemConfig.index_name unset (it then defaults to {default!r}) or pass another name"


def check_vector_index(ft_info: Any, config: SessionMemConfig) -> None:
    """Raise IndexSchemaMismatchError when the vector index of ``config``'s name covers another
    key prefix: it belongs to another memory, so nothing here may rebuild or search it."""
    definition = _pairs(_pairs(ft_info).get("index_definition", []))
    prefixes = tuple(str(p) for p in definition.get("prefixes", []))
    if prefixes != (vector_index_prefix(config.key_prefix),):
        theirs = ", ".join(repr(p[:-2] if p.endswith("v:") else p) for p in prefixes) or "no prefix"
        raise IndexSchemaMismatchError(
            f"vector index {config.vector_index_name!r} belongs to another memory: it indexes keys under key_prefix "
            f"{theirs}, while this memory's key_prefix is {config.key_prefix!r}. Give this memory an index of its "
            f"own ({_own_index_hint(config)})"
        )


def _field_words(field: tuple[str, str, str, tuple[str, ...]]) -> str:
    path, _, kind, flags = field
    return " ".join([kind, "on", path, *flags])


def describe_schema_mismatch(found: Signature, config: SessionMemConfig) -> tuple[str, bool]:
    """What differs between an existing message index and the one ``config`` needs, in words, and
    whether the index is this configuration's own (it indexes this key prefix's JSON messages):
    only then may the fix be to drop and rebuild it."""
    key_type, prefixes, fields = found
    name, want_prefix = config.index_name, message_index_prefix(config.key_prefix)
    if tuple(prefixes) != (want_prefix,):
        theirs = ", ".join(repr(p[:-2] if p.endswith("m:") else p) for p in prefixes) or "no prefix"
        return (
            f"index {name!r} belongs to another memory: it indexes keys under key_prefix {theirs}, while this "
            f"memory's key_prefix is {config.key_prefix!r}. Give this memory an index of its own "
            f"({_own_index_hint(config)}), or "
            "use that memory's key_prefix to share its data",
            False,
        )
    if key_type != "JSON":
        return (
            f"index {name!r} indexes {key_type} keys under {want_prefix!r}; this package stores JSON documents, "
            "so it was made by something else. Pass another SessionMemConfig.index_name",
            False,
        )
    have = {f[1]: f for f in fields}
    differences = []
    for path, attr, kind, flags in MESSAGE_SCHEMA:
        got = have.pop(attr, None)
        if got is None:
            differences.append(f"field {attr!r} ({kind}) is missing")
        elif got != (path, attr, kind, flags):
            differences.append(
                f"field {attr!r} is {_field_words(got)}, this version needs {_field_words((path, attr, kind, flags))}"
            )
    differences += [f"field {attr!r} is not part of this version's schema" for attr in have]
    return (
        f"index {name!r} was created by another version of this package: {'; '.join(differences)}. Rebuild it: "
        "memory.drop_indexes() (every message and vector is kept), then memory.setup()",
        True,
    )


# RediSearch's default stop-words plus the pronouns and auxiliaries of ordinary questions: left
# out of text queries, which both ranks better and keeps queries away from the stop-word path
# that crashes RediSearch 2.10.5 (the index itself has STOPWORDS 0).
STOPWORDS = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that the their then there these they
    this to was will with i me my mine we our you your he him his she her its them what which who whom
    when where why how do does did done have has had can could would should shall may might must am been
    being were so than too very just about any all some one give tell say said please""".split()
)

# RediSearch's own default stop-words: never in a query, whatever their case (see above).
REDISEARCH_STOPWORDS = frozenset(
    """a is the an and are as at be but by for if in into it no not of on or such that their then there these
    they this to was will with""".split()
)
_TOKEN = re.compile(r"\w+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?:;]\s*$")


def text_query_terms(text: str, limit: int = 32) -> list[str]:
    """Word tokens of ``text`` for a full-text query: lower-cased, de-duplicated, no stop-words
    and no one-letter fragments (``what's`` -> ``s``), only word characters (so no query syntax
    can come through), at most ``limit``.

    A stop-word written with a capital inside a sentence is a name or a month and is kept ("in
    May 2023", "what did Mark say"), unless it is one of RediSearch's default stop-words."""
    seen: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        tok = match.group().lower()
        if len(tok) < 2 or tok in seen or not any(c.isalnum() for c in tok):
            continue
        if tok in STOPWORDS:
            before = text[: match.start()]
            named = match.group()[0].isupper() and before.strip() and not _SENTENCE_END.search(before)
            if not named or tok in REDISEARCH_STOPWORDS:
                continue
        seen[tok] = None
        if len(seen) >= limit:
            break
    return list(seen)


@dataclass(frozen=True)
class Scope:
    """What a search may return: one user, optionally one session, roles, a time window, and
    the tail of the current session to leave out (already in the recent window)."""

    uh: str
    sh: str | None = None
    types: tuple[str, ...] = ()
    since_ms: int | None = None
    until_ms: int | None = None
    exclude_session: str | None = None
    exclude_from_seq: int | None = None

    def filter(self) -> str:
        q = tag_filter(self.uh, self.sh)
        if self.types:
            q += " @type:{" + "|".join(_tag_value(t) for t in self.types) + "}"
        if self.since_ms is not None or self.until_ms is not None:
            lo = "-inf" if self.since_ms is None else str(self.since_ms)
            hi = "+inf" if self.until_ms is None else str(self.until_ms)
            q += f" @ts:[{lo} {hi}]"
        if self.exclude_session is not None and self.exclude_from_seq is not None:
            q += f" -(@session:{{{self.exclude_session}}} @seq:[{self.exclude_from_seq} +inf])"
        return q


def _tag_value(value: str) -> str:
    """Escape a tag value (message types are library-chosen words, escaped all the same)."""
    return re.sub(r"([^A-Za-z0-9_])", r"\\\1", value)


def knn_query(scope: Scope, k: int, model_fp: str | None = None) -> str:
    """The filtered KNN query; with ``model_fp``, only among vectors of that embedding model."""
    model = "" if model_fp is None else f" @m:{{{model_fp}}}"
    return f"({scope.filter()}{model})=>[KNN {k} @v $vec AS dist]"


def one_model(hits: list[Hit], model_fp: str) -> bool:
    """Whether every hit of a KNN search (RETURN ... m) has the model fingerprint ``model_fp``."""
    return all(hit.fields.get("m") == model_fp for hit in hits)


def text_query(scope: Scope, terms: list[str], context: bool = True) -> str | None:
    """BM25 query over the text, and with ``context`` over the speaker and date (``ctx``) too."""
    if not terms:
        return None
    fields = "text|ctx" if context else "text"
    return f"{scope.filter()} @{fields}:(" + "|".join(t.replace("_", "\\_") for t in terms) + ")"


def tag_filter(user_digest: str, session_digest: str | None = None) -> str:
    """A RediSearch filter scoped to one user (and one session): digests are hex, never escaped."""
    q = f"@user:{{{user_digest}}}"
    if session_digest is not None:
        q += f" @session:{{{session_digest}}}"
    return q


@dataclass(frozen=True)
class Hit:
    """One FT.SEARCH result: key, score (BM25 with WITHSCORES) and returned fields."""

    key: str
    score: float | None
    fields: dict[str, Any]


def parse_search(reply: Any, *, with_scores: bool = False, no_content: bool = False) -> tuple[int, list[Hit]]:
    """(total, hits) of an FT.SEARCH reply, RESP2 (flat list) or RESP3 (map)."""
    reply = _s(reply)
    if isinstance(reply, dict):
        hits = [
            Hit(str(r["id"]), float(r["score"]) if "score" in r else None, dict(r.get("extra_attributes") or {}))
            for r in reply.get("results", [])
        ]
        return int(reply.get("total_results", len(hits))), hits
    total, rest, hits, i = int(reply[0]), reply[1:], [], 0
    while i < len(rest):
        key, i = str(rest[i]), i + 1
        score = None
        if with_scores:
            score, i = float(rest[i]), i + 1
        fields: dict[str, Any] = {}
        if not no_content:
            flat, i = rest[i] or [], i + 1
            fields = {str(flat[j]): flat[j + 1] for j in range(0, len(flat) - 1, 2)}
        hits.append(Hit(key, score, fields))
    return total, hits
