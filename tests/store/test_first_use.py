"""What a new user hits first, against real servers (issue 13: points 3, 6 and 8): a key prefix
without an index name, login failures, search before setup, embeddings added to old data, a
server without the modules, and long ids. Both APIs through the ``api`` fixture."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
import redis
from langchain_core.messages import AIMessage, HumanMessage

from langchain_sessionmem import (
    IndexMissingError,
    IndexSchemaMismatchError,
    MissingVectorsWarning,
    ModulesMissingError,
    RedisAuthenticationError,
    RedisSessionMemory,
    SessionMemConfig,
)
from langchain_sessionmem._search import MESSAGE_SCHEMA
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory
from tests.store.conftest import Api, wait_indexed

# --- point 3: a key prefix alone gets an index of its own -----------------------------------------


async def test_two_prefixes_without_index_names_each_get_their_own_index(
    api: Api, config: SessionMemConfig, make_memory: MakeMemory, raw: redis.Redis
) -> None:
    first = make_memory(config=SessionMemConfig(key_prefix=f"{config.key_prefix}a:"))
    second = make_memory(config=SessionMemConfig(key_prefix=f"{config.key_prefix}b:"))
    assert first.config.index_name != second.config.index_name
    for memory, text in ((first, "avocado toast"), (second, "avocado salad")):
        await api(memory, "setup")
        await api(memory.history("u", "s"), "add_messages", [HumanMessage(text)])
    for memory, text in ((first, "avocado toast"), (second, "avocado salad")):
        wait_indexed(raw, memory.config.index_name)
        docs = await api(memory.as_retriever(user_id="u", search_type="text"), "invoke", "avocado")
        assert [d.page_content for d in docs] == [text]


async def test_an_index_of_another_prefix_is_a_clear_error_that_drops_nothing(
    api: Api, config: SessionMemConfig, make_memory: MakeMemory, raw: redis.Redis
) -> None:
    shared = f"{config.key_prefix}shared:idx"
    owner = make_memory(config=SessionMemConfig(key_prefix=f"{config.key_prefix}a:", index_name=shared))
    other = make_memory(config=SessionMemConfig(key_prefix=f"{config.key_prefix}b:", index_name=shared))
    await api(owner, "setup")
    await api(other.history("u", "s"), "add_messages", [HumanMessage("avocado toast")])
    with pytest.raises(IndexSchemaMismatchError) as info:
        await api(other, "setup")
    text = str(info.value)
    assert "key_prefix" in text and f"'{config.key_prefix}b:'" in text and "index_name" in text
    assert "DROPINDEX" not in text and "drop" not in text.lower() and "(('$.uh'" not in text
    # The text retriever of the memory that skipped past the error must not answer [] silently.
    with pytest.raises(IndexSchemaMismatchError, match="key_prefix"):
        await api(other.as_retriever(user_id="u", search_type="text"), "invoke", "avocado")
    assert raw.ft(shared).info()["index_definition"]  # the owner's index is still there


async def test_an_own_index_of_an_older_schema_says_how_to_rebuild_it(
    api: Api, config: SessionMemConfig, make_memory: MakeMemory, raw: redis.Redis
) -> None:
    memory = make_memory()
    args = ["FT.CREATE", config.index_name, "ON", "JSON", "PREFIX", "1", f"{config.key_prefix}m:", "SCHEMA"]
    for path, name, kind, flags in MESSAGE_SCHEMA:
        if name != "emb":  # an older version had no emb field
            args += [path, "AS", name, kind, *flags]
    raw.execute_command(*args)
    with pytest.raises(IndexSchemaMismatchError, match=r"'emb'.*drop_indexes\(\)"):
        await api(memory, "setup")
    await api(memory, "drop_indexes")
    await api(memory, "setup")


async def test_search_before_setup_says_to_call_setup(api: Api, make_memory: MakeMemory) -> None:
    memory = make_memory(embeddings=HashingEmbeddings())
    for search_type in ("similarity", "text", "hybrid"):
        with pytest.raises(IndexMissingError, match=r"memory\.setup\(\)"):
            await api(memory.as_retriever(user_id="u", search_type=search_type), "invoke", "avocado")


# --- point 6: embeddings added to old data, servers without modules or with a password ----------


async def test_setup_warns_when_stored_messages_have_no_vectors(
    api: Api, config: SessionMemConfig, make_memory: MakeMemory, raw: redis.Redis
) -> None:
    plain = make_memory()
    await api(plain, "setup")
    await api(plain.history("u", "s"), "add_messages", [HumanMessage("avocado toast"), AIMessage("mash it")])
    await api(plain.history("v", "s"), "add_messages", [HumanMessage("pancakes")])
    wait_indexed(raw, config.index_name)
    embedded = make_memory(embeddings=HashingEmbeddings())
    with pytest.warns(MissingVectorsWarning, match=r"3 stored messages.*reindex\(\)"):
        await api(embedded, "setup")
    await api(embedded, "reindex")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing left to say
        await api(embedded, "setup")


async def test_setup_counts_messages_the_new_index_is_still_scanning(api: Api, make_memory: MakeMemory) -> None:
    """Messages stored before the index existed are indexed by a background scan after FT.CREATE;
    setup() waits for it before counting the messages without vectors, so it reports all of them."""
    plain = make_memory()
    for i in range(40):  # no setup: the index does not exist yet
        turns = [HumanMessage(f"question {i}.{j} " + "word " * 30) for j in range(50)]
        await api(plain.history(f"user{i}", "s"), "add_messages", turns)
    embedded = make_memory(embeddings=HashingEmbeddings())
    with pytest.warns(MissingVectorsWarning, match=r"^2000 stored messages"):
        await api(embedded, "setup")  # creates the index, which then scans 2,000 documents


async def test_a_server_without_modules_refuses_reads_too(
    api: Api, start_server: Callable[..., str], make_memory: MakeMemory
) -> None:
    url = start_server(modules=False)
    memory = make_memory(url, config=SessionMemConfig(key_prefix="nomod:"))
    history = memory.history("u", "s")
    for name, args in (("messages", ()), ("get_recent", (3,)), ("__len__", ())):
        with pytest.raises(ModulesMissingError, match="RedisJSON"):
            await api(history, name, *args)
    with pytest.raises(ModulesMissingError):
        await api(memory, "list_sessions", "u")


async def test_login_failures_say_to_put_the_password_in_the_url(
    api: Api, start_server: Callable[..., str], make_memory: MakeMemory
) -> None:
    url = start_server()
    with redis.Redis.from_url(url) as admin:
        admin.config_set("requirepass", "s3cret")
    host = url.removeprefix("redis://")
    cases = ((f"redis://{host}", "requires a password"), (f"redis://:wrong@{host}", "wrong password"))
    for bad, says in cases:
        memory = make_memory(bad, config=SessionMemConfig(key_prefix="auth:"))
        with pytest.raises(RedisAuthenticationError) as info:
            await api(memory.history("u", "s"), "messages")
        text = str(info.value)
        assert says in text and "redis://:PASSWORD@" in text and "wrong@" not in text, text
        assert "make " not in text and "HELLO" not in text and ".." not in text
    good = make_memory(f"redis://:s3cret@{host}", config=SessionMemConfig(key_prefix="auth:"))
    await api(good, "setup")
    assert await api(good.history("u", "s"), "messages") == []


# --- point 8: long ids ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1024, 4096])
async def test_long_ids_round_trip(api: Api, amemory: RedisSessionMemory, size: int) -> None:
    memory = amemory
    user = ("https://example.com/users/" + "é" * size)[:size]
    session = ("tok|" + "x" * size)[:size]
    assert len(user) == len(session) == size
    history = memory.history(user, session)
    await api(history, "add_messages", [HumanMessage("hi"), AIMessage("hello")])
    assert await api(memory.history(user, session), "messages") == [HumanMessage("hi"), AIMessage("hello")]
    assert [s.session_id for s in await api(memory, "list_sessions", user)] == [session]
    assert user in await api(memory, "list_users")
    assert await api(memory, "delete_user", user) == 2


async def test_reindex_never_rebuilds_another_memorys_vector_index(
    api: Api, config: SessionMemConfig, make_memory: MakeMemory, raw: redis.Redis
) -> None:
    shared = f"{config.key_prefix}shared:idx"
    owner = make_memory(
        config=SessionMemConfig(key_prefix=f"{config.key_prefix}a:", index_name=shared), embeddings=HashingEmbeddings()
    )
    await api(owner, "setup")
    await api(owner.history("u", "s"), "add_messages", [HumanMessage("avocado toast")])
    wait_indexed(raw, f"{shared}:vec")
    other = make_memory(
        config=SessionMemConfig(key_prefix=f"{config.key_prefix}b:", index_name=shared),
        embeddings=HashingEmbeddings(64),
    )
    with pytest.raises(IndexSchemaMismatchError, match="vector index .* belongs to another memory"):
        await api(other, "reindex")
    assert int(raw.ft(f"{shared}:vec").info()["num_docs"]) == 1  # the owner's vectors are untouched
