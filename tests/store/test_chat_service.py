"""The FastAPI chat service example (examples/chat_service/app.py), served by a real uvicorn on a free port,
against the real Redis: a create_agent agent with SessionMemoryMiddleware, streaming, the memory-search
tool, isolation, recall, instructions, summaries, token counts, TTL, delete, bad input."""

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
from langchain_sessionmem.testing import HashingEmbeddings, ScriptedChatModel
from tests.conftest import MakeMemory, free_port

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
def memory(make_memory: MakeMemory) -> RedisSessionMemory:
    """The library's own view of the data the service wrote (sync API, its own client)."""
    return make_memory()


def events_of(body: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in body.split("\n\n"):
        if block.strip():
            lines = dict(line.split(": ", 1) for line in block.split("\n"))
            out.append((lines["event"], json.loads(lines["data"])))
    return out


def chat(client: httpx.Client, user: str, session: str, message: str, **extra: Any) -> dict[str, Any]:
    """One turn; returns the reply text, the context and done events, and the tool calls and results."""
    response = client.post("/api/chat", json={"user_id": user, "session_id": session, "message": message, **extra})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = events_of(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "context" and kinds[-1] == "done" and "token" in kinds, kinds
    assert set(kinds[1:-1]) <= {"token", "tool_call", "tool_result"}, kinds
    return {
        "reply": "".join(data["text"] for kind, data in events if kind == "token"),
        "context": events[0][1],
        "done": events[-1][1],
        "tools": [(kind, data) for kind, data in events if kind.startswith("tool_")],
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
    assert "pineapple" not in bob["reply"] and bob["context"]["memories"] == [] and bob["tools"] == []
    assert bob["context"]["window_messages"] == 0, "bob's window must not hold alice's turn"
    history = client.get("/api/history", params={"user_id": "bob", "session_id": "s1"}).json()
    assert "pineapple" not in json.dumps(history) and history["message_count"] == 2
    assert [s["session_id"] for s in client.get("/api/sessions", params={"user_id": "bob"}).json()] == ["s1"]
    assert "pineapple" not in " ".join(str(m.content) for m in memory.history("bob", "s1").messages)

    alice = chat(client, "alice", "s2", "What is my secret word?")  # another session of alice's: recalled
    assert any("pineapple" in m and "session 's1'" in m for m in alice["context"]["memories"])
    assert "pineapple" in alice["reply"] and alice["tools"] == [], "recalled by the middleware, no search needed"


def test_the_agent_searches_memory_with_its_tool(client: httpx.Client, memory: RedisSessionMemory) -> None:
    chat(client, "alice", "s1", "My secret word is pineapple.")
    chat(client, "bob", "s1", "My secret word is mango.")
    turn = chat(client, "alice", "s2", "Search your memory: what was my secret word?")
    (call_kind, call), (result_kind, result) = turn["tools"]
    assert call_kind == "tool_call" and call["name"] == "search_memory" and "secret word" in call["args"]["query"]
    assert result_kind == "tool_result" and result["tool_call_id"] == call["id"] and result["name"] == "search_memory"
    assert "pineapple" in result["content"] and "mango" not in result["content"], "only alice's messages"
    assert "Search your memory" not in result["content"], "the run's own question is not a search result"
    assert "pineapple" in turn["reply"].split("It found:")[1]
    stored = memory.history("alice", "s2").messages  # the middleware stored each step once, in order
    assert [m.type for m in stored] == ["human", "ai", "tool", "ai"]
    assert stored[1].tool_calls[0]["id"] == call["id"] and stored[2].tool_call_id == call["id"]
    assert stored[3].content == turn["reply"] and turn["done"]["message_count"] == 4
    shown = client.get("/api/history", params={"user_id": "alice", "session_id": "s2"}).json()["messages"]
    assert shown[1]["tool_calls"] == [{"id": call["id"], "name": "search_memory", "args": call["args"]}]
    assert shown[2] == {"type": "tool", "content": result["content"], "name": "search_memory",
                        "tool_call_id": call["id"]}  # fmt: skip

    bob = chat(client, "bob", "s2", "Search your memory: what was my secret word?")
    assert "mango" in bob["tools"][1][1]["content"] and "pineapple" not in json.dumps(bob)


def test_the_context_event_is_what_the_model_was_given(
    serve: Callable[..., httpx.Client], memory: RedisSessionMemory
) -> None:
    model = ScriptedChatModel(responses=["Noted."])
    client = serve(model=model)
    client.put("/api/instructions", json={"user_id": "alice", "session_id": "s1", "instructions": "Be brief."})
    for text in ("I like pancakes.", "And maple syrup.", "What do I like?"):
        turn = chat(client, "alice", "s1", text)
    prompt = model.inputs[-1]
    assert turn["reply"] == "Noted." and model.bound_tools == ["search_memory"]
    assert [m.type for m in prompt] == ["system", "human", "ai", "human", "ai", "human"]
    assert turn["context"]["window_messages"] == 4 and turn["context"]["instructions"] == "Be brief."
    assert turn["context"]["prompt_tokens"] == memory.count_tokens(prompt)
    assert turn["context"]["history_tokens"] == memory.count_tokens(prompt[1:5])
    assert str(prompt[0].content).startswith(chat_app.SYSTEM_PROMPT) and "Be brief." in str(prompt[0].content)


def test_the_stream_leaves_out_the_middlewares_own_model_calls(
    serve: Callable[..., httpx.Client], memory: RedisSessionMemory
) -> None:
    summarizer = ScriptedChatModel(responses=["SUMMARY-MARKER: the user plans a trip and likes pancakes."])
    client = serve(summarize=True, summary_model=summarizer)
    body = ""
    for i in range(4):
        turn = {"user_id": "alice", "session_id": "s1", "message": f"Turn {i}: I like pancakes.", "max_tokens": 200}
        body += client.post("/api/chat", json=turn).text
    assert summarizer.inputs, "the session outgrew its window: the middleware summarised it"
    assert "SUMMARY-MARKER" not in body, "the summary call leaked into the reply stream"
    context = memory.history("alice", "s1").get_context()
    assert any("SUMMARY-MARKER" in str(m.content) for m in context if m.type == "system")
    turn = chat(client, "alice", "s1", "Where was I?", max_tokens=200)
    assert turn["context"]["summary"].startswith("SUMMARY-MARKER") and "SUMMARY-MARKER" in turn["reply"]


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


def test_a_model_failure_mid_reply_is_reported_and_keeps_only_the_question(
    serve: Callable[..., httpx.Client], memory: RedisSessionMemory
) -> None:
    client = serve(model=BreaksMidReply(delay=0.0))
    response = client.post("/api/chat", json={"user_id": "alice", "session_id": "s1", "message": "Hi"})
    events = events_of(response.text)
    assert [kind for kind, _ in events] == ["context", "token", "token", "error"]
    assert "provider connection reset" in events[-1][1]["detail"]
    stored = memory.history("alice", "s1").messages  # stored before the model was called; no partial reply
    assert [(m.type, m.content) for m in stored] == [("human", "Hi")]


def test_the_page_is_served(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for testid in ("user-select", "session-input", "message-input", "token-count", "max-tokens", "ttl"):
        assert f'data-testid="{testid}"' in page.text
    assert "<script src" not in page.text and "https://" not in page.text, "no CDN, no build step"
    assert client.get("/api/config").json()["model"] == "EchoMemoryModel"
