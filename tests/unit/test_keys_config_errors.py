from __future__ import annotations

from datetime import datetime, timezone

import pytest
import redis.exceptions as rex
from langchain_core.messages import AIMessage, HumanMessage
from redis.crc import key_slot

from langchain_sessionmem import (
    ConfigError,
    IdCollisionError,
    InvalidIdError,
    ModulesMissingError,
    RedisCommandError,
    RedisSessionMemory,
    RedisUnavailableError,
    SessionMemConfig,
)
from langchain_sessionmem._keys import SessionKeys, check_id, session_digest, user_digest
from langchain_sessionmem._search import (
    Scope,
    context_text,
    create_index_args,
    knn_query,
    schema_signature,
    spoken_date,
    tag_filter,
    text_query,
    text_query_terms,
)
from langchain_sessionmem.errors import redact_url, translate_redis_errors


@pytest.mark.parametrize("bad", ["", None, 5, b"bytes", ["a"]])
def test_ids_must_be_non_empty_str(bad: object) -> None:
    with pytest.raises(InvalidIdError, match="user_id must be a non-empty str"):
        check_id("user_id", bad, 10)


def test_id_length_limit_names_the_setting() -> None:
    check_id("session_id", "x" * 10, 10)
    with pytest.raises(InvalidIdError, match="max_id_length=10"):
        check_id("session_id", "x" * 11, 10)


def test_lone_surrogate_id_is_refused() -> None:
    with pytest.raises(InvalidIdError, match="not valid Unicode"):
        check_id("user_id", "a\udc80", 10)


def test_invalid_id_is_a_value_error_and_construction_does_no_io() -> None:
    memory = RedisSessionMemory("redis://127.0.0.1:1/0")  # nothing listens there; sockets are off anyway
    memory.history("u", "s")
    with pytest.raises(ValueError):
        memory.history("", "s")


def test_joined_ids_do_not_collide() -> None:
    assert session_digest("a_b", "c") != session_digest("a", "b_c")
    assert session_digest("ab", "c") != session_digest("a", "bc")
    assert user_digest("Alice") != user_digest("alice")
    assert session_digest("u1", "s") != session_digest("u2", "s")


def test_every_key_of_a_user_shares_one_cluster_slot() -> None:
    keys = SessionKeys.of("app:", "alice@example.com", "s1")
    other = SessionKeys.of("app:", "alice@example.com", "another session")
    names = [keys.meta, keys.user.sessions, keys.user.user, keys.message_prefix + "1", other.message_prefix + "99"]
    assert len({key_slot(n.encode()) for n in names}) == 1
    assert all("{" + keys.user.uh + "}" in n for n in names)


