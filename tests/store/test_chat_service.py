"""The FastAPI chat service example (examples/chat_service/app.py), served by a real uvicorn on a free port,
against the real Redis: streaming, isolation, recall, instructions, token counts, TTL, delete, bad input."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from langchain_core.messages import BaseMessage

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import free_port

APP_PATH = Path(__file__).resolve().parents[2] / "examples" / "chat_service" / "app.py"


def _load_app_module() -> ModuleType:
    name = "chat_service_app"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, APP_PATH)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # pydantic resolves the request models' annotations through it
        spec.loader.exec_module(module)
    return sys.modules[name]


chat_app = _load_app_module()
EchoMemoryModel = sys.modules["echo_model"].EchoMemoryModel


class BreaksMidReply(EchoMemoryModel):  # type: ignore[misc,valid-type]
    """Streams two words, then fails like a provider whose connection drops."""

    async def _astream(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        n = 0
        async for chunk in super()._astream(messages, *args, **kwargs):
            yield chunk
            n += 1
            if n == 2:
                raise RuntimeError("provider connection reset")


@pytest.fixture
def serve(redis_url: str, config: SessionMemConfig) -> Iterator[Callable[..., httpx.Client]]:
    """Start the app (options as create_app's) under uvicorn in a thread; returns a client for it."""
    servers: list[tuple[uvicorn.Server, threading.Thread, httpx.Client]] = []

    def start(**options: Any) -> httpx.Client:
        options = {"model": EchoMemoryModel(delay=0), "emb": HashingEmbeddings(), "say": lambda _: None, **options}
        app = chat_app.create_app(redis_url, config=config, **options)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ws="none", log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        servers.append((server, thread, client))
        return client

    yield start
    for server, thread, client in servers:
        client.close()
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def client(serve: Callable[..., httpx.Client]) -> httpx.Client:
    return serve()


@pytest.fixture
def memory(redis_url: str, config: SessionMemConfig) -> Iterator[RedisSessionMemory]:
    """The library's own view of the data the service wrote (sync API, its own client)."""
    mem = RedisSessionMemory(redis_url, config=config)
    yield mem
    mem.close()


def events_of(body: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in body.split("\n\n"):
        if block.strip():
            lines = dict(line.split(": ", 1) for line in block.split("\n"))
            out.append((lines["event"], json.loads(lines["data"])))
    return out


def chat(client: httpx.Client, user: str, session: str, message: str, **extra: Any) -> dict[str, Any]:
    """One turn; returns the reply text and the context and done events."""
    response = client.post("/api/chat", json={"user_id": user, "session_id": session, "message": message, **extra})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = events_of(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "context" and kinds[-1] == "done" and set(kinds[1:-1]) == {"token"}, kinds
    return {
        "reply": "".join(data["text"] for kind, data in events if kind == "token"),
        "context": events[0][1],
        "done": events[-1][1],
    }


def test_reply_streams_word_by_word_and_is_stored(
    serve: Callable[..., httpx.Client], memory: RedisSessionMemory
) -> None:
    client = serve(model=EchoMemoryModel(delay=0.01))
    body = {"user_id": "alice", "session_id": "s1", "message": "Give me an avocado toast recipe."}
    arrivals: list[float] = []
    text = ""
    with client.stream("POST", "/api/chat", json=body) as response:
        assert response.status_code == 200
        for piece in response.iter_text():
            arrivals.append(time.monotonic())
            text += piece
    tokens = [data["text"] for kind, data in events_of(text) if kind == "token"]
    assert len(tokens) >= 10
    assert len(arrivals) >= 5, "the reply came in one piece: it was buffered, not streamed"
    assert arrivals[-1] - arrivals[0] >= 0.1, "every piece arrived at once"
    stored = memory.history("alice", "s1").messages
    assert [m.type for m in stored] == ["human", "ai"]
    assert stored[0].content == body["message"] and stored[1].content == "".join(tokens)


def test_two_users_with_the_same_session_id_are_isolated(client: httpx.Client, memory: RedisSessionMemory) -> None:
    chat(client, "alice", "s1", "My secret word is pineapple.")
    bob = chat(client, "bob", "s1", "What is my secret word?")
    assert "pineapple" not in bob["reply"] and bob["context"]["memories"] == []
    assert bob["context"]["window_messages"] == 0, "bob's window must not hold alice's turn"
    history = client.get("/api/history", params={"user_id": "bob", "session_id": "s1"}).json()
    assert "pineapple" not in json.dumps(history) and history["message_count"] == 2
    assert [s["session_id"] for s in client.get("/api/sessions", params={"user_id": "bob"}).json()] == ["s1"]
    assert "pineapple" not in " ".join(str(m.content) for m in memory.history("bob", "s1").messages)

    alice = chat(client, "alice", "s2", "What is my secret word?")  # another session of alice's: recalled
    assert any("pineapple" in m["text"] and m["session_id"] == "s1" for m in alice["context"]["memories"])
    assert "pineapple" in alice["reply"]


def test_window_follows_the_per_request_token_budget(client: httpx.Client) -> None:
    for i in range(3):
        chat(client, "alice", "s1", f"Turn number {i} about pancakes.")
    wide = chat(client, "alice", "s1", "And now?", max_tokens=100_000)["context"]
    assert wide["window_messages"] == 6
    narrow = chat(client, "alice", "s1", "And now?", max_tokens=150)["context"]
    assert 0 < narrow["window_messages"] < 8 and narrow["history_tokens"] <= 150


def test_session_instructions_reach_the_model(client: httpx.Client, memory: RedisSessionMemory) -> None:
    ids = {"user_id": "alice", "session_id": "s1"}
    put = client.put("/api/instructions", json={**ids, "instructions": "Answer like a pirate."})
    assert put.status_code == 200 and put.json() == {"instructions": "Answer like a pirate."}
    assert client.get("/api/instructions", params=ids).json() == {"instructions": "Answer like a pirate."}
    assert memory.get_instructions("alice", "s1") == "Answer like a pirate."
    assert "I follow your instructions: “Answer like a pirate.”" in chat(client, "alice", "s1", "Hello")["reply"]
    assert "instructions" not in chat(client, "alice", "s2", "Hello")["reply"], "only that session's"
    assert "instructions" not in chat(client, "bob", "s1", "Hello")["reply"], "only that user's"

    cleared = client.put("/api/instructions", json={**ids, "instructions": None})
    assert cleared.json() == {"instructions": None}
    assert "instructions" not in chat(client, "alice", "s1", "Hello again")["reply"]


def test_token_count_is_the_librarys(client: httpx.Client, memory: RedisSessionMemory) -> None:
    done = {}
    for text in ("Plan three days in Rome.", "Add a day trip to Naples, please.", "Where should we eat?"):
        done = chat(client, "alice", "trip", text)["done"]
    history = memory.history("alice", "trip")
    expected = history.token_count()
    assert expected == memory.count_tokens(history.messages) > 0
    assert done == {"token_count": expected, "message_count": 6}
    ids = {"user_id": "alice", "session_id": "trip"}
    assert client.get("/api/tokens", params=ids).json() == {"token_count": expected, "message_count": 6}
    assert client.get("/api/history", params=ids).json()["token_count"] == expected


@pytest.mark.parametrize(("ttl", "expected_max_ms"), [(None, 3_600_000), (90, 90_000), (0, None)])
def test_session_ttl(
    serve: Callable[..., httpx.Client], raw: redis.Redis, config: SessionMemConfig, ttl: int | None,
    expected_max_ms: int | None,
) -> None:  # fmt: skip
    client = serve(default_ttl_seconds=3600)
    chat(client, "alice", "s1", "Remember me for a while.", ttl_seconds=ttl)
    ttls = {raw.pttl(key) for key in raw.scan_iter(match=f"{config.key_prefix}*")}
    if expected_max_ms is None:
        assert ttls == {-1}
    else:
        assert ttls and all(expected_max_ms - 10_000 < t <= expected_max_ms for t in ttls), ttls


def test_delete_session(client: httpx.Client, memory: RedisSessionMemory) -> None:
    chat(client, "alice", "s1", "Something to forget.")
    chat(client, "bob", "s1", "Something to keep.")
    ids = {"user_id": "alice", "session_id": "s1"}
    assert client.delete("/api/session", params=ids).json() == {"deleted_messages": 2}
    assert client.get("/api/history", params=ids).json()["messages"] == []
    assert client.get("/api/tokens", params=ids).json() == {"token_count": 0, "message_count": 0}
    assert client.get("/api/sessions", params={"user_id": "alice"}).json() == []
    assert memory.get_session("alice", "s1") is None
    assert len(memory.history("bob", "s1").messages) == 2, "bob's session of the same id stays"


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "says"),
    [
        ("POST", "/api/chat", {"user_id": "", "session_id": "s", "message": "hi"}, 400, "user_id must be a non-empty"),
        ("POST", "/api/chat", {"user_id": "u", "session_id": "s" * 4097, "message": "hi"}, 400, "above max_id_length"),
        ("POST", "/api/chat", {"user_id": "u", "session_id": "s", "message": "   "}, 422, "message: String should"),
        ("POST", "/api/chat", {"user_id": "u", "session_id": "s", "message": "x" * 8001}, 422, "at most 8000"),
        ("POST", "/api/chat", {"user_id": "u", "session_id": "s", "message": "hi", "max_tokens": 0}, 422, "max_tokens"),
        ("POST", "/api/chat", {"user_id": "u", "session_id": "s", "message": "hi", "ttl_seconds": -1}, 422, "ttl"),
        ("POST", "/api/chat", {"user_id": 7, "session_id": "s", "message": "hi"}, 422, "user_id: Input should be"),
        ("GET", "/api/history", {"user_id": "u"}, 422, "session_id: Field required"),
        ("GET", "/api/sessions", {"user_id": ""}, 400, "user_id must be a non-empty"),
        ("DELETE", "/api/session", {"user_id": "u", "session_id": ""}, 400, "session_id must be a non-empty"),
        ("PUT", "/api/instructions", {"user_id": "u", "session_id": "s", "instructions": "x" * 8001}, 422, "at most"),
    ],
)
def test_bad_input_is_a_4xx_with_a_reason(
    client: httpx.Client, raw: redis.Redis, config: SessionMemConfig, method: str, path: str,
    payload: dict[str, Any], status: int, says: str,
) -> None:  # fmt: skip
    as_body = method in ("POST", "PUT")
    response = client.request(method, path, json=payload if as_body else None, params=None if as_body else payload)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    assert list(raw.scan_iter(match=f"{config.key_prefix}*")) == [], "a rejected request stored something"


def test_a_model_failure_mid_reply_is_reported_and_stores_nothing(
    serve: Callable[..., httpx.Client], memory: RedisSessionMemory
) -> None:
    client = serve(model=BreaksMidReply(delay=0.0))
    response = client.post("/api/chat", json={"user_id": "alice", "session_id": "s1", "message": "Hi"})
    events = events_of(response.text)
    assert [kind for kind, _ in events] == ["context", "token", "token", "error"]
    assert "provider connection reset" in events[-1][1]["detail"]
    assert memory.history("alice", "s1").messages == []


def test_the_page_is_served(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for testid in ("user-select", "session-input", "message-input", "token-count", "max-tokens", "ttl"):
        assert f'data-testid="{testid}"' in page.text
    assert "<script src" not in page.text and "https://" not in page.text, "no CDN, no build step"
    assert client.get("/api/config").json()["model"] == "EchoMemoryModel"
