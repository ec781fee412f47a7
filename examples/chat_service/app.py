"""A FastAPI chat service: a LangChain 1.x agent with per-user, per-session memory in Redis, streaming
replies and a web page.

The agent is ``langchain.agents.create_agent`` with the package's ``SessionMemoryMiddleware``
(``memory.middleware(...)``). Each run the middleware gives the model the session's instructions and its
most recent messages within a token budget (``max_tokens``, per request), plus the user's past messages
from any session that the semantic retriever finds relevant, merged into the system message. The agent
can also search those past messages itself with the memory-search tool (``search_memory``). The
middleware stores the question before the model is called, then the agent's replies and tool results,
each once. The reply streams back as server-sent events. All Redis I/O is the package's native async API.

Run (``make redis-up`` prints a REDIS_URL; any Redis with RedisJSON and RediSearch works):

    REDIS_URL=redis://127.0.0.1:6390/0 python examples/chat_service/app.py --port 8000
    REDIS_URL=... python -m uvicorn --app-dir examples/chat_service --factory app:create_app --port 8000

then open http://127.0.0.1:8000/. Without OPENAI_API_KEY or COHERE_API_KEY the model is an offline echo
model whose reply shows what the memory put into its prompt (and which searches when asked to "search"
or "remember"), and embeddings are the offline lexical HashingEmbeddings; the choice is printed at
start-up. Keys go under SESSIONMEM_PREFIX (default ``chat-service:``), the index is SESSIONMEM_INDEX
(default ``chat-service:idx``).

API (ids are query parameters or JSON fields; errors are ``{"detail": "..."}`` with a 4xx status):

    POST   /api/chat          {user_id, session_id, message, max_tokens?, ttl_seconds?} -> text/event-stream:
                              events context (what the model was given), token (many), tool_call,
                              tool_result, done {token_count, message_count}, or error
    GET    /api/history       ?user_id&session_id[&limit]  -> messages, message_count, token_count, instructions
    GET    /api/tokens        ?user_id&session_id          -> token_count, message_count
    GET    /api/sessions      ?user_id                     -> the user's sessions, most recent first
    GET    /api/instructions  ?user_id&session_id          -> instructions in effect (or null)
    PUT    /api/instructions  {user_id, session_id, instructions (null clears), ttl_seconds?}
    DELETE /api/session       ?user_id&session_id          -> deleted_messages
    GET    /api/config        model, embeddings and the defaults of max_tokens and ttl_seconds

``ttl_seconds`` (0 = never) is the idle time after which the session expires; every write slides it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, cast
from uuid import UUID

import redis.asyncio as aredis
import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from langchain.agents import create_agent
from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field, StringConstraints

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from _provider import chat_model, embeddings  # noqa: E402
from echo_model import EchoMemoryModel, content_text, read_system  # noqa: E402

from langchain_sessionmem import (  # noqa: E402
    ConfigError,
    InvalidIdError,
    MessageSerializationError,
    RedisSessionMemory,
    RedisUnavailableError,
    SessionMemConfig,
)

SYSTEM_PROMPT = (
    "You are a helpful assistant. You remember this user's earlier conversations; when they ask about "
    "something said before that you are not shown, search for it with the search_memory tool."
)
MAX_MESSAGE_CHARS = 8000
MAX_TTL_SECONDS = 365 * 86400
# Recall (into the system message, once per run) and the search tool: at most 4 past messages, and only
# close ones (cosine distance; unrelated texts sit near 1.0 with both offline and real embeddings).
# Under the middleware the tool leaves out what the model already sees (the run and its window).
RECALL = {"k": 4, "distance_threshold": 0.75}
AGENT_NODE = "model"  # the create_agent node whose model calls are the reply; the middleware's own are not

Id = Annotated[str, Query(description="user or session id: any non-empty text (checked by the memory)")]
Ttl = Annotated[int | None, Field(ge=0, le=MAX_TTL_SECONDS, description="idle expiry in seconds; 0 = never")]


class ChatRequest(BaseModel):
    user_id: str
    session_id: str
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS)]
    max_tokens: int = Field(default=2000, ge=1, le=1_000_000, description="token budget of the history context")
    ttl_seconds: Ttl = None


class InstructionsRequest(BaseModel):
    user_id: str
    session_id: str
    instructions: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_MESSAGE_CHARS)] | None
    ttl_seconds: Ttl = None


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def message_view(message: BaseMessage) -> dict[str, Any]:
    """A stored message as the page shows it: text, and the tool calls or the tool's name."""
    view: dict[str, Any] = {"type": message.type, "content": content_text(message.content)}
    if isinstance(message, AIMessage) and message.tool_calls:
        view["tool_calls"] = [{"id": c["id"], "name": c["name"], "args": c["args"]} for c in message.tool_calls]
    if isinstance(message, ToolMessage):
        view |= {"name": message.name, "tool_call_id": message.tool_call_id}
    return view


