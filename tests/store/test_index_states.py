"""The states of a RediSearch index reach the package as typed errors (errors.py is the only place
that reads the server's text), and setup() decides by type: an index another process created or
migrated first is verified, not an error. Real server, both APIs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from langchain_core.messages import AIMessage, HumanMessage

from langchain_sessionmem import (
    IndexExistsError,
    IndexFieldExistsError,
    IndexMissingError,
    RedisCommandError,
    RedisSessionMemory,
    SessionMemConfig,
)
from langchain_sessionmem._ops.steps import Command, Step
from langchain_sessionmem._search import SORTABLE_SCHEMA
from langchain_sessionmem.testing import HashingEmbeddings
from tests.store.conftest import Api, wait_indexed


@pytest.fixture
def make(redis_url: str) -> Iterator[Callable[..., RedisSessionMemory]]:
    made: list[RedisSessionMemory] = []

    def make(config: SessionMemConfig, **kwargs: Any) -> RedisSessionMemory:
        memory = RedisSessionMemory(redis_url, config=config, **kwargs)
        made.append(memory)
        return memory

    yield make
    for memory in made:
        memory.close()


def _racing(api: Api, slow: RedisSessionMemory, fast: RedisSessionMemory, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make ``fast`` win every race of ``slow``'s setup: just before ``slow`` sends an FT.CREATE or
    FT.ALTER, ``fast`` sends the same command. Returns the error classes ``slow``'s steps met."""
    met: list[str] = []
    backend = slow._backend
    sync_execute, async_execute = backend.execute, backend.aexecute

    def first(step: Step) -> bool:
        return isinstance(step, Command) and step.name in ("FT.CREATE", "FT.ALTER")

    def execute(step: Step) -> Any:
        if first(step):
            fast._backend.execute(step)
        try:
            return sync_execute(step)
        except Exception as exc:
            met.append(type(exc).__name__)
            raise

    async def aexecute(step: Step) -> Any:
        if first(step):
            await fast._backend.aexecute(step)
        try:
            return await async_execute(step)
        except Exception as exc:
            met.append(type(exc).__name__)
            raise

    monkeypatch.setattr(
        backend, "execute" if api.mode == "sync" else "aexecute", execute if api.mode == "sync" else aexecute
    )
    return met


