"""Clients, scripts and error translation shared by a memory and every history it hands out.

The sync and the async paths differ only in the client they send through: everything they send
is planned by the same pure functions, and every reply is decoded by the same code.
"""

from __future__ import annotations

import asyncio
import enum
import os
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from langchain_core.embeddings import Embeddings
from redis.commands.core import AsyncScript, Script

from langchain_sessionmem import _cluster
from langchain_sessionmem._cache import ReadCache
from langchain_sessionmem._loops import AsyncClients
from langchain_sessionmem._scripts import ALL as SCRIPTS
from langchain_sessionmem._steps import Plan
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption
from langchain_sessionmem.errors import (
    ConfigError,
    RedisUnavailableError,
    SlotMigratingError,
    check_url,
    redact_url,
    translate_redis_errors,
)

DEFAULT_URL = "redis://localhost:6379/0"
_NOT_RETRIED = frozenset({"FT.CREATE", "FT.DROPINDEX", "FT.ALTER"})  # a replay would fail or undo
# A server without RedisJSON would answer every read script with "no messages" (the scripts only
# touch JSON keys that exist): before the first script on a connection pool, one probe whose
# unknown-command error becomes ModulesMissingError. Pools are weakly held, so nothing leaks.
_PROBED: weakref.WeakSet[Any] = weakref.WeakSet()


class Op(enum.Enum):
    """Steps of a plan (see _steps.py) other than a plain Redis command tuple."""

    EMBED_DOCUMENTS = "embed_documents"  # (Op, texts) -> list of vectors
    EMBED_QUERY = "embed_query"  # (Op, text) -> vector
    SCRIPT = "script"  # (Op, name, keys, args) -> reply
    PIPELINE = "pipeline"  # (Op, [command tuples]) -> replies, one round trip
    CHAT = "chat"  # (Op, chat model, messages) -> the model's reply message
    PRIMARIES = "primaries"  # (Op,) -> the cluster's primaries, [None] on one server (see _cluster.py)
    ON_NODE = "on_node"  # (Op, node, command tuple) -> its reply from that primary (None: the server)
    RERANK = "rerank"  # (Op, document compressor, documents, query) -> documents, best first


def _url_of(client: _cluster.SyncClient | _cluster.AsyncClient) -> str:
    if _cluster.is_cluster_client(client):
        return _cluster.cluster_url_of(client)
    kw = client.connection_pool.connection_kwargs
    scheme = "rediss" if "ssl" in str(client.connection_pool.connection_class).lower() else "redis"
    if "path" in kw:
        return f"unix://{kw['path']}"
    return f"{scheme}://{kw.get('host', 'localhost')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"


