"""Unit tests must not need a server (``make test-unit`` runs them without one, in seconds).

Every network socket is off from the start of a unit test's setup, so fixtures of any scope that
the test pulls in are covered, until its function-scoped fixtures are torn down; Unix sockets stay
allowed (asyncio's event loops use them). ``REDIS_URL`` is unset, so a memory built without a URL
aims at ``localhost:6379`` and is refused too. The fixtures that give a Redis fail at once, saying
where such a test belongs, instead of starting the project's server.
"""

from collections.abc import Generator, Iterator
from typing import NoReturn

import pytest
import pytest_socket

_NOT_HERE = "tests/unit runs without Redis: a test that needs {} belongs in tests/store"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    pytest_socket.disable_socket(allow_unix_socket=True)
    try:
        return (yield)
    except BaseException:  # _no_network, which turns them back on, may never have run
        pytest_socket.enable_socket()
        raise


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("REDIS_URL", raising=False)
    pytest_socket.disable_socket(allow_unix_socket=True)
    yield
    pytest_socket.enable_socket()


@pytest.fixture
def redis_url() -> NoReturn:
    pytest.fail(_NOT_HERE.format("a Redis server (redis_url and the fixtures built on it)"), pytrace=False)


@pytest.fixture
def redis_paths() -> NoReturn:
    pytest.fail(_NOT_HERE.format("redis-server (redis_paths, start_server)"), pytrace=False)
