"""Defaults a new user relies on, and error messages that send them the right way (issue 13:
points 3, 6 and 8). No server: every redis error here is built by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import redis.exceptions as rex

from langchain_sessionmem import (
    ConfigError,
    IndexMissingError,
    ModulesMissingError,
    RedisAuthenticationError,
    RedisCommandError,
    RedisSessionMemory,
    RedisUnavailableError,
    SessionMemConfig,
)
from langchain_sessionmem._search import MESSAGE_SCHEMA, describe_schema_mismatch
from langchain_sessionmem.errors import translate_redis_errors

PACKAGE = Path(__file__).resolve().parents[2] / "langchain_sessionmem"


# --- point 3: the index name follows the key prefix ---------------------------------------------


def test_default_index_name_is_derived_from_the_prefix() -> None:
    assert SessionMemConfig().index_name == "sessionmem:idx"  # unchanged: existing data keeps working
    cfg = SessionMemConfig(key_prefix="tenant2:")
    assert (cfg.index_name, cfg.vector_index_name) == ("tenant2:idx", "tenant2:idx:vec")
    assert SessionMemConfig(key_prefix="tenant2:", index_name=None).index_name == "tenant2:idx"  # type: ignore[arg-type]
    assert SessionMemConfig(key_prefix="tenant2:", index_name="shared").index_name == "shared"
    assert SessionMemConfig(key_prefix="a:") != SessionMemConfig(key_prefix="b:")


def _found(prefix: str, key_type: str = "JSON", schema: object = MESSAGE_SCHEMA) -> tuple[object, ...]:
    return key_type, (f"{prefix}m:",), schema


def test_a_foreign_index_is_named_in_words_and_never_offered_for_dropping() -> None:
    cfg = SessionMemConfig(key_prefix="tenant2:", index_name="sessionmem:idx")
    text, owned = describe_schema_mismatch(_found("sessionmem:"), cfg)  # type: ignore[arg-type]
    assert not owned
    assert "key_prefix" in text and "'sessionmem:'" in text and "'tenant2:'" in text
    assert "index_name" in text and "tenant2:idx" in text  # says what to use instead
    assert "DROPINDEX" not in text and "drop" not in text.lower()
    assert "(('$.uh'" not in text  # no tuple dumps

    text, owned = describe_schema_mismatch(_found("tenant2:", key_type="HASH"), cfg)  # type: ignore[arg-type]
    assert not owned and "HASH" in text and "drop" not in text.lower()


def test_an_own_index_of_an_older_schema_names_the_fields_and_how_to_rebuild() -> None:
    cfg = SessionMemConfig(key_prefix="p:")
    older = tuple(f for f in MESSAGE_SCHEMA if f[1] != "emb")
    changed = tuple((p, n, "NUMERIC" if n == "text" else t, fl) for p, n, t, fl in MESSAGE_SCHEMA)
    text, owned = describe_schema_mismatch(_found("p:", schema=older), cfg)  # type: ignore[arg-type]
    assert owned and "'emb'" in text and "missing" in text
    assert "drop_indexes()" in text and "setup()" in text and "kept" in text
    text, owned = describe_schema_mismatch(_found("p:", schema=changed), cfg)  # type: ignore[arg-type]
    assert owned and "'text'" in text and "NUMERIC" in text and "TEXT" in text


# --- point 6: messages that send users the right way ---------------------------------------------


def test_library_messages_never_mention_make_targets() -> None:
    makefile = (PACKAGE.parent / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z][a-z_-]*):", makefile, flags=re.MULTILINE)
    assert "redis-up" in targets
    mention = re.compile(r"\bmake (?:-s )?(?:" + "|".join(map(re.escape, targets)) + r")\b")
    offenders = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.glob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if mention.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("raised", "says"),
    [
        (rex.AuthenticationError("invalid username-password pair or user is disabled."), "wrong password"),
        (rex.AuthenticationError("Authentication required."), "requires a password"),
        (
            rex.ConnectionError(
                "HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH "
                "<user> <pass> option can be used to authenticate the client"
            ),
            "requires a password",
        ),
        (rex.ResponseError("NOAUTH Authentication required."), "requires a password"),
    ],
)
def test_login_failures_are_typed_and_say_to_put_the_password_in_the_url(raised: Exception, says: str) -> None:
    with pytest.raises(RedisAuthenticationError) as info:
        with translate_redis_errors("redis://:***@h:1/0"):
            raise raised
    text = str(info.value)
    assert says in text and "redis://:PASSWORD@" in text and "HELLO" not in text, text
    assert info.value.__cause__ is raised
    assert isinstance(info.value, PermissionError) and not isinstance(info.value, RedisUnavailableError)


def test_a_password_the_server_does_not_want_says_to_remove_it() -> None:
    raised = rex.AuthenticationError("AUTH <password> called without any password configured for the default user")
    with pytest.raises(RedisAuthenticationError, match="has no password set.*remove"):
        with translate_redis_errors("redis://:***@h:1/0"):
            raise raised


def test_connection_refused_has_one_period_and_no_make_target() -> None:
    with pytest.raises(RedisUnavailableError) as info:
        with translate_redis_errors("redis://h:1/0"):
            raise rex.ConnectionError("Error 111 connecting to h:1. Connection refused.")
    text = str(info.value)
    assert ".." not in text and "make" not in text and "REDIS_URL" in text, text


@pytest.mark.parametrize(
    "raw",
    [
        "Command # 1 (FT.SEARCH r6x:idx:vec (@user:{ab})=>[KNN 4 @v $vec AS dist]) of pipeline caused error: "
        "r6x:idx:vec: no such index",
        "Unknown index name",
        "r6x:idx: no such index",
    ],
)
def test_a_missing_index_is_typed_and_says_to_call_setup(raw: str) -> None:
    with pytest.raises(IndexMissingError) as info:
        with translate_redis_errors("redis://h:1/0"):
            raise rex.ResponseError(raw)
    text = str(info.value)
    assert "memory.setup()" in text and "@user" not in text, text
    assert isinstance(info.value, RedisCommandError)  # as before, for code that caught that
    if "r6x" in raw:
        assert "'r6x:idx" in text


def test_module_hint_says_what_to_run_without_make() -> None:
    with pytest.raises(ModulesMissingError) as info:
        with translate_redis_errors("redis://h:1/0"):
            raise rex.ResponseError("unknown command 'JSON.GET', with args beginning with: ")
    assert "make" not in str(info.value) and "Redis Stack" in str(info.value)


@pytest.mark.parametrize("bad", ["", "   ", "localhost:6379", "http://h/0", 6379])
def test_a_url_that_cannot_work_is_a_config_error(bad: object) -> None:
    with pytest.raises(ConfigError, match="redis_url"):
        RedisSessionMemory(bad)  # type: ignore[arg-type]


def test_good_urls_are_accepted_without_io() -> None:
    for url in ("redis://localhost:6379/0", "rediss://:pw@h:1/0?ssl_cert_reqs=none", "unix:///tmp/redis.sock"):
        RedisSessionMemory(url)


# --- point 8: ids hold digests, so long ids cost nothing in key names ------------------------------


def test_default_id_limit_is_at_least_4_kib() -> None:
    assert SessionMemConfig().max_id_length >= 4096


@pytest.mark.parametrize("template", ["{day}: {text}", "{day!s}: {text}", "{day:>30} {text}", "{role} {day!r} {text}"])
def test_every_template_the_config_accepts_embeds(template: str) -> None:
    """SessionMemConfig checks a template with every field; embedding must then never raise (a
    conversion or format spec on {day} once skipped the field: KeyError on every write)."""
    from datetime import datetime, timezone

    from langchain_core.messages import HumanMessage

    from langchain_sessionmem._vectors import embed_text

    SessionMemConfig(embed_template=template)
    text = embed_text(HumanMessage("hello"), template, datetime(2023, 5, 8, tzinfo=timezone.utc))
    assert "8 May 2023" in text and "hello" in text


def test_the_role_of_a_message_is_its_name_else_its_role_field_or_extra_else_its_type() -> None:
    """The ``role`` of a result's metadata and of the embedded text: a ChatMessage's role, and a
    ``role`` passed to any message as an extra field, count as its class's own would."""
    from langchain_core.messages import AIMessage, AIMessageChunk, ChatMessage, HumanMessage

    from langchain_sessionmem._vectors import role_of

    assert role_of(AIMessage("x")) == "ai"
    assert role_of(AIMessageChunk(content="x")) == "AIMessageChunk"
    assert role_of(AIMessage("x", name="maya")) == "maya"
    assert role_of(ChatMessage(content="x", role="critic")) == "critic"
    assert role_of(ChatMessage(content="x", role="critic", name="maya")) == "maya"
    assert role_of(HumanMessage("x", role="boss")) == "boss"  # an extra field
    assert role_of(HumanMessage("x", role="")) == "human"
