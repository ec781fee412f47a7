"""The implementations compared by ``benchmarks.compare``: one adapter per implementation, one interface.

Every adapter is an ``Impl`` that hands out ``BaseChatMessageHistory`` objects (``new_history``) the
way its library is meant to be used, and wraps them in a ``Session`` that the timing loop drives:

- ``Session.turn(pair)``: read the whole history, then append a human and an AI message;
- ``Session.recent(k)``: the last k messages (the library's own call if it has one);
- ``Session.aturn(pair)``: the same turn through the async API (native, or LangChain's executor default);
- ``Session.check()``: whether what is read back is what was stored, in order.

Vector-capable adapters (``ScriptVectorFloor``, ``VectorFloor``, ``SessionMem`` with embeddings,
``SemanticRedisVL``) also have ``bulk_write`` into one user's session and ``knn(user, text, k)``.

Floors (documented in ``benchmarks/compare.py`` and in the results file):

- ``Floor``: one RedisJSON document per message (``message_to_dict``) plus a per-session LIST of their
  numbers; read = one script (LRANGE + JSON.MGET of the documents) + ``messages_from_dict``; append = one
  script (JSON.SET of each document + RPUSH of its number, numbered by the server); recent(k) = the read
  script from index -k. Every call is one EVALSHA (1 round trip).
- ``ScriptVectorFloor`` (the KNN floor): ``Floor``'s documents plus one HASH per message (``user`` tag,
  ``v`` FLOAT32 vector) under one FT index (FLAT, COSINE); KNN = one script: ``FT.SEARCH
  (@user:{u})=>[KNN k @v $vec] NOCONTENT`` then JSON.MGET of the hits' documents (1 round trip).
- ``VectorFloor`` (the memory floor with vectors, the smallest layout): one HASH per message (``user`` tag,
  ``session`` tag, ``content`` = the message_to_dict JSON, ``v``) + one FT index (FLAT, COSINE); KNN = one
  FT.SEARCH ``RETURN 1 content`` (shown next to the KNN floor as ``floor-hash``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import redis
import redis.asyncio as aredis
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.embeddings import Embeddings
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    message_to_dict,
    messages_from_dict,
)
from langchain_core.runnables import Runnable
from langchain_core.runnables.history import RunnableWithMessageHistory

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig

warnings.filterwarnings("ignore", category=DeprecationWarning)  # RunnableWithMessageHistory, langchain-redis
warnings.filterwarnings("ignore", message=".*deprecated.*")
logging.getLogger("redisvl").setLevel(logging.ERROR)

PREFIX = "bench-cmp:"
KNN_SESSION = "s0"  # the KNN corpus holds one session per user

# -- data -------------------------------------------------------------------------------------------


def turn_pair(i: int) -> list[BaseMessage]:
    """The i-th exchange: a human question and an AI answer, ~70 and ~85 characters."""
    return [
        HumanMessage(f"Question {i}: how long should I rest the dough for recipe number {i}?"),
        AIMessage(f"Answer {i}: about {i % 50 + 10} minutes at room temperature, covered with a damp cloth."),
    ]


def conversation(n: int, start: int = 0) -> list[BaseMessage]:
    """n messages (n even): exchanges start, start+1, ..."""
    return [m for i in range(start, start + n // 2) for m in turn_pair(i)]


class BenchEmbeddings(Embeddings):
    """Deterministic, offline and fast: a unit vector of SHAKE-256 output bytes of the text (numpy).

    Every vector implementation gets the same vectors for the same texts. (The package's
    ``HashingEmbeddings`` is pure Python, ~0.2 ms per text: it would dominate a 100,000-message load.)
    """

    def __init__(self, dims: int) -> None:
        self.dims = dims
        self.model = f"bench-shake-{dims}"

    def _vec(self, text: str) -> list[float]:
        raw = np.frombuffer(hashlib.shake_256(text.encode("utf-8")).digest(2 * self.dims), dtype=np.uint16)
        v = raw.astype(np.float64) - 32767.5
        return (v / np.linalg.norm(v)).tolist()  # type: ignore[no-any-return]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


# -- the driver-facing wrapper ------------------------------------------------------------------------


class Session:
    """One (user, session) history of one implementation, plus what was stored in it (for the checks)."""

    def __init__(self, history: BaseChatMessageHistory, recent: Callable[[int], list[BaseMessage]] | None) -> None:
        self.history = history
        self._recent = recent
        self.contents: list[Any] = []

    @property
    def stored(self) -> int:
        return len(self.contents)

    def write(self, messages: Sequence[BaseMessage]) -> None:
        self.history.add_messages(messages)
        self.contents += [m.content for m in messages]

    def seed(self, messages: Sequence[BaseMessage], batch: int) -> None:
        for i in range(0, len(messages), batch):
            self.write(messages[i : i + batch])

    def turn(self, pair: Sequence[BaseMessage]) -> tuple[int, int]:
        """Read everything, append the exchange. Returns (messages returned, messages stored)."""
        expected = self.stored
        got = self.history.messages
        self.write(pair)
        return len(got), expected

    async def aturn(self, pair: Sequence[BaseMessage]) -> tuple[int, int]:
        expected = self.stored
        got = await self.history.aget_messages()
        await self.history.aadd_messages(pair)
        self.contents += [m.content for m in pair]
        return len(got), expected

    def recent(self, k: int) -> tuple[int, int]:
        got = self._recent(k) if self._recent is not None else self.history.messages[-k:]
        return len(got), min(k, self.stored)

    def check(self) -> str:
        """'ok', or which part of the stored messages a full read returns."""
        got = [m.content for m in self.history.messages]
        want = self.contents
        if got == want:
            return "ok"
        if got == want[: len(got)]:
            return f"oldest {len(got)} of {len(want)}"
        if got == want[len(want) - len(got) :]:
            return f"newest {len(got)} of {len(want)}"
        if sorted(map(str, got)) == sorted(map(str, want)):
            return f"all {len(got)}, misordered"
        return f"{len(got)} of {len(want)}, misordered"


# -- implementations ----------------------------------------------------------------------------------


class Env:
    """Where and how to connect: one URL, one RESP protocol for everyone (except where a library needs another)."""

    def __init__(self, url: str, protocol: int | None) -> None:
        self.url, self.protocol = url, protocol

    def client(self, protocol: int | None = None) -> redis.Redis:
        return redis.Redis.from_url(self.url, protocol=protocol or self.protocol)

    def async_client(self) -> aredis.Redis:
        return aredis.Redis.from_url(self.url, protocol=self.protocol)

    def url_with_protocol(self) -> str:
        if self.protocol is None:
            return self.url
        return f"{self.url}{'&' if '?' in self.url else '?'}protocol={self.protocol}"


class Impl:
    """An implementation under test. Subclasses set the class attributes and ``new_history``."""

    name = ""
    label = ""
    async_api = "executor"  # native | executor (BaseChatMessageHistory's run_in_executor defaults)
    recent_api = "messages[-k:]"  # how get_recent(k) is done
    key_type = ""
    notes = ""

    def __init__(self, env: Env, prefix: str) -> None:
        self.env, self.prefix = env, prefix

    def new_history(self, user: str, session: str) -> BaseChatMessageHistory:
        """A history handle as a user of the library makes one (RunnableWithMessageHistory calls this per turn)."""
        raise NotImplementedError

    def recent_fn(self, history: Any) -> Callable[[int], list[BaseMessage]] | None:
        return None

    def session(self, user: str, session: str) -> Session:
        history = self.new_history(user, session)
        return Session(history, self.recent_fn(history))

    def bulk_write(self, user: str, session: str, messages: Sequence[BaseMessage]) -> None:
        self.new_history(user, session).add_messages(messages)

    def chains(self, chain: Runnable[Any, Any], **keys: str) -> dict[str, tuple[Runnable[Any, Any], Callable]]:
        """RunnableWithMessageHistory wrappers: label -> (runnable, config(user, session))."""
        wrapped = RunnableWithMessageHistory(chain, lambda session_id: self.new_history(*_split(session_id)), **keys)
        return {self.name: (wrapped, lambda u, s: {"configurable": {"session_id": _join(u, s)}})}

    def knn(self, user: str, text: str, k: int) -> int:
        """Number of messages a filtered KNN for ``user`` returns (vector implementations only)."""
        raise NotImplementedError

    def index_names(self) -> list[str]:
        return []

    def close(self) -> None:
        """Close the sync client this adapter made, if any."""
        client = getattr(self, "client", None)
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the asyncio client this adapter made, if any (inside the loop that used it)."""
        aclient = getattr(self, "aclient", None)
        if aclient is not None:
            await aclient.aclose()


