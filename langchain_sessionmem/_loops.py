"""The redis.asyncio clients of a memory: one per event loop.

A redis.asyncio connection belongs to the loop that opened it: used from another loop it fails
("Future attached to a different loop", "Event loop is closed"), and it can fail after its
request was sent, so the server may have stored a batch whose call then raised. Scripts,
notebooks, Celery tasks and test suites run many loops (each ``asyncio.run`` makes one), so a
memory built from a URL opens one client per loop that uses it, on first use there.

Each such client closes with its loop: an async generator, first iterated on that loop, closes
it when the loop shuts its async generators down, as ``asyncio.run``, ``asyncio.Runner`` and
pytest-asyncio do before closing a loop. ``close()``/``aclose()`` close the clients of loops that
are still open. A loop closed without that shutdown leaves its connections to the garbage
collector, as it would for any redis.asyncio client.

A client passed in (``async_client=``) is the caller's: it is used on the loop it is first used
on, and a call from any other loop raises ConfigError before anything is sent.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncGenerator

from langchain_sessionmem import _cluster
from langchain_sessionmem.errors import ConfigError

Loop = asyncio.AbstractEventLoop


class AsyncClients:
    """The async client of the running loop: the one given, or one made from ``url`` per loop."""

    def __init__(self, url: str | None, given: _cluster.AsyncClient | None) -> None:
        self._url = url
        self._given = given
        self._given_loop: weakref.ref[Loop] | None = None
        self._owned: dict[Loop, tuple[_cluster.AsyncClient, AsyncGenerator[None, None]]] = {}
        self._lock = threading.Lock()
        self._closing: set[asyncio.Task[None]] = set()  # closes scheduled by a sync close() on a running loop

    def current(self) -> _cluster.AsyncClient:
        """The client for the running loop (call from a coroutine)."""
        loop = asyncio.get_running_loop()
        if self._given is not None:
            return self._given_on(loop, self._given)
        if self._url is None:
            raise ConfigError(
                "this memory was given only a sync client; pass async_client= (or redis_url=) to use the async API"
            )
        with self._lock:
            for old in [old for old in self._owned if old.is_closed()]:
                del self._owned[old]  # closed without shutting down its async generators: nothing to await
            entry = self._owned.get(loop)
            if entry is None:
                client = _cluster.async_client(self._url)
                closer = self._close_with_loop(loop, client)
                try:  # run it to its `yield` now: that first step registers it with this loop
                    closer.asend(None).send(None)
                except StopIteration:
                    pass
                entry = self._owned[loop] = (client, closer)
            return entry[0]

    def _given_on(self, loop: Loop, given: _cluster.AsyncClient) -> _cluster.AsyncClient:
        with self._lock:
            first = self._given_loop() if self._given_loop is not None else None
            if first is None:  # first use, or its first loop is gone, and with it every connection of that loop
                self._given_loop = weakref.ref(loop)
            elif first is not loop:
                raise ConfigError(
                    f"the async_client given to this memory was first used on another event loop "
                    f"({'closed' if first.is_closed() else 'still open'}); a redis.asyncio client cannot move "
                    "between loops, so nothing was sent. Pass redis_url= instead (the memory then opens one "
                    "client per event loop), or give each event loop a memory with a client of its own"
                )
        return given

    async def _close_with_loop(self, loop: Loop, client: _cluster.AsyncClient) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            with self._lock:
                if self._owned.get(loop, (None,))[0] is client:
                    del self._owned[loop]
            await client.aclose()

    def _take_all(self) -> list[tuple[Loop, AsyncGenerator[None, None]]]:
        with self._lock:
            taken = [(loop, closer) for loop, (_, closer) in self._owned.items()]
            self._owned.clear()
        return taken

    def _close_elsewhere(self, loop: Loop, closer: AsyncGenerator[None, None]) -> None:
        """Close the client of ``loop`` from outside a coroutine of that loop."""
        if loop.is_closed():
            return
        try:
            here: Loop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if loop is here:  # a sync close() inside a coroutine of that loop: close as soon as it yields
            task = loop.create_task(closer.aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        elif loop.is_running():  # a loop of another thread
            asyncio.run_coroutine_threadsafe(closer.aclose(), loop)
        elif here is None:  # an idle loop (new_event_loop, not closed yet)
            loop.run_until_complete(closer.aclose())
        # else: an idle loop while another one runs in this thread, which cannot run it: its
        # connections go when it is closed and collected.

    def close(self) -> None:
        """Close every client this object opened, on whichever loop it belongs to."""
        for loop, closer in self._take_all():
            self._close_elsewhere(loop, closer)

    async def aclose(self) -> None:
        """Close every client this object opened; the running loop's one is awaited."""
        here = asyncio.get_running_loop()
        for loop, closer in self._take_all():
            if loop is here:
                await closer.aclose()
            else:
                self._close_elsewhere(loop, closer)
        scheduled = [task for task in self._closing if task.get_loop() is here]
        if scheduled:  # by a close() before this call: done when aclose() returns
            await asyncio.gather(*scheduled)