class Backend:
    """Owns the clients (created lazily from one URL unless given) and the registered scripts."""

    def __init__(
        self,
        redis_url: str | None,
        client: _cluster.SyncClient | None,
        async_client: _cluster.AsyncClient | None,
        config: SessionMemConfig | None,
        embeddings: Embeddings | None = None,
        encryption: ContentEncryption | None = None,
    ) -> None:
        if embeddings is not None and not isinstance(embeddings, Embeddings):
            raise ConfigError(f"embeddings must be a langchain_core Embeddings, got {type(embeddings).__name__}")
        self.embeddings = embeddings
        if encryption is not None and not isinstance(encryption, ContentEncryption):
            raise ConfigError(f"encryption must be a ContentEncryption, got {type(encryption).__name__}")
        self.encryption = encryption
        if config is not None and not isinstance(config, SessionMemConfig):
            raise ConfigError(f"config must be a SessionMemConfig, got {type(config).__name__}")
        self.config = config or SessionMemConfig()
        self.cache = ReadCache(self.config.read_cache_messages)
        self.may_evict: bool | None = None  # the server's maxmemory policy may evict keys; None: not asked yet
        self.search_coordinated: bool | None = None  # on a cluster: FT.* spans the shards; None: not asked yet
        if redis_url is None and client is None and async_client is None:
            redis_url = os.environ.get("REDIS_URL", DEFAULT_URL)
        self._url = None if redis_url is None else check_url(redis_url)
        self.index_checked = False  # the message index matches this config: setup() or the first search
        self._client = client
        self._owns_client = client is None  # close() closes only what this object made
        self._async_client = async_client
        self._async_clients = AsyncClients(self._url, async_client)  # one per event loop: see _loops.py
        self._scripts: dict[str, Script] = {}
        self._ascripts: dict[str, AsyncScript] = {}
        shown = redis_url or _url_of(client or async_client)  # type: ignore[arg-type]
        self.url = redact_url(shown)

    def policy_plan(self) -> Plan[str | None]:
        """Ask the server's ``maxmemory-policy`` once (None when INFO is refused) and note whether
        it may evict keys: anything but ``noeviction``, or unknown."""
        try:
            if self.is_cluster:  # every primary's
                policy: str | None = yield from _cluster.policy_plan()
            else:
                info = yield ("INFO", "memory")
                policy = str(info.get("maxmemory_policy", "noeviction"))
        except Exception:  # a refused probe only makes reads check more
            policy = None
        self.may_evict = policy != "noeviction"
        return policy

    @property
    def client(self) -> _cluster.SyncClient:
        if self._client is None:
            if self._url is None:
                raise ConfigError(
                    "this memory was given only an async_client; pass client= (or redis_url=) to use the sync API"
                )
            with self.errors():  # a sync RedisCluster connects while it is built
                self._client = _cluster.sync_client(self._url)
        return self._client

    @property
    def async_client(self) -> _cluster.AsyncClient:
        """The async client of the running event loop."""
        return self._async_clients.current()

    @property
    def is_cluster(self) -> bool:
        """Talking to a Redis Cluster through cluster clients (known without I/O)."""
        if self._url is not None:
            return _cluster.is_cluster_url(self._url)
        return _cluster.is_cluster_client(self._client or self._async_client)

    def errors(self) -> Any:
        """Context manager translating redis errors; the same for sync and async calls."""
        return translate_redis_errors(self.url)

    # -- sending, with retries ------------------------------------------------------------------
    # Every script is safe to run twice (appends carry a batch id the script remembers, a summary
    # write recognises its own replay), and so is every command but the index writes below. A
    # dropped connection or a timeout is retried config.retries times, with growing, jittered pauses.

    def _delays(self, steps: Sequence[Sequence[Any]]) -> Iterator[float]:
        if any(str(cmd[0]).upper() in _NOT_RETRIED for cmd in steps):
            return
        pause = self.config.retry_backoff_seconds
        for _ in range(self.config.retries):
            yield min(pause, 2.0) * random.uniform(0.5, 1.0)
            pause *= 2

    def _send(self, steps: Sequence[Sequence[Any]], send: Callable[[], Any]) -> Any:
        delays, moving = self._delays(steps), _cluster.migration_delays(self.config.slot_migration_wait_seconds)
        while True:
            try:
                with self.errors():
                    return send()
            except RedisUnavailableError as exc:
                pause = next(moving if isinstance(exc, SlotMigratingError) else delays, None)
                if pause is None:
                    raise
                time.sleep(pause)

    async def _asend(self, steps: Sequence[Sequence[Any]], send: Callable[[], Awaitable[Any]]) -> Any:
        delays, moving = self._delays(steps), _cluster.migration_delays(self.config.slot_migration_wait_seconds)
        while True:
            try:
                with self.errors():
                    return await send()
            except RedisUnavailableError as exc:
                pause = next(moving if isinstance(exc, SlotMigratingError) else delays, None)
                if pause is None:
                    raise
                await asyncio.sleep(pause)

    def _unprobed(self, client: Any) -> Any:
        """The connection pool of ``client`` if no script has run on it yet, else None."""
        pool = getattr(client, "connection_pool", client)
        return None if pool in _PROBED else pool

    def run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        if (pool := self._unprobed(self.client)) is not None:
            self.command("JSON.TYPE", f"{self.config.key_prefix}probe")
            _PROBED.add(pool)
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self.client.register_script(SCRIPTS[name])
        return self._send((), lambda: script(keys=list(keys), args=list(args)))

    async def arun(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        client = self.async_client
        if (pool := self._unprobed(client)) is not None:
            await self.acommand("JSON.TYPE", f"{self.config.key_prefix}probe")
            _PROBED.add(pool)
        script = self._ascripts.get(name)
        if script is None:
            script = self._ascripts[name] = client.register_script(SCRIPTS[name])
        return await self._asend((), lambda: script(keys=list(keys), args=list(args), client=client))

    def command(self, *args: Any) -> Any:
        return self._send([args], lambda: self.client.execute_command(*args))  # type: ignore[no-untyped-call]

    async def acommand(self, *args: Any) -> Any:
        return await self._asend([args], lambda: self.async_client.execute_command(*args))

    def pipeline(self, cmds: Sequence[Sequence[Any]]) -> list[Any]:
        def send() -> list[Any]:
            pipe = self.client.pipeline(transaction=False)
            for cmd in cmds:
                pipe.execute_command(*cmd)
            return pipe.execute()

        return self._send(cmds, send)  # type: ignore[no-any-return]

    async def apipeline(self, cmds: Sequence[Sequence[Any]]) -> list[Any]:
        async def send() -> list[Any]:
            pipe = self.async_client.pipeline(transaction=False)
            for cmd in cmds:
                pipe.execute_command(*cmd)
            return await pipe.execute()

        return await self._asend(cmds, send)  # type: ignore[no-any-return]

    def _embedder(self) -> Embeddings:
        if self.embeddings is None:
            raise ConfigError(
                "this operation needs embeddings: pass RedisSessionMemory(..., embeddings=YourEmbeddings())"
            )
        return self.embeddings

    def execute(self, *step: Any) -> Any:
        """Carry out one plan step with the sync client."""
        op = step[0]
        if op is Op.EMBED_DOCUMENTS:
            return self._embedder().embed_documents(step[1])
        if op is Op.EMBED_QUERY:
            return self._embedder().embed_query(step[1])
        if op is Op.SCRIPT:
            return self.run(step[1], step[2], step[3])
        if op is Op.CHAT:
            return step[1].invoke(step[2])
        if op is Op.RERANK:
            return step[1].compress_documents(step[2], step[3])
        if op is Op.PIPELINE:
            return self.pipeline(step[1])
        if op is Op.PRIMARIES:
            return _cluster.primaries(self.client)
        if op is Op.ON_NODE:
            return _cluster.on_node(self, step[1], step[2])
        return self.command(*step)

    async def aexecute(self, *step: Any) -> Any:
        """Carry out one plan step with the async client (native asyncio, no threads)."""
        op = step[0]
        if op is Op.EMBED_DOCUMENTS:
            return await self._embedder().aembed_documents(step[1])
        if op is Op.EMBED_QUERY:
            return await self._embedder().aembed_query(step[1])
        if op is Op.SCRIPT:
            return await self.arun(step[1], step[2], step[3])
        if op is Op.CHAT:
            return await step[1].ainvoke(step[2])
        if op is Op.RERANK:
            return await step[1].acompress_documents(step[2], step[3])
        if op is Op.PIPELINE:
            return await self.apipeline(step[1])
        if op is Op.PRIMARIES:
            return await _cluster.aprimaries(self.async_client)
        if op is Op.ON_NODE:
            return await _cluster.aon_node(self, step[1], step[2])
        return await self.acommand(*step)

    def close(self) -> None:
        """Close the clients this object made (the sync one, and the async one of every loop)."""
        if self._client is not None and self._owns_client:
            self._client.close()
        self._async_clients.close()

    async def aclose(self) -> None:
        if self._client is not None and self._owns_client:
            self._client.close()
        await self._async_clients.aclose()
