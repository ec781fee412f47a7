"""Functions run in other processes by the concurrency tests (must be importable)."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig


def write_batches(redis_url: str, config: SessionMemConfig, writer: str, session_id: str, batches: int) -> None:
    memory = RedisSessionMemory(redis_url, config=config)
    memory.setup()
    history = memory.history("shared-user", session_id)
    for i in range(batches):
        history.add_messages([HumanMessage(f"{writer}:{i}:q"), AIMessage(f"{writer}:{i}:a")])
    memory.close()