def _join(user: str, session: str) -> str:
    return f"{user}_{session}"  # ids here are [a-z0-9-]: no escaping needed in any library's tag queries


def _split(session_id: str) -> tuple[str, str]:
    user, _, session = session_id.partition("_")
    return user, session


# floor: a LIST of message_to_dict JSON per (user, session) ---------------------------------------------


class FloorHistory(BaseChatMessageHistory):
    """The floor as a LangChain history: LRANGE / one RPUSH per batch / LRANGE -k -1, native async."""

    def __init__(self, client: redis.Redis, aclient: aredis.Redis, key: str) -> None:
        self.client, self.aclient, self.key = client, aclient, key

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        return messages_from_dict([json.loads(x) for x in self.client.lrange(self.key, 0, -1)])

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        self.client.rpush(self.key, *[json.dumps(message_to_dict(m)) for m in messages])

    def get_recent(self, k: int) -> list[BaseMessage]:
        return messages_from_dict([json.loads(x) for x in self.client.lrange(self.key, -k, -1)])

    async def aget_messages(self) -> list[BaseMessage]:
        return messages_from_dict([json.loads(x) for x in await self.aclient.lrange(self.key, 0, -1)])

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        await self.aclient.rpush(self.key, *[json.dumps(message_to_dict(m)) for m in messages])

    def clear(self) -> None:
        self.client.delete(self.key)


