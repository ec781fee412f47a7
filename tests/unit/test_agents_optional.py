"""The package imports and works without langchain (the ``agents`` extra); the middleware says
what to install."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
sys.modules["langchain"] = None  # as if langchain were not installed
import langchain_sessionmem
from langchain_sessionmem import RedisSessionMemory
memory = RedisSessionMemory("redis://localhost:1/0")
memory.history("alice", "s1")
assert memory.thread_id("alice", "s1") != memory.thread_id("bob", "s1")
for attempt in (lambda: langchain_sessionmem.SessionMemoryMiddleware, lambda: memory.middleware()):
    try:
        attempt()
    except ImportError as exc:
        assert "langchain-sessionmem[agents]" in str(exc), exc
    else:
        raise AssertionError("no ImportError")
print("ok")
"""


def test_the_package_imports_without_langchain() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
