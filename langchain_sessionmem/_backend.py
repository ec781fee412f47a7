"""Clients, scripts and error translation shared by a memory and every history it hands out.

The sync and the async paths differ only in the client they send through: everything they send
is planned by the same pure functions, and every reply is decoded by the same code.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar

from langchain_core.embeddings import Embeddings
from redis.exceptions import NoScriptError

from langchain_sessionmem import _cluster
from langchain_sessionmem._cache import ReadCache
from langchain_sessionmem._loops import AsyncClients
from langchain_sessionmem._lua import source
from langchain_sessionmem._ops.steps import (
    Chat,
    Command,
    EmbedDocuments,
    EmbedQuery,
    OnNode,
    Pause,
    Pipeline,
    Plan,
    Primaries,
    Rerank,
    Script,
    Step,
    adrive,
    drive,
)
from langchain_sessionmem._ops.target import ServerFacts, Store
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption
from langchain_sessionmem.errors import (
    ConfigError,
    RedisCommandError,
    RedisUnavailableError,
    SlotMigratingError,
    check_url,
    redact_url,
    translate_redis_errors,
)

T = TypeVar("T")
DEFAULT_URL = "redis://localhost:6379/0"
_NOT_RETRIED = frozenset({"FT.CREATE", "FT.DROPINDEX", "FT.ALTER"})  # a replay would fail or undo
# A server without RedisJSON would answer every read script with "no messages" (the scripts only
# touch JSON keys that exist): before the first script on a connection pool, one probe whose
# unknown-command error becomes ModulesMissingError. Pools are weakly held, so nothing leaks.
_PROBED: weakref.WeakSet[Any] = weakref.WeakSet()


def url_of(client: _cluster.SyncClient | _cluster.AsyncClient) -> str:
    if _cluster.is_cluster_client(client):
        return _cluster.cluster_url_of(client)
    kw = client.connection_pool.connection_kwargs
    scheme = "rediss" if "ssl" in str(client.connection_pool.connection_class).lower() else "redis"
    if "path" in kw:
        return f"unix://{kw['path']}"
    return f"{scheme}://{kw.get('host', 'localhost')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"


class Backend:
    """Owns the clients (created lazily from one URL unless given) and carries out plan steps.

    Everything an operation needs besides the clients is in ``store`` (see _ops/target.py)."""

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
        if encryption is not None and not isinstance(encryption, ContentEncryption):
            raise ConfigError(f"encryption must be a ContentEncryption, got {type(encryption).__name__}")
        if config is not None and not isinstance(config, SessionMemConfig):
            raise ConfigError(f"config must be a SessionMemConfig, got {type(config).__name__}")
        config = config or SessionMemConfig()
        if redis_url is None and client is None and async_client is None:
            redis_url = os.environ.get("REDIS_URL", DEFAULT_URL)
        self._url = None if redis_url is None else check_url(redis_url)
        self._client = client
        self._owns_client = client is None  # close() closes only what this object made
        self._async_client = async_client
        self._async_clients = AsyncClients(self._url, async_client)  # one per event loop: see _loops.py
        self._shas: dict[str, bytes] = {}
        shown = redis_url or url_of(client or async_client)  # type: ignore[arg-type]
        if self._url is not None:
            is_cluster = _cluster.is_cluster_url(self._url)
        else:
            is_cluster = _cluster.is_cluster_client(client or async_client)
        facts = ServerFacts(redact_url(shown), is_cluster)
        self.store = Store(config, facts, embeddings, encryption, ReadCache(config.read_cache_messages))
        self._errors = translate_redis_errors(facts.url)  # entered around every call: made once

    @property
    def config(self) -> SessionMemConfig:
        return self.store.config

    @property
    def url(self) -> str:
        return self.store.facts.url

    @property
    def is_cluster(self) -> bool:
        return self.store.facts.is_cluster

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

    def errors(self) -> translate_redis_errors:
        """Context manager translating redis errors; the same for sync and async calls."""
        return self._errors

    # -- sending, with retries ------------------------------------------------------------------
    # Every script is safe to run twice (appends carry a batch id the script remembers, a summary
    # write recognises its own replay), and so is every command but the index writes below. A
    # dropped connection or a timeout is retried config.retries times, with growing, jittered pauses.

    def _delays(self, steps: Sequence[Command | Script]) -> Iterator[float]:
        if any(isinstance(s, Command) and s.name in _NOT_RETRIED for s in steps):
            return
        pause = self.config.retry_backoff_seconds
        for _ in range(self.config.retries):
            yield min(pause, 2.0) * random.uniform(0.5, 1.0)
            pause *= 2

    def _pauses(self, steps: Sequence[Command | Script]) -> tuple[Iterator[float], Iterator[float]]:
        """The pauses before each retry: after a dropped connection, and while a slot migrates
        (made on the first failure only: most calls never need them)."""
        return self._delays(steps), _cluster.migration_delays(self.config.slot_migration_wait_seconds)

    def _send(self, steps: Sequence[Command | Script], send: Callable[[], Any]) -> Any:
        pauses = None
        while True:
            try:
                with self._errors:
                    return send()
            except RedisUnavailableError as exc:
                delays, moving = pauses = pauses or self._pauses(steps)
                pause = next(moving if isinstance(exc, SlotMigratingError) else delays, None)
                if pause is None:
                    raise
                time.sleep(pause)

    async def _asend(self, steps: Sequence[Command | Script], send: Callable[[], Awaitable[Any]]) -> Any:
        pauses = None
        while True:
            try:
                with self._errors:
                    return await send()
            except RedisUnavailableError as exc:
                delays, moving = pauses = pauses or self._pauses(steps)
                pause = next(moving if isinstance(exc, SlotMigratingError) else delays, None)
                if pause is None:
                    raise
                await asyncio.sleep(pause)

    # -- scripts: EVALSHA, loading a script only where the server answers NOSCRIPT ----------------

    def _probe(self, client: Any) -> Command | None:
        """A server without RedisJSON would answer every read script with "no messages": before the
        first script on a connection pool, one JSON command, whose unknown-command error becomes
        ModulesMissingError. (None when this client's pool was probed.)"""
        return None if self._pool(client) in _PROBED else Command("JSON.TYPE", f"{self.config.key_prefix}probe")

    @staticmethod
    def _pool(client: Any) -> Any:
        return getattr(client, "connection_pool", client)

    def _sha(self, name: str) -> bytes:
        sha = self._shas.get(name)
        if sha is None:
            sha = self._shas[name] = hashlib.sha1(source(name).encode()).hexdigest().encode()  # noqa: S324 - Redis' script id
        return sha

    def _evalsha(self, step: Script) -> tuple[Any, ...]:
        return ("EVALSHA", self._sha(step.name), *_wire((len(step.keys), *step.keys, *step.args)))

    def _raw(self, step: Command | Script) -> tuple[Any, ...]:
        return self._evalsha(step) if isinstance(step, Script) else step.args

    def _batch(self, steps: Sequence[Command | Script]) -> list[Any]:
        """Send ``steps`` in one pipeline; scripts the server does not hold are loaded and sent again."""

        def send() -> list[Any]:
            pipe = self.client.pipeline(transaction=False)
            for step in steps:
                pipe.execute_command(*self._raw(step))
            return _raise_first(pipe.execute(raise_on_error=False))

        replies: list[Any] = self._send(steps, send)
        if missing := _noscript(steps, replies):
            for name in {steps[i].name for i in missing}:
                self._load(name)
            for i, reply in zip(missing, self._batch([steps[i] for i in missing]), strict=True):
                replies[i] = reply
        return replies

    async def _abatch(self, steps: Sequence[Command | Script]) -> list[Any]:
        client = self.async_client

        async def send() -> list[Any]:
            pipe = client.pipeline(transaction=False)
            for step in steps:
                pipe.execute_command(*self._raw(step))
            return _raise_first(await pipe.execute(raise_on_error=False))

        replies: list[Any] = await self._asend(steps, send)
        if missing := _noscript(steps, replies):
            for name in {steps[i].name for i in missing}:
                await self._aload(client, name)
            for i, reply in zip(missing, await self._abatch([steps[i] for i in missing]), strict=True):
                replies[i] = reply
        return replies

    def _load(self, name: str) -> None:
        self._send((), lambda: self.client.script_load(source(name)))

    async def _aload(self, client: _cluster.AsyncClient, name: str) -> None:
        await self._asend((), lambda: client.script_load(source(name)))

    def _script(self, step: Script) -> Any:
        if (probe := self._probe(self.client)) is not None:
            self._command(probe)
            _PROBED.add(self._pool(self.client))
        try:
            return self._send((step,), lambda: self.client.execute_command(*self._evalsha(step)))  # type: ignore[no-untyped-call]
        except RedisCommandError as exc:
            if not isinstance(exc.__cause__, NoScriptError):
                raise
        self._load(step.name)
        return self._send((step,), lambda: self.client.execute_command(*self._evalsha(step)))  # type: ignore[no-untyped-call]

    async def _ascript(self, step: Script) -> Any:
        client = self.async_client
        if (probe := self._probe(client)) is not None:
            await self._acommand(probe)
            _PROBED.add(self._pool(client))
        try:
            return await self._asend((step,), lambda: client.execute_command(*self._evalsha(step)))
        except RedisCommandError as exc:
            if not isinstance(exc.__cause__, NoScriptError):
                raise
        await self._aload(client, step.name)
        return await self._asend((step,), lambda: client.execute_command(*self._evalsha(step)))

    def _command(self, step: Command) -> Any:
        return self._send([step], lambda: self.client.execute_command(*step.args))  # type: ignore[no-untyped-call]

    async def _acommand(self, step: Command) -> Any:
        return await self._asend([step], lambda: self.async_client.execute_command(*step.args))

    def _on_node(self, step: OnNode) -> Any:
        if step.node is None:
            return self._command(step.command)
        client, args = self.client, step.command.args

        def send() -> Any:
            return client.execute_command(*args, target_nodes=step.node)  # type: ignore[no-untyped-call]

        try:
            return _cluster.one_reply(step.node, self._send([step.command], send))
        except SlotMigratingError:
            raise
        except RedisUnavailableError as exc:
            raise _cluster.unreachable(step.node, args, exc) from exc

    async def _aon_node(self, step: OnNode) -> Any:
        if step.node is None:
            return await self._acommand(step.command)
        client, args = self.async_client, step.command.args
        try:
            return _cluster.one_reply(
                step.node,
                await self._asend([step.command], lambda: client.execute_command(*args, target_nodes=step.node)),
            )
        except SlotMigratingError:
            raise
        except RedisUnavailableError as exc:
            raise _cluster.unreachable(step.node, args, exc) from exc

    # -- the one dispatch of plan steps ---------------------------------------------------------

    def execute(self, step: Step) -> Any:
        """Carry out one plan step with the sync client."""
        match step:
            case Command():
                return self._command(step)
            case Script():
                return self._script(step)
            case Pipeline():
                return self._batch(step.steps)
            case EmbedDocuments():
                return self.store.embedder().embed_documents(list(step.texts))
            case EmbedQuery():
                return self.store.embedder().embed_query(step.text)
            case Chat():
                return step.model.invoke(list(step.messages))
            case Rerank():
                return step.compressor.compress_documents(list(step.documents), step.query)
            case Pause():
                return time.sleep(step.seconds)
            case Primaries():
                return _cluster.primaries(self.client)
            case OnNode():
                return self._on_node(step)
        raise TypeError(f"not a plan step: {step!r}")

    async def aexecute(self, step: Step) -> Any:
        """Carry out one plan step with the async client (native asyncio, no threads)."""
        match step:
            case Command():
                return await self._acommand(step)
            case Script():
                return await self._ascript(step)
            case Pipeline():
                return await self._abatch(step.steps)
            case EmbedDocuments():
                return await self.store.embedder().aembed_documents(list(step.texts))
            case EmbedQuery():
                return await self.store.embedder().aembed_query(step.text)
            case Chat():
                return await step.model.ainvoke(list(step.messages))
            case Rerank():
                return await step.compressor.acompress_documents(list(step.documents), step.query)
            case Pause():
                return await asyncio.sleep(step.seconds)
            case Primaries():
                return await _cluster.aprimaries(self.async_client)
            case OnNode():
                return await self._aon_node(step)
        raise TypeError(f"not a plan step: {step!r}")

    def run(self, plan: Plan[T]) -> T:
        """Run ``plan`` to its result with the sync client."""
        return drive(plan, self.execute)

    async def arun(self, plan: Plan[T]) -> T:
        """Run ``plan`` to its result with the async client of the running loop."""
        return await adrive(plan, self.aexecute)

    def close(self) -> None:
        """Close the clients this object made (the sync one, and the async one of every loop)."""
        if self._client is not None and self._owns_client:
            self._client.close()
        self._async_clients.close()

    async def aclose(self) -> None:
        if self._client is not None and self._owns_client:
            self._client.close()
        await self._async_clients.aclose()


def _wire(args: Sequence[Any]) -> list[Any]:
    """Script arguments as redis-py would send them, encoded here where that is cheaper: ASCII text
    (the same bytes in every encoding a client can be set to) and ints. redis-py's encoder takes
    about 0.25 µs per argument, a third of packing an append's 30; the rest (other text, bytes,
    floats, and what it rejects) is left to it, so a client's own ``encoding`` still applies."""
    return [a.encode() if a.__class__ is str and a.isascii() else b"%d" % a if a.__class__ is int else a for a in args]


def _noscript(steps: Sequence[Command | Script], replies: list[Any]) -> list[int]:
    """Positions of the scripts the server did not hold (nothing ran for them)."""
    return [
        i
        for i, (step, reply) in enumerate(zip(steps, replies, strict=True))
        if isinstance(step, Script) and isinstance(reply, NoScriptError)
    ]


def _raise_first(replies: list[Any]) -> list[Any]:
    """The replies of a pipeline, or the first error among them but NOSCRIPT (handled by the caller)."""
    for reply in replies:
        if isinstance(reply, Exception) and not isinstance(reply, NoScriptError):
            raise reply
    return replies