# floor: one RedisJSON document per message + a per-session id list, one script per read and per append ------

# KEYS[1] = the session's id list; ARGV[1] = the session's document key prefix; ARGV[2] = first index
# (0: everything; -k: the last k). One LRANGE, then JSON.MGET of the documents (legacy path "." returns
# each document as it was stored), 1,000 keys per call (Lua's unpack limit).
FLOOR_READ = """
local ids = redis.call('LRANGE', KEYS[1], tonumber(ARGV[2]), -1)
local out = {}
for i = 1, #ids, 1000 do
  local keys = {}
  for j = i, math.min(i + 999, #ids) do keys[#keys + 1] = ARGV[1] .. ids[j] end
  keys[#keys + 1] = '.'
  local docs = redis.call('JSON.MGET', unpack(keys))
  for j = 1, #docs do out[#out + 1] = docs[j] end
end
return out
"""
# KEYS[1] = the session's id list; ARGV[1] = document key prefix; ARGV[2..] = message_to_dict JSON.
# The server numbers the messages (a per-session counter: the list's length, nothing is ever removed).
FLOOR_APPEND = """
local n = redis.call('LLEN', KEYS[1])
for i = 2, #ARGV do
  redis.call('JSON.SET', ARGV[1] .. n, '$', ARGV[i])
  redis.call('RPUSH', KEYS[1], n)
  n = n + 1
end
return n
"""