async def test_setup_verifies_the_indexes_another_process_created_first(
    api: Api, config: SessionMemConfig, make: Callable[..., RedisSessionMemory], monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = make(config, embeddings=HashingEmbeddings(32))
    fast = make(config, embeddings=HashingEmbeddings(32))
    met = _racing(api, slow, fast, monkeypatch)
    await api(slow, "setup")
    # The message index's FT.INFO found none, its FT.CREATE lost the race; then the same for the vectors.
    assert met == ["IndexMissingError", "IndexExistsError", "IndexMissingError", "IndexExistsError"]
    history = slow.history("u", "s")
    await api(history, "add_messages", [HumanMessage("avocado toast"), AIMessage("mash it")])
    docs = await api(slow.as_retriever(user_id="u", search_type="hybrid", k=2), "invoke", "avocado")
    assert docs and docs[0].page_content == "avocado toast"  # the winner's indexes serve the loser


async def test_setup_refuses_a_vector_index_another_process_created_for_another_model(
    api: Api, config: SessionMemConfig, make: Callable[..., RedisSessionMemory], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Losing the race is no reason to trust the winner: its vector index is verified too."""
    from langchain_sessionmem import IndexSchemaMismatchError

    slow = make(config, embeddings=HashingEmbeddings(32))
    fast = make(config, embeddings=HashingEmbeddings(48))
    backend = slow._backend
    original = backend.execute if api.mode == "sync" else backend.aexecute

    def execute(step: Step) -> Any:  # the other model's process creates its vector index first
        if isinstance(step, Command) and step.name == "FT.CREATE" and step.args[1] == config.vector_index_name:
            fast.setup()
        return original(step)

    async def aexecute(step: Step) -> Any:
        if isinstance(step, Command) and step.name == "FT.CREATE" and step.args[1] == config.vector_index_name:
            await fast.asetup()
        return await original(step)

    monkeypatch.setattr(
        backend, "execute" if api.mode == "sync" else "aexecute", execute if api.mode == "sync" else aexecute
    )
    with pytest.raises(IndexSchemaMismatchError, match=r"48.*32.*reindex\(\)"):
        await api(slow, "setup")


async def test_setup_verifies_an_index_another_process_migrated_first(
    api: Api,
    config: SessionMemConfig,
    make: Callable[..., RedisSessionMemory],
    raw: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = ["FT.CREATE", config.index_name, "ON", "JSON", "PREFIX", "1", f"{config.key_prefix}m:", "STOPWORDS", "0"]
    old.append("SCHEMA")
    for path, name, kind, flags in SORTABLE_SCHEMA[:-1]:  # 0.1.0 before ``ctx``
        old += [path, "AS", name, kind, *flags]
    raw.execute_command(*old)
    slow, fast = make(config), make(config)
    met = _racing(api, slow, fast, monkeypatch)
    await api(slow, "setup")
    assert met == ["IndexFieldExistsError"]
    assert b"ctx" in str(raw.execute_command("FT.INFO", config.index_name)).encode()


async def test_searching_a_dropped_index_raises_index_missing_with_the_redis_error_as_cause(
    api: Api, config: SessionMemConfig, make: Callable[..., RedisSessionMemory], raw: redis.Redis
) -> None:
    memory = make(config, embeddings=HashingEmbeddings(32))
    await api(memory, "setup")
    await api(memory.history("u", "s"), "add_messages", [HumanMessage("avocado toast")])
    wait_indexed(raw, config.index_name)
    assert await api(memory.as_retriever(user_id="u", search_type="hybrid"), "invoke", "avocado")
    await api(memory, "drop_indexes")
    for search_type in ("similarity", "text", "hybrid"):
        with pytest.raises(IndexMissingError, match=r"memory\.setup\(\)") as info:
            await api(memory.as_retriever(user_id="u", search_type=search_type), "invoke", "avocado")
        assert isinstance(info.value, RedisCommandError)  # what code written before the index errors caught
        assert isinstance(info.value.__cause__, redis.ResponseError), repr(info.value.__cause__)
    await api(memory, "drop_indexes")  # dropping what is gone is no error
    await api(memory, "setup")  # and setup() brings the indexes back over the stored messages
    wait_indexed(raw, config.index_name)
    assert await api(memory.as_retriever(user_id="u", search_type="text"), "invoke", "avocado")


@pytest.mark.parametrize(
    ("command", "error", "cause"),
    [
        (("FT.INFO", "{idx}"), IndexMissingError, "Unknown index name"),
        (("FT.CREATE", "{idx}", "ON", "HASH", "SCHEMA", "a", "TEXT"), IndexExistsError, "Index already exists"),
        (("FT.ALTER", "{idx}", "SCHEMA", "ADD", "user", "TAG"), IndexFieldExistsError, "Duplicate field in schema"),
    ],
)
async def test_each_index_state_the_server_reports_is_typed_and_keeps_its_cause(
    api: Api,
    config: SessionMemConfig,
    make: Callable[..., RedisSessionMemory],
    command: tuple[str, ...],
    error: type[Exception],
    cause: str,
) -> None:
    memory = make(config)
    if error is not IndexMissingError:
        await api(memory, "setup")
    args = [a.format(idx=config.index_name) for a in command]
    with pytest.raises(error) as info:
        if api.mode == "sync":
            memory._backend.execute(Command(*args))
        else:
            await memory._backend.aexecute(Command(*args))
    assert isinstance(info.value, RedisCommandError)
    assert isinstance(info.value.__cause__, redis.ResponseError) and cause in str(info.value.__cause__)
    assert "memory.setup()" in str(info.value), str(info.value)  # what to do, in the library's terms
