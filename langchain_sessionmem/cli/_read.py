"""The commands that only read: ``users``, ``sessions``, ``show`` and ``stats``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import click
from langchain_core.messages import BaseMessage, message_to_dict

from langchain_sessionmem.cli._common import CliError, settings, totals
from langchain_sessionmem.cli._format import (
    ID_WIDTH,
    TITLE_WIDTH,
    format_fields,
    format_table,
    minute,
    plural,
    render,
    second,
)
from langchain_sessionmem.memory import RedisSessionMemory
from langchain_sessionmem.types import IndexStats, ServerStats

__all__ = ["sessions", "show", "stats", "users"]


@click.command()
@click.pass_context
def users(ctx: click.Context) -> None:
    """List every user with sessions, messages and tokens, sorted by user id."""
    memory = settings(ctx).memory(ctx)
    rows = [(uid, *totals(memory, uid)) for uid in memory.list_users()]
    if not rows:
        click.echo(f"no users under prefix {memory.config.key_prefix!r}", err=True)
        return
    headers = ("USER", "SESSIONS", "MESSAGES", "TOKENS")
    for line in format_table(headers, rows, max_widths={0: ID_WIDTH}, right=(1, 2, 3)):
        click.echo(line)


@click.command()
@click.argument("user")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N sessions (a page).")
@click.option("--cursor", default=None, help="The cursor a previous page printed, for the next page.")
@click.pass_context
def sessions(ctx: click.Context, user: str, limit: int | None, cursor: str | None) -> None:
    """List USER's sessions, most recently active first (times in UTC).

    When more sessions follow the page, the cursor of the next page is printed on stderr.
    """
    memory = settings(ctx).memory(ctx)
    page = memory.list_sessions(user, limit=limit, cursor=cursor)
    if page:
        headers = ("SESSION", "TITLE", "MESSAGES", "TOKENS", "CREATED", "LAST ACTIVE")
        rows = [
            (s.session_id, s.title, s.message_count, s.token_count, minute(s.created_at), minute(s.last_active))
            for s in page
        ]
        for line in format_table(headers, rows, max_widths={0: ID_WIDTH, 1: TITLE_WIDTH}, right=(2, 3)):
            click.echo(line)
    elif cursor is None:
        raise CliError(f"user {user!r} has no sessions under prefix {memory.config.key_prefix!r}")
    if page.next_cursor is not None:
        click.echo(f"more sessions: --cursor {page.next_cursor}", err=True)


def _timed_messages(memory: RedisSessionMemory, user: str, session: str) -> Iterator[tuple[int, BaseMessage]]:
    """(timestamp ms, message) of every message of a session, oldest first, a page at a time."""
    history, after = memory.history(user, session), 0
    while page := history.get_stored(after=after, limit=500):
        for stored in page:
            yield stored.timestamp_ms, stored.message
        after = page[-1].seq


@click.command()
@click.argument("user")
@click.argument("session")
@click.option("--context", is_flag=True, help="Show what the model sees: instructions, summary, recent window.")
@click.option(
    "--max-tokens",
    type=click.IntRange(min=0),
    default=None,
    help="Token budget of the context (with --context).",
)
@click.option("--json", "as_json", is_flag=True, help="One message_to_dict JSON object per line.")
@click.pass_context
def show(ctx: click.Context, user: str, session: str, context: bool, max_tokens: int | None, as_json: bool) -> None:
    """Print the messages of USER's SESSION: time (UTC), role and content, tool calls included."""
    if max_tokens is not None and not context:
        raise click.UsageError("--max-tokens applies to --context; add --context")
    memory = settings(ctx).memory(ctx)
    if memory.get_session(user, session) is None:
        raise CliError(f"user {user!r} has no session {session!r}")
    timed: list[tuple[int | None, BaseMessage]]
    if context:
        timed = [(None, m) for m in memory.history(user, session).get_context(max_tokens)]
    else:
        timed = list(_timed_messages(memory, user, session))
    if as_json:
        for _, message in timed:
            click.echo(json.dumps(message_to_dict(message), ensure_ascii=False))
        return
    for i, (ms, message) in enumerate(timed):
        if i:
            click.echo("")
        for line in render(message, None if ms is None else second(ms)):
            click.echo(line)


def _index_line(stats: ServerStats, index: IndexStats | None) -> str:
    """``<n> docs`` of an index (with the scan's progress while it scans), or why there is none."""
    if not stats.search_available:
        return "n/a (Redis Cluster without a search coordinator)"
    if index is None:
        return "missing"
    if not index.indexing:
        return plural(index.docs, "doc")
    return f"{plural(index.docs, 'doc')} (scanning existing keys: {index.percent_indexed:.0%})"


@click.command()
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Totals over every user, index document counts and the server's memory use."""
    memory = settings(ctx).memory(ctx)
    cfg = memory.config
    n_users = n_sessions = n_messages = n_tokens = 0
    for uid in memory.list_users():
        s, m, t = totals(memory, uid)
        n_users, n_sessions, n_messages, n_tokens = n_users + 1, n_sessions + s, n_messages + m, n_tokens + t
    server = memory.server_stats()
    used = server.used_memory_human
    if server.primaries > 1:
        used += f" over {server.primaries} primaries"
    rows: list[tuple[str, object]] = [
        ("prefix", cfg.key_prefix),
        ("users", n_users),
        ("sessions", n_sessions),
        ("messages", n_messages),
        ("tokens", n_tokens),
        (f"index {cfg.index_name}", _index_line(server, server.index)),
        (f"vector index {cfg.vector_index_name}", _index_line(server, server.vector_index)),
        ("server used_memory", used),
    ]
    for line in format_fields(rows):
        click.echo(line)
