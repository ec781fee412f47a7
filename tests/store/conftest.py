"""Every store behaviour is checked through both APIs: the ``api`` fixture calls the sync
method or awaits its native async twin, so one test body covers both."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

_ASYNC_NAMES = {"messages": "aget_messages", "__len__": "alen"}


class Api:
    def __init__(self, mode: str) -> None:
        self.mode = mode

    async def __call__(self, obj: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.mode == "sync":
            attr = getattr(obj, name)
            return attr(*args, **kwargs) if callable(attr) else attr
        return await getattr(obj, _ASYNC_NAMES.get(name, "a" + name))(*args, **kwargs)

    def __repr__(self) -> str:
        return self.mode


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest) -> Api:
    return Api(request.param)


def wait_indexed(client: redis.Redis, index: str) -> None:
    """Wait until a (re)created index has scanned the existing documents."""
    for _ in range(400):
        info = client.ft(index).info()
        if int(info.get("indexing", 0)) == 0 and float(info.get("percent_indexed", 1)) >= 1:
            return
        time.sleep(0.01)
    raise AssertionError(f"index {index} still indexing")
