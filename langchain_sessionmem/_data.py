"""The data half of ``RedisSessionMemory``: embedding what has no vector (``reindex``), key
rotation, and export/import as JSON lines. Thin facades over the plans of ``_ops/transfer.py``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from langchain_sessionmem._core import MemoryCore
from langchain_sessionmem._ops.steps import Plan
from langchain_sessionmem._ops.transfer import (
    IfExists,
    export_plan,
    import_plan,
    refuse_existing_plan,
    reindex_plan,
    rotate_plan,
    users_plan,
)
from langchain_sessionmem._records import check_stream, dumps, parse_lines
from langchain_sessionmem.progress import Progress, progress_callback
from langchain_sessionmem.types import TransferStats


@contextmanager
def _text_file(target: str | os.PathLike[str] | TextIO, mode: str) -> Iterator[TextIO]:
    if isinstance(target, (str, os.PathLike)):
        with open(target, mode, encoding="utf-8", newline="\n") as fp:
            yield fp  # type: ignore[misc]
    else:
        yield target


def _writer(fp: TextIO) -> Callable[[dict[str, Any]], None]:
    def write(record: dict[str, Any]) -> None:
        fp.write(dumps(record) + "\n")

    return write


class DataTransfer(MemoryCore):
    """A part of ``RedisSessionMemory``; see there."""

    # -- reindex -------------------------------------------------------------------------------

    def reindex(
        self, *, batch_size: int = 256, progress: Callable[[int, int], None] | None = None, verify: bool = False
    ) -> int:
        """Embed every message that has no vector from the current model, in batches.

        Fills in messages whose embedding failed on write (marked pending), messages written
        before embeddings were configured, and, after a change of embedding model, dimension or
        template, every message (the vector index is rebuilt when the dimension changes). Queries
        never mix vectors of two models: each vector is tagged with its model's fingerprint.

        Each vector is also marked with a digest of the text it was made from. ``verify=True``
        then reads every message once more and re-embeds those whose vector was not made from
        their own text. Run it once after upgrading from 0.1.0, whose ``reindex()`` could give
        the messages of a batch that spanned sessions each other's vectors: vectors written
        before this version carry no digest, so that first run re-embeds all of them; later runs
        call the model only for vectors that do not match. Messages stored with encryption get
        no digest (it would let anyone who reads Redis confirm a guessed message).

        Args:
            batch_size: Messages per ``embed_documents`` call.
            progress: A callback ``(done, total)``, called after each batch (with ``verify``,
                the check then reports ``(checked, total)``); ``ProgressBar("reindex")`` from
                ``langchain_sessionmem.progress`` draws a bar on stderr. None (the default)
                reports nothing (0.1.0 drew a bar by default; a bool still works until the next
                release, with a DeprecationWarning).
            verify: Also check every vector of the current model against its message's text.

        Returns:
            The number of messages embedded (or re-embedded).
        """
        plan = reindex_plan(self._store, batch_size, progress_callback(progress, "reindex"), verify)
        return self._backend.run(plan)

    async def areindex(
        self, *, batch_size: int = 256, progress: Callable[[int, int], None] | None = None, verify: bool = False
    ) -> int:
        """Async twin of ``reindex`` (uses ``aembed_documents``)."""
        plan = reindex_plan(self._store, batch_size, progress_callback(progress, "reindex"), verify)
        return await self._backend.arun(plan)

    def rotate_encryption(self, user_id: str) -> int:
        """Reseal the user's stored messages and summaries with the current key of its KeyRing
        (also sealing what was stored before encryption was turned on). Online: reads and writes
        go on meanwhile. Afterwards the user's older keys can leave the ring.

        Returns:
            How many messages and summaries were resealed.
        """
        return self._backend.run(rotate_plan(self._store, user_id))

    async def arotate_encryption(self, user_id: str) -> int:
        """Async twin of ``rotate_encryption``."""
        return await self._backend.arun(rotate_plan(self._store, user_id))

    # -- export / import -----------------------------------------------------------------------

    def list_users(self) -> list[str]:
        """Every user id with data under this memory's key prefix, sorted (a SCAN, O(keys))."""
        return self._backend.run(users_plan(self._store))

    async def alist_users(self) -> list[str]:
        """Async twin of ``list_users``."""
        return await self._backend.arun(users_plan(self._store))

    def export_jsonl(
        self,
        target: str | os.PathLike[str] | TextIO,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> TransferStats:
        """Write users, sessions and messages as JSON lines, streaming, without loss.

        Args:
            target: A file path, or a text file object (e.g. ``sys.stdout``).
            user_id: Only this user; None exports every user under the key prefix.
            session_id: Only this session of ``user_id``.
            progress: A callback ``(done, total)`` called after each page of messages, e.g.
                ``ProgressBar("export")`` from ``langchain_sessionmem.progress``; None (the
                default) reports nothing.

        Returns:
            How many users, sessions and messages were written.

        The format (one header, then per user a ``user`` record, per session a ``session``
        record and its ``message`` records, each message as ``message_to_dict``) is documented
        in the README and read back by ``import_jsonl``.
        """
        report = progress_callback(progress, "export")
        with _text_file(target, "w") as fp:
            return self._backend.run(export_plan(self._store, _writer(fp), user_id, session_id, report))

    async def aexport_jsonl(
        self,
        target: str | os.PathLike[str] | TextIO,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> TransferStats:
        """Async twin of ``export_jsonl`` (Redis I/O is async; file writes are local and blocking)."""
        report = progress_callback(progress, "export")
        with _text_file(target, "w") as fp:
            return await self._backend.arun(export_plan(self._store, _writer(fp), user_id, session_id, report))

    def import_records(
        self,
        records: Iterable[dict[str, Any]],
        *,
        if_exists: IfExists = "error",
        batch_size: int = 500,
        progress: Callable[[int, int], None] | None = None,
    ) -> TransferStats:
        """Import records (from ``export_jsonl``, or an importer in ``langchain_sessionmem.importers``).

        Messages keep their order and original timestamps, and are embedded on the way in when
        this memory has embeddings. Sessions keep their creation and last-activity times, title,
        metadata, instructions and summary.

        Args:
            records: Record dicts, in stream order.
            if_exists: What to do with a session that already exists: ``"error"`` (raise before
                touching it), ``"skip"``, ``"replace"`` (delete it first) or ``"append"``.
            batch_size: Messages per append (one round trip, one ``embed_documents`` call).
            progress: A callback ``(done, total)`` called after each batch (``total`` is 0 when
                not known in advance), e.g. ``ProgressBar("import")`` from
                ``langchain_sessionmem.progress``; None (the default) reports nothing.

        Raises:
            InvalidRecordError: A malformed record; what came before it is imported.
            ConfigError: A session exists and ``if_exists="error"``.
        """
        plan = import_plan(self._store, records, if_exists, batch_size, progress_callback(progress, "import"))
        return self._backend.run(plan)

    async def aimport_records(
        self,
        records: Iterable[dict[str, Any]],
        *,
        if_exists: IfExists = "error",
        batch_size: int = 500,
        progress: Callable[[int, int], None] | None = None,
    ) -> TransferStats:
        """Async twin of ``import_records``."""
        plan = import_plan(self._store, records, if_exists, batch_size, progress_callback(progress, "import"))
        return await self._backend.arun(plan)

    def _import_file_plan(
        self, fp: TextIO, if_exists: IfExists, batch_size: int, progress: Progress | None
    ) -> Plan[TransferStats]:
        total = 0
        if fp.seekable():  # check the whole file first: a bad line or a conflict imports nothing
            start = fp.tell()
            total, sessions = check_stream(parse_lines(fp))
            fp.seek(start)
            if if_exists == "error":
                yield from refuse_existing_plan(self._store, sessions)
        plan = import_plan(self._store, parse_lines(fp), if_exists, batch_size, progress, total)
        return (yield from plan)

    def import_jsonl(
        self,
        source: str | os.PathLike[str] | TextIO,
        *,
        if_exists: IfExists = "error",
        batch_size: int = 500,
        progress: Callable[[int, int], None] | None = None,
    ) -> TransferStats:
        """Import a stream written by ``export_jsonl``. A file (anything seekable) is checked
        whole first, so a malformed line, or with ``if_exists="error"`` a session that already
        exists, imports nothing; a pipe is imported as it streams. Arguments as for
        ``import_records``."""
        report = progress_callback(progress, "import")
        with _text_file(source, "r") as fp:
            return self._backend.run(self._import_file_plan(fp, if_exists, batch_size, report))

    async def aimport_jsonl(
        self,
        source: str | os.PathLike[str] | TextIO,
        *,
        if_exists: IfExists = "error",
        batch_size: int = 500,
        progress: Callable[[int, int], None] | None = None,
    ) -> TransferStats:
        """Async twin of ``import_jsonl``."""
        report = progress_callback(progress, "import")
        with _text_file(source, "r") as fp:
            return await self._backend.arun(self._import_file_plan(fp, if_exists, batch_size, report))