class JsonFloorHistory(BaseChatMessageHistory):
    """The floor as a LangChain history: one EVALSHA per read, per append and per get_recent, native async."""

    def __init__(self, floor: Floor, base: str) -> None:
        self.floor, self.ids, self.docs = floor, base + "ids", base + "m:"

    @staticmethod
    def _decode(docs: list[bytes]) -> list[BaseMessage]:
        return messages_from_dict([json.loads(d) for d in docs])

    def _encode(self, messages: Sequence[BaseMessage]) -> list[str]:
        return [self.docs, *[json.dumps(message_to_dict(m)) for m in messages]]

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        return self._decode(self.floor.read(keys=[self.ids], args=[self.docs, 0]))

    def get_recent(self, k: int) -> list[BaseMessage]:
        return self._decode(self.floor.read(keys=[self.ids], args=[self.docs, -k]))

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        self.floor.append(keys=[self.ids], args=self._encode(messages))

    async def aget_messages(self) -> list[BaseMessage]:
        return self._decode(await self.floor.aread(keys=[self.ids], args=[self.docs, 0]))

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        await self.floor.aappend(keys=[self.ids], args=self._encode(messages))

    def clear(self) -> None:
        raise NotImplementedError


class Floor(Impl):
    name = "floor"
    label = "floor (redis-py: JSON document per message + id LIST, one script per call)"
    async_api = "native"
    recent_api = "LRANGE -k -1 + JSON.MGET (one script)"
    key_type = "JSON per message + LIST per session"

    def __init__(self, env: Env, prefix: str) -> None:
        super().__init__(env, prefix)
        self.client, self.aclient = env.client(), env.async_client()
        self.read, self.append = self.client.register_script(FLOOR_READ), self.client.register_script(FLOOR_APPEND)
        self.aread = self.aclient.register_script(FLOOR_READ)
        self.aappend = self.aclient.register_script(FLOOR_APPEND)

    def new_history(self, user: str, session: str) -> JsonFloorHistory:
        return JsonFloorHistory(self, f"{self.prefix}{{{user}:{session}}}:")  # one hash slot per session

    def recent_fn(self, history: Any) -> Callable[[int], list[BaseMessage]]:
        return history.get_recent  # type: ignore[no-any-return]


# this package -----------------------------------------------------------------------------------------


class SessionMem(Impl):
    name = "sessionmem"
    label = "langchain-sessionmem"
    async_api = "native"
    recent_api = "get_recent(k)"
    key_type = "JSON per message + index"

    settings: dict[str, Any] = {}  # SessionMemConfig fields other than the defaults
    plain_variant = True  # (f) also measures RunnableWithMessageHistory(chain, memory.get_session_history)

    def __init__(self, env: Env, prefix: str, embeddings: Embeddings | None = None) -> None:
        super().__init__(env, prefix)
        self.config = SessionMemConfig(key_prefix=prefix, index_name=f"{prefix}idx", **self.settings)
        self.client, self.aclient = env.client(), env.async_client()
        self.memory = RedisSessionMemory(
            client=self.client, async_client=self.aclient, config=self.config, embeddings=embeddings
        )
        self.memory.setup()
        self.retriever = self.memory.as_retriever(k=5, search_type="similarity") if embeddings is not None else None
        if embeddings is not None:
            self.key_type = "JSON per message + vector HASH + 2 indexes"

    def new_history(self, user: str, session: str) -> BaseChatMessageHistory:
        return self.memory.history(user, session)

    def recent_fn(self, history: Any) -> Callable[[int], list[BaseMessage]]:
        return history.get_recent  # type: ignore[no-any-return]

    def chains(self, chain: Runnable[Any, Any], **keys: str) -> dict[str, tuple[Runnable[Any, Any], Callable]]:
        def config(u: str, s: str) -> dict[str, Any]:
            return {"configurable": {"user_id": u, "session_id": s}}

        out = {self.name: (self.memory.with_message_history(chain, **keys), config)}
        if self.plain_variant:
            factory, fields = self.memory.get_session_history, self.memory.history_factory_config
            plain = RunnableWithMessageHistory(chain, factory, history_factory_config=fields, **keys)
            out[f"{self.name}-plain"] = (plain, config)
        return out

    def knn(self, user: str, text: str, k: int) -> int:
        assert self.retriever is not None and k == self.retriever.k
        return len(self.retriever.invoke(text, config={"configurable": {"user_id": user}}))

    def index_names(self) -> list[str]:
        return [self.config.index_name, self.config.vector_index_name]