@pytest.mark.parametrize("hostile", ["a}b{c", "*", "@user:{x}", "-x|y", "\t\n", "é", "e\u0301"])
def test_raw_ids_never_appear_in_keys_or_filters(hostile: str) -> None:
    keys = SessionKeys.of("p:", hostile, hostile)
    for text in (keys.meta, keys.message_prefix, tag_filter(keys.user.uh, keys.sh)):
        assert hostile not in text.removeprefix("p:")
    assert set(keys.user.uh + keys.sh) <= set("0123456789abcdef")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key_prefix": "a{b"},
        {"index_name": 5},
        {"index_name": "a b"},
        {"ttl_seconds": 0},
        {"ttl_seconds": -1},
        {"ttl_seconds": True},
        {"message_max_age_seconds": "10"},
        {"max_id_length": 0},
        {"max_message_bytes": 1.5},
    ],
)
def test_config_rejects_values_that_cannot_work(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        SessionMemConfig(**kwargs)  # type: ignore[arg-type]


def test_config_millisecond_views() -> None:
    cfg = SessionMemConfig(ttl_seconds=1.5, message_max_age_seconds=60)
    assert (cfg.ttl_ms, cfg.max_age_ms) == (1500, 60000)
    assert (SessionMemConfig().ttl_ms, SessionMemConfig().max_age_ms) == (0, 0)


def test_memory_rejects_a_non_config() -> None:
    with pytest.raises(ConfigError, match="SessionMemConfig"):
        RedisSessionMemory("redis://x", config={"ttl_seconds": 5})  # type: ignore[arg-type]


def test_redact_url_hides_passwords() -> None:
    assert redact_url("redis://user:s3cret@host:6379/0") == "redis://user:***@host:6379/0"
    assert redact_url("rediss://:s3cret@host/0") == "rediss://:***@host/0"
    assert redact_url("redis://host:6379") == "redis://host:6379"


@pytest.mark.parametrize(
    ("raised", "expected", "text"),
    [
        (rex.ConnectionError("refused"), RedisUnavailableError, "cannot talk to Redis at redis://h:1"),
        (rex.TimeoutError("slow"), RedisUnavailableError, "server is running"),
        (rex.ResponseError("unknown command 'JSON.SET', with args"), ModulesMissingError, "RedisJSON"),
        (rex.ResponseError("unknown command 'FT.CREATE', with args"), ModulesMissingError, "RediSearch"),
        (
            rex.ResponseError("Unknown Redis command called from script script: 1f, on @user_script:7."),
            ModulesMissingError,
            "RedisJSON or RediSearch.*older than Redis 7.4",
        ),
        (rex.ResponseError("OOM command not allowed when used memory > 'maxmemory'"), RedisCommandError, "maxmemory"),
        (rex.ResponseError("ERR user_script:1: SESSIONMEM_ID_COLLISION user"), IdCollisionError, "refused"),
        (rex.ResponseError("WRONGTYPE Operation"), RedisCommandError, "WRONGTYPE"),
    ],
)
def test_redis_errors_are_translated_with_cause(raised: Exception, expected: type, text: str) -> None:
    with pytest.raises(expected, match=text) as info:
        with translate_redis_errors("redis://h:1"):
            raise raised
    assert info.value.__cause__ is raised


def test_index_schema_signature_reads_resp2_and_resp3_replies() -> None:
    cfg = SessionMemConfig(key_prefix="p:", index_name="p:idx")
    resp2 = [
        b"index_definition",
        [b"key_type", b"JSON", b"prefixes", [b"p:m:"]],
        b"attributes",
        [[b"identifier", b"$.uh", b"attribute", b"user", b"type", b"TAG", b"SEPARATOR", b",", b"CASESENSITIVE"]],
    ]
    resp3 = {
        "index_definition": {"key_type": "JSON", "prefixes": ["p:m:"]},
        "attributes": [
            {"identifier": "$.uh", "attribute": "user", "type": "TAG", "flags": ["CASESENSITIVE"], "SEPARATOR": ","}
        ],
    }
    want = ("JSON", ("p:m:",), (("$.uh", "user", "TAG", ("CASESENSITIVE",)),))
    assert schema_signature(resp2) == schema_signature(resp3) == want
    assert "STOPWORDS" in create_index_args(cfg)


def test_text_query_terms_are_bare_words_without_stop_words() -> None:
    terms = text_query_terms("What are the new shoes that Melanie got used for? @xx:{yy} -z|* what's the|for|melanie")
    assert terms == ["new", "shoes", "melanie", "got", "used", "xx", "yy"]
    assert all(t.isalnum() or "_" in t for t in terms)


def test_text_query_terms_keep_months_and_names_that_are_stop_words() -> None:
    assert text_query_terms("What was new in Maya's life in May 2023?") == ["new", "maya", "life", "may", "2023"]
    assert text_query_terms("What did Can say? May I ask. Can it rain") == ["can", "ask", "rain"]
    assert text_query_terms("What did Will say in May") == ["may"]  # RediSearch's own stop-words: never
    assert text_query_terms("may the best one win") == ["best", "win"]


def test_spoken_dates_and_context_text() -> None:
    when = datetime(2023, 5, 8, 23, 59, tzinfo=timezone.utc)
    assert spoken_date(when) == "Monday 8 May 2023"
    assert context_text(HumanMessage("hi", name="Maya"), when) == "Maya Monday 8 May 2023"
    assert context_text(AIMessage("hi"), when) == "Monday 8 May 2023"


def test_scope_filter_and_queries_use_digests_and_escaped_types() -> None:
    scope = Scope("ab", "cd", ("human", "AIMessageChunk"), 5, None, "cd", 10)
    assert scope.filter() == (
        "@user:{ab} @session:{cd} @type:{human|AIMessageChunk} @ts:[5 +inf] -(@session:{cd} @seq:[10 +inf])"
    )
    assert knn_query(Scope("ab"), 3, "f00") == "(@user:{ab} @m:{f00})=>[KNN 3 @v $vec AS dist]"
    assert knn_query(Scope("ab"), 3) == "(@user:{ab})=>[KNN 3 @v $vec AS dist]"  # every model's vectors
    assert text_query(Scope("ab"), []) is None
    assert text_query(Scope("ab"), ["avocado", "toast"]) == "@user:{ab} @text|ctx:(avocado|toast)"