class PromptCapture(AsyncCallbackHandler):
    """Keeps the input of the agent's own model calls (not the middleware's, e.g. a summary)."""

    def __init__(self) -> None:
        self.prompts: list[list[BaseMessage]] = []

    async def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], *, run_id: UUID,
        metadata: dict[str, Any] | None = None, **kwargs: Any,
    ) -> None:  # fmt: skip
        if (metadata or {}).get("langgraph_node") == AGENT_NODE:
            self.prompts.append(list(messages[0]))


def pick_model(say: Callable[[str], None], echo_delay: float) -> tuple[BaseChatModel, str]:
    """The provider's model when a key is set, else the offline echo model (not the canned-answer one)."""
    said: list[str] = []
    model = chat_model([], say=said.append)
    if isinstance(model, FakeListChatModel):
        say("model: offline ECHO stand-in (no OPENAI_API_KEY or COHERE_API_KEY): replies describe the prompt")
        return EchoMemoryModel(delay=echo_delay), "offline echo model"
    for line in said:
        say(line)
    return model, said[-1].removeprefix("model: ") if said else type(model).__name__


class ChatService:
    """The memories and agents (one per TTL and token budget, sharing one redis.asyncio client)."""

    def __init__(
        self, client: aredis.Redis, config: SessionMemConfig, emb: Embeddings, model: BaseChatModel,
        summary_model: BaseChatModel | None,
    ) -> None:  # fmt: skip
        self.client, self.config, self.embeddings, self.model = client, config, emb, model
        self.summary_model = summary_model
        self.memory = RedisSessionMemory(async_client=client, config=config, embeddings=emb)
        self._memories: dict[int, RedisSessionMemory] = {}
        self._agents: dict[tuple[int, int], CompiledStateGraph[Any, Any, Any, Any]] = {}

    def memory_for(self, ttl_seconds: int) -> RedisSessionMemory:
        """A memory that writes with this TTL (the TTL is part of SessionMemConfig)."""
        memory = self._memories.get(ttl_seconds)
        if memory is None:
            config = dataclasses.replace(self.config, ttl_seconds=ttl_seconds or None)
            memory = RedisSessionMemory(async_client=self.client, config=config, embeddings=self.embeddings)
            self._memories = _bounded(self._memories, ttl_seconds, memory)
        return memory

    def agent_for(self, ttl_seconds: int, max_tokens: int) -> CompiledStateGraph[Any, Any, Any, Any]:
        """The agent whose memory writes with this TTL and reads this many tokens of history."""
        agent = self._agents.get((ttl_seconds, max_tokens))
        if agent is None:
            middleware = self.memory_for(ttl_seconds).middleware(
                max_tokens=max_tokens, recall=RECALL, search_tool=RECALL, summary_model=self.summary_model
            )
            agent = create_agent(self.model, system_prompt=SYSTEM_PROMPT, middleware=[middleware])
            self._agents = _bounded(self._agents, (ttl_seconds, max_tokens), agent)
        return agent

    def context(self, prompt: list[BaseMessage]) -> dict[str, Any]:
        """What the model was given for the reply: the stored window, the prompt's size, what the memory
        added to the system message."""
        asked = max((i for i, m in enumerate(prompt) if m.type == "human"), default=len(prompt))
        window = [m for m in prompt[:asked] if m.type != "system"]
        instructions, summary, recalled = read_system(prompt)
        return {
            "window_messages": len(window),
            "history_tokens": self.memory.count_tokens(window),
            "prompt_tokens": self.memory.count_tokens(prompt),
            "instructions": " ".join(instructions) or None,
            "summary": summary,
            "memories": recalled,
        }

    async def turn(
        self, agent: CompiledStateGraph[Any, Any, Any, Any], ids: dict[str, str], question: str
    ) -> AsyncIterator[str]:
        """Run the agent on one question and stream its reply, tool calls and tool results as SSE."""
        capture = PromptCapture()
        shown = False
        run = agent.astream(
            {"messages": [HumanMessage(question)]},
            context=ids,
            config={"callbacks": [capture]},
            stream_mode=["messages", "updates"],
        )
        try:
            async for mode, data in run:
                if not shown and capture.prompts:
                    shown = True
                    yield sse("context", self.context(capture.prompts[0]))
                if mode == "messages":  # (message or chunk, metadata) of a model call
                    chunk, meta = cast("tuple[BaseMessage, dict[str, Any]]", data)
                    if meta.get("langgraph_node") == AGENT_NODE and isinstance(chunk, AIMessage):  # or a chunk
                        if text := content_text(chunk.content):
                            yield sse("token", {"text": text})
                    continue
                for node, update in cast("dict[str, Any]", data).items():  # "updates": {node: its update}
                    for message in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                        if node == AGENT_NODE and isinstance(message, AIMessage):
                            for call in message_view(message).get("tool_calls", []):
                                yield sse("tool_call", call)
                        elif isinstance(message, ToolMessage):
                            yield sse("tool_result", message_view(message))
        except Exception as exc:  # the status line is sent already: report in the stream
            yield sse("error", {"detail": f"the reply failed: {exc}"})
            return
        history = self.memory.history(ids["user_id"], ids["session_id"])
        tokens, count = await asyncio.gather(history.atoken_count(), history.alen())
        yield sse("done", {"token_count": tokens, "message_count": count})