class SessionMemNoCache(SessionMem):
    """This package with its client-side read cache off: every read is what a memory that has never
    read the session does (a worker of another process, a restarted one), minus building the memory."""

    name = "sessionmem-cold"
    label = "langchain-sessionmem, read_cache_messages=0: every read is a first read"
    settings = {"read_cache_messages": 0}
    plain_variant = False

    @staticmethod
    def available() -> bool:
        return "read_cache_messages" in SessionMemConfig.__dataclass_fields__


# langchain-redis ---------------------------------------------------------------------------------------


class LangchainRedis(Impl):
    name = "langchain-redis"
    label = "langchain-redis RedisChatMessageHistory"
    key_type = "JSON per message + index"
    notes = (
        "given a RESP2 client: with redis-py 8's default RESP3 its constructor fails "
        "(`'dict' object has no attribute 'index'` parsing FT.INFO) once its index exists; "
        "`messages` reads at most 10,000 messages (FT.SEARCH LIMIT 0 10000); no get_recent"
    )

    def __init__(self, env: Env, prefix: str) -> None:
        super().__init__(env, prefix)
        self.client = env.client(protocol=2)

    def new_history(self, user: str, session: str) -> BaseChatMessageHistory:
        from langchain_redis import RedisChatMessageHistory

        return RedisChatMessageHistory(  # type: ignore[no-any-return]
            _join(user, session), redis_client=self.client, key_prefix=self.prefix, index_name=f"{self.prefix}idx"
        )

    def index_names(self) -> list[str]:
        return [f"{self.prefix}idx"]


# redisvl ----------------------------------------------------------------------------------------------

_TO_RVL = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
_FROM_RVL: dict[str, type[BaseMessage]] = {
    "user": HumanMessage,
    "assistant": AIMessage,
    "llm": AIMessage,
    "system": SystemMessage,
}


def _from_rvl(d: dict[str, Any]) -> BaseMessage:
    role = getattr(d["role"], "value", d["role"])
    if role == "tool":
        return ToolMessage(d["content"], tool_call_id=d.get("tool_call_id", ""))
    return _FROM_RVL[role](d["content"])


class RedisVLHistory(BaseChatMessageHistory):
    """The adapter a LangChain user writes around redisvl's MessageHistory / SemanticMessageHistory:
    role/content dicts in and out (redisvl keeps role, content, tool_call_id and metadata only)."""

    def __init__(self, history: Any, session_tag: str) -> None:
        self.rvl, self.session_tag = history, session_tag

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        return [_from_rvl(d) for d in self.rvl.messages]

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        self.rvl.add_messages([{"role": _TO_RVL[m.type], "content": m.content} for m in messages], self.session_tag)

    def get_recent(self, k: int) -> list[BaseMessage]:
        return [_from_rvl(d) for d in self.rvl.get_recent(top_k=k)]

    def clear(self) -> None:
        self.rvl.clear()


class RedisVL(Impl):
    name = "redisvl"
    label = "redisvl MessageHistory"
    recent_api = "get_recent(top_k=k)"
    key_type = "HASH per message + index"
    notes = "`messages` reads at most 1,000 messages (the oldest); returns role/content dicts (adapter converts)"

    def __init__(self, env: Env, prefix: str) -> None:
        super().__init__(env, prefix)
        self.client = env.client()

    def _rvl(self, tag: str) -> Any:
        from redisvl.extensions.message_history import MessageHistory

        prefix = self.prefix.rstrip(":")
        return MessageHistory(f"{self.prefix}idx", session_tag=tag, prefix=prefix, redis_client=self.client)

    def new_history(self, user: str, session: str) -> BaseChatMessageHistory:
        tag = _join(user, session)
        return RedisVLHistory(self._rvl(tag), tag)

    def recent_fn(self, history: Any) -> Callable[[int], list[BaseMessage]]:
        return history.get_recent  # type: ignore[no-any-return]

    def index_names(self) -> list[str]:
        return [f"{self.prefix}idx"]


