"""The index states RediSearch reports by text become typed errors in errors.py, and nowhere else
reads that text. No server: the redis errors are built by hand (tests/store/test_index_states.py
has the real server's)."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.exceptions as rex

import langchain_sessionmem
from langchain_sessionmem import (
    IndexExistsError,
    IndexFieldExistsError,
    IndexMissingError,
    RedisCommandError,
    SessionMemError,
)
from langchain_sessionmem.errors import translate_redis_errors

PACKAGE = Path(langchain_sessionmem.__file__).resolve().parent


@pytest.mark.parametrize(
    ("raw", "error", "named"),
    [
        ("Index already exists", IndexExistsError, None),
        ("Command # 1 (FT.CREATE app:idx ON JSON PREFIX 1 app:m:) of pipeline caused error: Index already exists",
         IndexExistsError, "'app:idx'"),
        ("Duplicate field in schema - ctx", IndexFieldExistsError, "'ctx'"),
        ("Unknown Index name", IndexMissingError, None),  # FT.DROPINDEX's spelling
        ("app:idx: no such index", IndexMissingError, "'app:idx'"),
    ],
)  # fmt: skip
def test_index_states_are_typed_with_the_redis_error_as_cause(raw: str, error: type[Exception], named: str) -> None:
    cause = rex.ResponseError(raw)
    with pytest.raises(error) as info:
        with translate_redis_errors("redis://h:1/0"):
            raise cause
    assert info.value.__cause__ is cause
    assert isinstance(info.value, RedisCommandError) and isinstance(info.value, RuntimeError)  # older excepts
    text = str(info.value)
    assert "memory.setup()" in text and "redis://h:1/0" in text, text
    if named is not None:
        assert named in text, text


def test_the_index_errors_are_distinct_siblings() -> None:
    """setup() catches each where only it can mean the race it handles: a duplicate field in an
    FT.CREATE must not pass for an index that exists."""
    kinds = (IndexMissingError, IndexExistsError, IndexFieldExistsError)
    for kind in kinds:
        assert issubclass(kind, SessionMemError) and kind.__name__ in langchain_sessionmem.__all__
        assert [other for other in kinds if issubclass(kind, other)] == [kind]
    doc = langchain_sessionmem.errors.__doc__ or ""
    assert all(kind.__name__ in doc for kind in kinds)  # the tree in the module docstring


def test_only_errors_py_reads_the_servers_index_messages() -> None:
    phrases = (
        "no such index",
        "unknown index",
        "index already exists",
        '"already exists"',
        "duplicate field",
        '"duplicate"',
    )
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "errors.py":
            continue
        text = path.read_text(encoding="utf-8").lower()
        offenders += [f"{path.name}: {p!r}" for p in phrases if p in text]
    assert offenders == []
