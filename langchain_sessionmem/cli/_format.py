"""How ``sessionmem`` shows things: aligned tables, ``key: value`` lines, times, counts and messages.

Pure functions of their arguments (no click, no Redis), so every command renders alike.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone

from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, ToolMessage

from langchain_sessionmem._codec import content_text
from langchain_sessionmem._ops.history import INSTRUCTIONS_ID, SUMMARY_ID

__all__ = ["ID_WIDTH", "TITLE_WIDTH", "format_fields", "format_table", "minute", "plural", "render", "second"]

ID_WIDTH = 64  # ids longer than this are shortened in tables (use `show`/`export` for the full id)
TITLE_WIDTH = 40
_CONTEXT_HEADS = {INSTRUCTIONS_ID: "instructions", SUMMARY_ID: "summary"}  # system messages get_context adds


def _cell_text(value: object) -> str:
    """``value`` as one line: non-printable characters (newlines, tabs, controls) escaped."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _char_width(c: str) -> int:
    if unicodedata.combining(c):
        return 0
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


def _width(text: str) -> int:
    """Terminal columns ``text`` takes (wide East Asian characters count 2)."""
    return sum(_char_width(c) for c in text)


def _truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` columns, ending with "…" when cut."""
    if limit < 1 or _width(text) <= limit:
        return text
    out, used = [], 0
    for c in text:
        w = _char_width(c)
        if used + w > limit - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def format_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    max_widths: Mapping[int, int] | None = None,
    right: Iterable[int] = (),
) -> list[str]:
    """Lay out rows as aligned columns separated by two spaces.

    Args:
        headers: Column titles.
        rows: One sequence of cell values per row (``None`` shows empty).
        max_widths: Column index -> widest allowed cell; longer cells end in "…".
        right: Indexes of the columns to right-align (numbers).

    Returns:
        The lines: the header, then one per row, without trailing spaces.
    """
    limits = max_widths or {}
    aligned_right = set(right)
    table = [[_truncate(_cell_text(v), limits.get(i, 0)) for i, v in enumerate(row)] for row in [headers, *rows]]
    widths = [max(_width(row[i]) for row in table) for i in range(len(headers))]
    lines = []
    for row in table:
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(cell))
            cells.append(pad + cell if i in aligned_right else cell + pad)
        lines.append("  ".join(cells).rstrip())
    return lines


def format_fields(rows: Sequence[tuple[str, object]]) -> list[str]:
    """``key: value`` lines, the values aligned one column after the longest key."""
    width = max(_width(_cell_text(k)) for k, _ in rows) + 1
    lines = []
    for key, value in rows:
        label = _cell_text(key) + ":"
        lines.append(f"{label}{' ' * (width - _width(label) + 1)}{_cell_text(value)}")
    return lines


def minute(when: datetime) -> str:
    """``when`` in UTC to the minute: ``2024-05-01T09:30Z``."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def second(ms: int) -> str:
    """A timestamp in milliseconds, in UTC to the second: ``2024-05-01T09:30:12Z``."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def plural(n: int, word: str) -> str:
    """``1 message``, ``2 messages``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _role(message: BaseMessage) -> str:
    role = message.role if isinstance(message, ChatMessage) else message.type
    if message.id in _CONTEXT_HEADS:
        return f"{role} ({_CONTEXT_HEADS[message.id]})"
    if message.name:
        role += f" ({message.name})"
    if isinstance(message, ToolMessage):
        role += f" [{message.tool_call_id}]"
        if message.status == "error":
            role += " error"
    return role


def render(message: BaseMessage, when: str | None) -> list[str]:
    """A message as readable lines: a ``[time] role:`` head, the text indented, tool calls."""
    head = f"[{when}] {_role(message)}:" if when else f"{_role(message)}:"
    lines = [head]
    text = content_text(message.content, placeholders=True)
    lines += ["    " + line for line in text.splitlines()] if text.strip() else []
    if isinstance(message, AIMessage):
        for call in message.tool_calls:
            args = json.dumps(call["args"], ensure_ascii=False, sort_keys=True)
            lines.append(f"    -> tool call {call['name']}({args}) [{call.get('id') or '-'}]")
        for bad in message.invalid_tool_calls:
            lines.append(f"    -> invalid tool call {bad.get('name')}({bad.get('args')}) [{bad.get('id') or '-'}]")
    return lines