class SemanticRedisVL(RedisVL):
    name = "redisvl-semantic"
    label = "redisvl SemanticMessageHistory"
    key_type = "HASH per message (with vector) + index"
    notes = (
        "`messages` reads 10 messages (FilterQuery default, the oldest 10); every message is embedded on write "
        "(same fake embedder); KNN = get_relevant(top_k=5, distance_threshold=2.0), a range query"
    )

    def __init__(self, env: Env, prefix: str, embeddings: BenchEmbeddings) -> None:
        super().__init__(env, prefix)
        from redisvl.utils.vectorize import CustomVectorizer

        self.vectorizer = CustomVectorizer(embed=embeddings.embed_query, embed_many=embeddings.embed_documents)
        self.shared = self._rvl("bench")  # one instance; writes and searches pass session_tag=

    def _rvl(self, tag: str) -> Any:
        from redisvl.extensions.message_history import SemanticMessageHistory

        return SemanticMessageHistory(
            f"{self.prefix}idx",
            session_tag=tag,
            prefix=self.prefix.rstrip(":"),
            vectorizer=self.vectorizer,
            redis_client=self.client,
        )

    def bulk_write(self, user: str, session: str, messages: Sequence[BaseMessage]) -> None:
        RedisVLHistory(self.shared, _join(user, session)).add_messages(messages)

    def knn(self, user: str, text: str, k: int) -> int:
        tag = _join(user, KNN_SESSION)  # redisvl has no users: a user's corpus is one session tag
        return len(self.shared.get_relevant(text, top_k=k, session_tag=tag, distance_threshold=2.0))


# langchain-community ----------------------------------------------------------------------------------


class LangchainCommunity(Impl):
    name = "langchain-community"
    label = "langchain-community RedisChatMessageHistory"
    key_type = "LIST per session"
    notes = (
        "no add_messages: LangChain's default appends one message per LPUSH (2 round trips per exchange); "
        "the constructor takes only a URL, so every handle builds its own client (a new connection per "
        "RunnableWithMessageHistory turn); no get_recent"
    )

    def new_history(self, user: str, session: str) -> BaseChatMessageHistory:
        from langchain_community.chat_message_histories import RedisChatMessageHistory

        return RedisChatMessageHistory(_join(user, session), url=self.env.url_with_protocol(), key_prefix=self.prefix)


# the vector floor ---------------------------------------------------------------------------------------


class VectorFloor(Impl):
    """The smallest vector layout: the message JSON and the vector in one HASH; KNN = one FT.SEARCH."""

    name = "floor-hash"
    label = "HASH per message (content + vector) + FLAT index, one FT.SEARCH"
    key_type = "HASH per message + index"

    def __init__(self, env: Env, prefix: str, embeddings: BenchEmbeddings) -> None:
        super().__init__(env, prefix)
        self.client, self.emb = env.client(), embeddings
        self.index = f"{prefix}idx"
        params = ["TYPE", "FLOAT32", "DIM", str(embeddings.dims), "DISTANCE_METRIC", "COSINE"]
        self.client.execute_command(
            "FT.CREATE", self.index, "ON", "HASH", "PREFIX", "1", prefix, "SCHEMA",
            "user", "TAG", "session", "TAG", "v", "VECTOR", "FLAT", str(len(params)), *params,
        )  # fmt: skip
        self.seq: dict[str, int] = {}

    def bulk_write(self, user: str, session: str, messages: Sequence[BaseMessage]) -> None:
        vectors = self.emb.embed_documents([str(m.content) for m in messages])
        pipe = self.client.pipeline(transaction=False)
        base = f"{self.prefix}{user}:{session}:"
        n = self.seq.get(base, 0)
        for i, (m, v) in enumerate(zip(messages, vectors, strict=True)):
            fields = {"user": user, "session": session, "content": json.dumps(message_to_dict(m))}
            pipe.hset(f"{base}{n + i}", mapping={**fields, "v": np.asarray(v, dtype=np.float32).tobytes()})
        pipe.execute()
        self.seq[base] = n + len(messages)

    def knn(self, user: str, text: str, k: int) -> int:
        blob = np.asarray(self.emb.embed_query(text), dtype=np.float32).tobytes()
        reply = self.client.execute_command(
            "FT.SEARCH", self.index, f"(@user:{{{user}}})=>[KNN {k} @v $vec]",
            "PARAMS", "2", "vec", blob, "RETURN", "1", "content", "DIALECT", "2",
        )  # fmt: skip
        return len(messages_from_dict([json.loads(c) for c in _search_field(reply, b"content")]))

    def index_names(self) -> list[str]:
        return [self.index]


