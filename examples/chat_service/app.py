"""A FastAPI chat service with per-user, per-session memory in Redis, streaming replies and a web page.

Each turn the prompt gets the session's instructions and its most recent messages within a token budget
(``max_tokens``, per request), plus the user's past messages from any session that the semantic retriever
finds relevant. The reply streams back as server-sent events; the question and the answer are then stored
in one atomic write. All Redis I/O goes through the package's native async API (redis.asyncio).

Run (``make redis-up`` prints a REDIS_URL; any Redis with RedisJSON and RediSearch works):

    REDIS_URL=redis://127.0.0.1:6390/0 python examples/chat_service/app.py --port 8000
    REDIS_URL=... python -m uvicorn --app-dir examples/chat_service --factory app:create_app --port 8000

then open http://127.0.0.1:8000/. Without OPENAI_API_KEY or COHERE_API_KEY the model is an offline echo
model whose reply shows what the memory put into its prompt, and embeddings are the offline lexical
HashingEmbeddings; the choice is printed at start-up. Keys go under SESSIONMEM_PREFIX (default
``chat-service:``), the index is SESSIONMEM_INDEX (default ``chat-service:idx``).

API (ids are query parameters or JSON fields; errors are ``{"detail": "..."}`` with a 4xx status):

    POST   /api/chat          {user_id, session_id, message, max_tokens?, ttl_seconds?} -> text/event-stream:
                              events context, token (many), done {token_count, message_count}, or error
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
from typing import Annotated, Any

import redis.asyncio as aredis
import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field, StringConstraints

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from _provider import chat_model, embeddings  # noqa: E402
from echo_model import INSTRUCTIONS_LINE, MEMORY_ITEM, EchoMemoryModel  # noqa: E402

from langchain_sessionmem import (  # noqa: E402
    ConfigError,
    InvalidIdError,
    MessageSerializationError,
    RedisSessionHistory,
    RedisSessionMemory,
    RedisUnavailableError,
    SessionMemConfig,
)

BASE_PROMPT = "You are a helpful assistant. You remember this user's earlier conversations."
MAX_MESSAGE_CHARS = 8000
MAX_TTL_SECONDS = 365 * 86400
RECALL_K = 4
RECALL_DISTANCE = 0.75  # cosine distance; unrelated texts sit near 1.0 with both offline and real embeddings
INSTRUCTIONS_ID = "sessionmem-instructions"  # the id get_context gives the instructions' SystemMessage

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


def _content(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def system_prompt(head: list[BaseMessage], recalled: list[Document]) -> str:
    """One system message: the role, the session's instructions (and summary), then the recalled messages."""
    lines = [BASE_PROMPT]
    for m in head:
        lines.append(INSTRUCTIONS_LINE + _content(m) if m.id == INSTRUCTIONS_ID else _content(m))
    if recalled:
        lines.append("Earlier messages of this user that may be relevant (from any session):")
        for d in recalled:
            who = "user" if d.metadata["type"] == "human" else "assistant"
            where = f'session "{_one_line(d.metadata["session_id"], 40)}", {d.metadata["timestamp"][:10]}'
            lines.append(f"{MEMORY_ITEM}[{where}, {who}] {_one_line(d.page_content)}")
    return "\n".join(lines)


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


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
    """The memories (one per TTL, sharing one redis.asyncio client), the retriever and the model."""

    def __init__(self, client: aredis.Redis, config: SessionMemConfig, emb: Embeddings, model: BaseChatModel) -> None:
        self.client, self.config, self.embeddings, self.model = client, config, emb, model
        self.memory = RedisSessionMemory(async_client=client, config=config, embeddings=emb)
        self.retriever = self.memory.as_retriever(k=RECALL_K, distance_threshold=RECALL_DISTANCE)
        self._by_ttl: dict[int, RedisSessionMemory] = {}

    def memory_for(self, ttl_seconds: int) -> RedisSessionMemory:
        """A memory that writes with this TTL (the TTL is part of SessionMemConfig)."""
        memory = self._by_ttl.get(ttl_seconds)
        if memory is None:
            if len(self._by_ttl) >= 32:
                self._by_ttl.pop(next(iter(self._by_ttl)))
            config = dataclasses.replace(self.config, ttl_seconds=ttl_seconds or None)
            memory = RedisSessionMemory(async_client=self.client, config=config, embeddings=self.embeddings)
            self._by_ttl[ttl_seconds] = memory
        return memory

    async def turn(
        self, history: RedisSessionHistory, question: str, prompt: list[BaseMessage], opening: dict[str, Any]
    ) -> AsyncIterator[str]:
        """Stream one reply as SSE, then store the question and the answer together."""
        yield sse("context", opening)
        parts: list[str] = []
        try:
            async for chunk in self.model.astream(prompt):
                text = _content(chunk)
                if text:
                    parts.append(text)
                    yield sse("token", {"text": text})
        except Exception as exc:  # the status line is sent already: report in the stream, store nothing
            yield sse("error", {"detail": f"the model failed, nothing was stored: {exc}"})
            return
        await history.aadd_messages([HumanMessage(question), AIMessage("".join(parts))])
        tokens, count = await asyncio.gather(history.atoken_count(), history.alen())
        yield sse("done", {"token_count": tokens, "message_count": count})