def _bounded(cache: dict[Any, Any], key: Any, value: Any, size: int = 32) -> dict[Any, Any]:
    """``cache`` with ``key: value`` added, the oldest entry dropped past ``size``."""
    if len(cache) >= size:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return cache


def create_app(
    redis_url: str | None = None,
    *,
    config: SessionMemConfig | None = None,
    model: BaseChatModel | None = None,
    emb: Embeddings | None = None,
    default_ttl_seconds: int = 7 * 86400,
    summarize: bool = False,
    summary_model: BaseChatModel | None = None,
    echo_delay: float = 0.03,
    say: Callable[[str], None] = print,
) -> FastAPI:
    """The chat service. Defaults: REDIS_URL, SESSIONMEM_PREFIX / SESSIONMEM_INDEX, and the provider's
    model and embeddings (printed). No I/O here: the lifespan checks the server and the indexes.

    ``summarize``: once a session no longer fits the history budget (``max_tokens``), its older messages
    are folded into its running summary after the turn, by ``summary_model`` (default: the chat model)."""
    url = redis_url or os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    config = config or SessionMemConfig(
        key_prefix=os.environ.get("SESSIONMEM_PREFIX", "chat-service:"),
        index_name=os.environ.get("SESSIONMEM_INDEX", "chat-service:idx"),
    )
    model_name = type(model).__name__ if model is not None else ""
    if model is None:
        model, model_name = pick_model(say, echo_delay)
    emb = emb or embeddings(say=say)
    summary_model = (summary_model or model) if summarize else None
    service = ChatService(aredis.Redis.from_url(url), config, emb, model, summary_model)
    say(f"memory: {service.memory!r}, key prefix {config.key_prefix!r}")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.memory.asetup()  # idempotent: creates the indexes, or checks them
        yield
        await service.client.aclose()

    app = FastAPI(title="langchain-sessionmem chat service", lifespan=lifespan)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "; ".join(problems)}, status_code=422)

    @app.exception_handler(InvalidIdError)
    @app.exception_handler(ConfigError)
    @app.exception_handler(MessageSerializationError)
    async def bad_input(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(RedisUnavailableError)
    async def redis_down(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    def ttl_of(ttl_seconds: int | None) -> int:
        return default_ttl_seconds if ttl_seconds is None else ttl_seconds

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(HERE / "static" / "index.html")

    @app.get("/api/config")
    async def settings() -> dict[str, Any]:
        return {
            "model": model_name,
            "embeddings": getattr(emb, "model", type(emb).__name__),
            "max_tokens": ChatRequest.model_fields["max_tokens"].default,
            "ttl_seconds": default_ttl_seconds,
            "max_message_chars": MAX_MESSAGE_CHARS,
        }

    @app.post("/api/chat")
    async def chat(req: ChatRequest) -> StreamingResponse:
        # Everything that can fail on bad input happens before the stream starts, so it gets a 4xx.
        service.memory.history(req.user_id, req.session_id)  # checks the ids (no I/O)
        agent = service.agent_for(ttl_of(req.ttl_seconds), req.max_tokens)
        return StreamingResponse(
            service.turn(agent, {"user_id": req.user_id, "session_id": req.session_id}, req.message),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/api/history")
    async def get_history(user_id: Id, session_id: Id, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Any:
        history = service.memory.history(user_id, session_id)
        messages, tokens, count, instructions = await asyncio.gather(
            history.aget_recent(limit),
            history.atoken_count(),
            history.alen(),
            service.memory.aget_instructions(user_id, session_id),
        )
        return {
            "user_id": user_id,
            "session_id": session_id,
            "messages": [message_view(m) for m in messages],
            "message_count": count,
            "token_count": tokens,
            "instructions": instructions,
        }

    @app.get("/api/tokens")
    async def get_tokens(user_id: Id, session_id: Id) -> dict[str, int]:
        history = service.memory.history(user_id, session_id)
        tokens, count = await asyncio.gather(history.atoken_count(), history.alen())
        return {"token_count": tokens, "message_count": count}

    @app.get("/api/sessions")
    async def sessions(user_id: Id) -> list[dict[str, Any]]:
        return [
            {
                "session_id": s.session_id,
                "title": s.title,
                "message_count": s.message_count,
                "token_count": s.token_count,
                "last_active": s.last_active.isoformat(),
            }
            for s in await service.memory.alist_sessions(user_id, limit=50)
        ]

    @app.get("/api/instructions")
    async def get_instructions(user_id: Id, session_id: Id) -> dict[str, str | None]:
        return {"instructions": await service.memory.aget_instructions(user_id, session_id)}

    @app.put("/api/instructions")
    async def put_instructions(req: InstructionsRequest) -> dict[str, str | None]:
        memory = service.memory_for(ttl_of(req.ttl_seconds))
        await memory.aset_instructions(req.user_id, req.instructions or None, session_id=req.session_id)
        return {"instructions": await memory.aget_instructions(req.user_id, req.session_id)}

    @app.delete("/api/session")
    async def delete_session(user_id: Id, session_id: Id) -> dict[str, int]:
        return {"deleted_messages": await service.memory.adelete_session(user_id, session_id)}

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Chat service with per-user, per-session memory in Redis.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--ttl", type=int, default=7 * 86400, help="default session idle TTL in seconds (0: never)")
    parser.add_argument(
        "--summarize", action="store_true",
        help="fold the older messages of a session that outgrows the history budget into a running summary",
    )  # fmt: skip
    parser.add_argument("--echo-delay", type=float, default=0.03, help="seconds between words of the offline model")
    args = parser.parse_args(argv)
    app = create_app(default_ttl_seconds=args.ttl, summarize=args.summarize, echo_delay=args.echo_delay)
    print(f"open http://{args.host}:{args.port}/")
    uvicorn.run(app, host=args.host, port=args.port, ws="none", log_level="warning")


if __name__ == "__main__":
    main()
