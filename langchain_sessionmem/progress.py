"""Progress of long operations, reported only to a callback the caller passes.

``reindex``, ``export_jsonl``, ``import_records`` and ``import_jsonl`` (and their async twins)
take ``progress=``: any callable ``(done, total)``, called after each batch. The default, None,
reports nothing: the library never writes to stderr on its own. ``ProgressBar`` is such a
callable that draws one line on a terminal; the ``sessionmem`` CLI passes one.

.. code-block:: python

    from langchain_sessionmem.progress import ProgressBar

    with ProgressBar("reindex") as bar:  # the with block ends the line when done
        memory.reindex(progress=bar)
    memory.reindex(progress=lambda done, total: log.info("%d/%d embedded", done, total))
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any, TextIO, cast

from langchain_sessionmem.errors import ConfigError

__all__ = ["Progress", "ProgressBar"]

Progress = Callable[[int, int], None]
"""A progress callback: called with ``(done, total)`` after each batch; ``total`` can grow as
the operation finds more work."""


class ProgressBar:
    """A ``(done, total)`` callback drawing a one-line bar on ``stream`` when it is a terminal.

    Anywhere else (a log file, a pipe, CI) it writes nothing: carriage returns would fill a log
    with every intermediate state. ``end()`` (or leaving a ``with`` block) finishes a drawn line.

    Args:
        label: The word before the bar: ``"reindex"``, ``"export"``, ...
        stream: Where to draw; None (the default) is ``sys.stderr`` as it is at each call, so
            code that swaps ``sys.stderr`` (pytest, click) sees the bar where it looks.
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self._stream = stream
        self.drawn = False

    @property
    def stream(self) -> TextIO:
        """The stream the bar is drawn on."""
        return self._stream or sys.stderr

    def __call__(self, done: int, total: int) -> None:
        out = self.stream
        if not out.isatty():
            return
        if total > 0:
            filled = 30 * min(done, total) // total
            out.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total} messages")
        else:
            out.write(f"\r{self.label} {done} messages")
        out.flush()
        self.drawn = True

    def end(self) -> None:
        """End a drawn line with a newline, so what is written next starts on its own line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.end()


def progress_callback(progress: Any, label: str) -> Progress | None:
    """The callback behind a ``progress=`` argument of a public method, which calls this first.

    A bool is still accepted for one release, with a DeprecationWarning naming the method's
    caller: True meant a ProgressBar on stderr, False no progress.
    """
    if progress is None or callable(progress):
        return cast("Progress | None", progress)
    if isinstance(progress, bool):
        instead = (
            f"pass progress=ProgressBar({label!r}) (from langchain_sessionmem.progress import ProgressBar) "
            "or any (done, total) callable to see progress"
            if progress
            else "leave progress out: the default, None, reports nothing"
        )
        warnings.warn(
            f"progress={progress!r} is deprecated and stops working in the next release: {instead}",
            DeprecationWarning,
            stacklevel=3,
        )
        return ProgressBar(label) if progress else None
    raise ConfigError(f"progress must be a (done, total) callable or None, got {progress!r:.80}")
