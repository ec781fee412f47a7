"""The guard of tests/unit/conftest.py: a unit test that reaches for Redis fails, whichever way it
tries (``make test-unit`` promises a run without a server)."""

from __future__ import annotations

import os
import socket

import pytest
import redis
from langchain_core.messages import HumanMessage

from langchain_sessionmem import RedisSessionMemory


@pytest.fixture(scope="module")
def connect_in_a_module_fixture() -> BaseException | None:
    """What connecting raised in a fixture set up before any function-scoped one."""
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1).close()
    except BaseException as exc:  # noqa: BLE001  (the test looks at which)
        return exc
    return None


# pytest-socket's error also warns, and warnings are errors here: what arrives is the warning, the
# error, or the package's RedisUnavailableError around either; all carry this text.
BLOCKED = "A test tried to use socket"


def test_a_memory_cannot_reach_a_server() -> None:
    assert "REDIS_URL" not in os.environ
    for memory in (RedisSessionMemory(), RedisSessionMemory("redis://127.0.0.1:6379/0")):
        with pytest.raises(Exception, match=BLOCKED):
            _ = memory.history("u", "s").messages
        memory.close()
    with pytest.raises(Exception, match=BLOCKED):
        redis.Redis(host="127.0.0.1", port=6379).ping()


async def test_nor_through_the_async_api() -> None:
    memory = RedisSessionMemory("redis://127.0.0.1:6379/0")
    with pytest.raises(Exception, match=BLOCKED):
        await memory.history("u", "s").aadd_messages([HumanMessage("x")])
    await memory.aclose()


def test_fixtures_of_a_wider_scope_have_no_network_either(connect_in_a_module_fixture: BaseException | None) -> None:
    assert connect_in_a_module_fixture is not None and BLOCKED in str(connect_in_a_module_fixture)


@pytest.mark.parametrize(
    "fixture", ["redis_url", "raw", "config", "make_memory", "memory", "redis_paths", "start_server"]
)
def test_the_fixtures_that_give_a_server_fail_and_say_where_the_test_belongs(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    with pytest.raises(pytest.fail.Exception, match="tests/unit runs without Redis.*belongs in tests/store"):
        request.getfixturevalue(fixture)