# KEYS[1] = the vector index; ARGV[1] = query, ARGV[2] = vector blob. The hits' keys (``...v:<n>``, in
# distance order) name their documents (``...m:<n>``): one JSON.MGET loads them.
FLOOR_KNN = """
local res = redis.call('FT.SEARCH', KEYS[1], ARGV[1], 'PARAMS', '2', 'vec', ARGV[2], 'NOCONTENT', 'DIALECT', '2')
local keys = {}
for i = 2, #res do keys[#keys + 1] = string.gsub(res[i], ':v:', ':m:', 1) end
if #keys == 0 then return {} end
keys[#keys + 1] = '.'
return redis.call('JSON.MGET', unpack(keys))
"""


class ScriptVectorFloor(VectorFloor):
    """The chat floor's documents plus a vector HASH per message (``user`` tag, ``v``) under a FLAT index
    (ON HASH: the documents and id lists under the same prefix are not hashes, so not indexed);
    KNN = one script: FT.SEARCH ... NOCONTENT, then JSON.MGET of the hits' documents (1 round trip)."""

    name = "floor-script"
    label = "floor (JSON document per message + vector HASH + FLAT index, KNN and load in one script)"
    key_type = "JSON per message + LIST per session + vector HASH + index"

    def __init__(self, env: Env, prefix: str, embeddings: BenchEmbeddings) -> None:
        super().__init__(env, prefix, embeddings)
        self.chat = Floor(env, prefix)
        self.script = self.client.register_script(FLOOR_KNN)

    def bulk_write(self, user: str, session: str, messages: Sequence[BaseMessage]) -> None:
        history = self.chat.new_history(user, session)
        n = self.chat.client.llen(history.ids)
        history.add_messages(messages)  # documents ...m:<n>
        vectors = self.emb.embed_documents([str(m.content) for m in messages])
        pipe = self.client.pipeline(transaction=False)
        for i, v in enumerate(vectors):
            key = f"{history.docs[: -len('m:')]}v:{n + i}"
            pipe.hset(key, mapping={"user": user, "v": np.asarray(v, dtype=np.float32).tobytes()})
        pipe.execute()

    def knn(self, user: str, text: str, k: int) -> int:
        blob = np.asarray(self.emb.embed_query(text), dtype=np.float32).tobytes()
        docs = self.script(keys=[self.index], args=[f"(@user:{{{user}}})=>[KNN {k} @v $vec]", blob])
        return len(messages_from_dict([json.loads(d) for d in docs]))

    def close(self) -> None:
        super().close()
        self.chat.close()


def _search_field(reply: Any, field: bytes) -> list[bytes]:
    """One field of every FT.SEARCH hit, RESP2 (flat list) or RESP3 (map) reply."""
    if isinstance(reply, dict):
        return [hit[b"extra_attributes"][field] for hit in reply[b"results"]]
    out = []
    for fields in reply[2::2]:
        pairs = dict(zip(fields[::2], fields[1::2], strict=True))
        out.append(pairs[field])
    return out