def create_app(
    redis_url: str | None = None,
    *,
    config: SessionMemConfig | None = None,
    model: BaseChatModel | None = None,
    emb: Embeddings | None = None,
    default_ttl_seconds: int = 7 * 86400,
    echo_delay: float = 0.03,
    say: Callable[[str], None] = print,
) -> FastAPI:
    """The chat service. Defaults: REDIS_URL, SESSIONMEM_PREFIX / SESSIONMEM_INDEX, and the provider's
    model and embeddings (printed). No I/O here: the lifespan checks the server and the indexes."""
    url = redis_url or os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    config = config or SessionMemConfig(
        key_prefix=os.environ.get("SESSIONMEM_PREFIX", "chat-service:"),
        index_name=os.environ.get("SESSIONMEM_INDEX", "chat-service:idx"),
    )
    model_name = type(model).__name__ if model is not None else ""
    if model is None:
        model, model_name = pick_model(say, echo_delay)
    emb = emb or embeddings(say=say)
    service = ChatService(aredis.Redis.from_url(url), config, emb, model)
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
        history = service.memory_for(ttl_of(req.ttl_seconds)).history(req.user_id, req.session_id)
        context = await history.aget_context(req.max_tokens)  # instructions + the window, within the budget
        head = [m for m in context if m.type == "system"]
        window = context[len(head) :]
        recalled = await service.retriever.ainvoke(
            req.message, user_id=req.user_id, session_id=req.session_id, exclude_recent=len(window)
        )
        prompt = [SystemMessage(system_prompt(head, recalled)), *window, HumanMessage(req.message)]
        opening = {
            "window_messages": len(window),
            "history_tokens": service.memory.count_tokens(context),
            "prompt_tokens": service.memory.count_tokens(prompt),
            "memories": [
                {"session_id": d.metadata["session_id"], "type": d.metadata["type"], "text": d.page_content}
                for d in recalled
            ],
        }
        return StreamingResponse(
            service.turn(history, req.message, prompt, opening),
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
            "messages": [{"type": m.type, "content": _content(m)} for m in messages],
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
    parser.add_argument("--echo-delay", type=float, default=0.03, help="seconds between words of the offline model")
    args = parser.parse_args(argv)
    app = create_app(default_ttl_seconds=args.ttl, echo_delay=args.echo_delay)
    print(f"open http://{args.host}:{args.port}/")
    uvicorn.run(app, host=args.host, port=args.port, ws="none", log_level="warning")


if __name__ == "__main__":
    main()
