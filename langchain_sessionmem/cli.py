"""The ``sessionmem`` command-line tool: look at, export, import and administer stored memory.

::

    sessionmem [--url URL] [--prefix P] [--index NAME] [--tokenizer T] COMMAND ...

    users                       one row per user: sessions, messages, tokens
    sessions USER               the user's sessions, newest first (paged with --limit/--cursor)
    show USER SESSION           a session's messages, or with --context what the model sees
    export                      JSONL export (every user, one user or one session)
    import FILE|-               JSONL import, or from langchain-redis / redisvl data
    delete-user USER            erase a user (asks first unless --yes)
    stats                       totals, index document counts, server memory
    reindex --embeddings M:A    embed every message lacking a vector from that model

Every command talks to the server through ``RedisSessionMemory``'s public API. Expected failures
(server unreachable, bad ids, malformed files, an existing session) print ``error: <message>`` on
stderr and exit with status 1; usage mistakes are click's (status 2).
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import sys
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import IO, Any, Literal, TextIO, cast

import click
import redis
from langchain_core.embeddings import Embeddings
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    ToolMessage,
    message_to_dict,
)
from redis.connection import parse_url

from langchain_sessionmem._cluster import is_cluster_url, node_url, search_plan
from langchain_sessionmem._codec import content_text
from langchain_sessionmem._ops.history import INSTRUCTIONS_ID, SUMMARY_ID
from langchain_sessionmem._ops.steps import Command, OnNode, Primaries, call
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption, KeyProvider
from langchain_sessionmem.errors import (
    IndexMissingError,
    MissingVectorsWarning,
    SearchUnavailableError,
    SessionMemError,
)
from langchain_sessionmem.importers import LANGCHAIN_REDIS_KEY_PREFIX, from_langchain_redis, from_redisvl
from langchain_sessionmem.memory import RedisSessionMemory, TransferStats
from langchain_sessionmem.progress import ProgressBar

__all__ = ["cli", "format_table", "main"]

DEFAULT_URL = "redis://localhost:6379/0"
_DEFAULTS = SessionMemConfig()
_ID_WIDTH = 64  # ids longer than this are shortened in tables (use `show`/`export` for the full id)
_TITLE_WIDTH = 40
_CONTEXT_HEADS = {INSTRUCTIONS_ID: "instructions", SUMMARY_ID: "summary"}  # system messages get_context adds


# --- errors -----------------------------------------------------------------------------------


class CliError(click.ClickException):
    """An expected failure: shown as ``error: <message>`` on stderr, exit status 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the message the way every ``sessionmem`` error is printed.

        Args:
            file: Where to write; stderr by default.
        """
        click.echo(f"error: {self.format_message()}", file=file, err=file is None)


class _Group(click.Group):
    """A group whose subcommands' expected errors become ``CliError`` instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand, translating expected errors.

        Args:
            ctx: The group's context.

        Returns:
            Whatever the subcommand returns.

        Raises:
            CliError: For a ``SessionMemError``, an OS error (other than a closed pipe, which
                click handles) or text that is not UTF-8.
        """
        try:
            return super().invoke(ctx)
        except SessionMemError as exc:
            raise CliError(str(exc)) from exc
        except UnicodeError as exc:
            raise CliError(f"the input is not UTF-8 text ({exc})") from exc
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            raise CliError(str(exc)) from exc


# --- formatting -------------------------------------------------------------------------------


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


def _minute(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def _second(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plural(n: int, word: str) -> str:
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


def _render(message: BaseMessage, when: str | None) -> list[str]:
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


# --- shared state -------------------------------------------------------------------------------


@dataclass
class _Settings:
    url: str
    config: SessionMemConfig
    encryption: ContentEncryption | None = None

    def memory(self, ctx: click.Context, embeddings: Embeddings | None = None) -> RedisSessionMemory:
        """A memory on the chosen server and prefix, closed when the command ends."""
        memory = RedisSessionMemory(self.url, config=self.config, embeddings=embeddings, encryption=self.encryption)
        ctx.call_on_close(memory.close)
        return memory


def _settings(ctx: click.Context) -> _Settings:
    return cast(_Settings, ctx.find_object(_Settings))


def _check_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        parse_url(node_url(value) if is_cluster_url(value) else value)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from exc
    return value


def _totals(memory: RedisSessionMemory, user_id: str) -> tuple[int, int, int]:
    """(sessions, messages, tokens) of a user, from ``list_sessions``."""
    sessions = memory.list_sessions(user_id)
    return len(sessions), sum(s.message_count for s in sessions), sum(s.token_count for s in sessions)


# --- the group ----------------------------------------------------------------------------------


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--url",
    envvar="REDIS_URL",
    default=DEFAULT_URL,
    show_default=True,
    show_envvar=True,
    callback=_check_url,
    help="Redis server (redis://, rediss://, unix://; a Redis Cluster: redis+cluster://HOST:PORT, any node) "
    "with RedisJSON and RediSearch.",
)
@click.option(
    "--prefix",
    envvar="SESSIONMEM_PREFIX",
    default=_DEFAULTS.key_prefix,
    show_default=True,
    show_envvar=True,
    help="Key prefix of the memory (SessionMemConfig.key_prefix).",
)
@click.option(
    "--index",
    envvar="SESSIONMEM_INDEX",
    default="",
    show_default="PREFIX + 'idx'",
    show_envvar=True,
    help="RediSearch index name (SessionMemConfig.index_name); the vector index is NAME:vec.",
)
@click.option(
    "--tokenizer",
    envvar="SESSIONMEM_TOKENIZER",
    default=_DEFAULTS.tokenizer,
    show_default=True,
    show_envvar=True,
    help="tiktoken encoding or model name token counts of imported messages use.",
)
@click.option(
    "--key-provider",
    envvar="SESSIONMEM_KEY_PROVIDER",
    default=None,
    show_envvar=True,
    metavar="MODULE:FUNCTION",
    help="Key provider of encrypted data: a function user_id -> KeyRing (see langchain_sessionmem.encryption).",
)
@click.version_option(package_name="langchain-sessionmem", prog_name="sessionmem")
@click.pass_context
def cli(ctx: click.Context, url: str, prefix: str, index: str, tokenizer: str, key_provider: str | None) -> None:
    """Inspect and administer langchain-sessionmem chat memory stored in Redis."""
    try:
        config = SessionMemConfig(key_prefix=prefix, index_name=index, tokenizer=tokenizer)
    except SessionMemError as exc:
        raise CliError(str(exc)) from exc
    encryption = None
    if key_provider is not None:
        provider = _load_object(ctx, key_provider, "--key-provider")
        if not callable(provider):
            raise click.BadParameter(
                f"{key_provider} is a {type(provider).__name__}, not a function user_id -> KeyRing",
                ctx,
                param_hint="--key-provider",
            )
        try:
            encryption = ContentEncryption(cast(KeyProvider, provider))
        except SessionMemError as exc:
            raise CliError(str(exc)) from exc
    ctx.obj = _Settings(url, config, encryption)


# --- users / sessions / show --------------------------------------------------------------------


@cli.command()
@click.pass_context
def users(ctx: click.Context) -> None:
    """List every user with sessions, messages and tokens, sorted by user id."""
    memory = _settings(ctx).memory(ctx)
    rows = [(uid, *_totals(memory, uid)) for uid in memory.list_users()]
    if not rows:
        click.echo(f"no users under prefix {memory.config.key_prefix!r}", err=True)
        return
    headers = ("USER", "SESSIONS", "MESSAGES", "TOKENS")
    for line in format_table(headers, rows, max_widths={0: _ID_WIDTH}, right=(1, 2, 3)):
        click.echo(line)


@cli.command()
@click.argument("user")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N sessions (a page).")
@click.option("--cursor", default=None, help="The cursor a previous page printed, for the next page.")
@click.pass_context
def sessions(ctx: click.Context, user: str, limit: int | None, cursor: str | None) -> None:
    """List USER's sessions, most recently active first (times in UTC).

    When more sessions follow the page, the cursor of the next page is printed on stderr.
    """
    memory = _settings(ctx).memory(ctx)
    page = memory.list_sessions(user, limit=limit, cursor=cursor)
    if page:
        headers = ("SESSION", "TITLE", "MESSAGES", "TOKENS", "CREATED", "LAST ACTIVE")
        rows = [
            (s.session_id, s.title, s.message_count, s.token_count, _minute(s.created_at), _minute(s.last_active))
            for s in page
        ]
        for line in format_table(headers, rows, max_widths={0: _ID_WIDTH, 1: _TITLE_WIDTH}, right=(2, 3)):
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


@cli.command()
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
    memory = _settings(ctx).memory(ctx)
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
        for line in _render(message, None if ms is None else _second(ms)):
            click.echo(line)


# --- export / import ----------------------------------------------------------------------------


def _transfer_line(verb: str, stats: TransferStats) -> str:
    line = (
        f"{verb} {_plural(stats.users, 'user')}, {_plural(stats.sessions, 'session')}, "
        f"{_plural(stats.messages, 'message')}"
    )
    return line if verb == "exported" else line + f", {stats.skipped_sessions} skipped"


@cli.command()
@click.option("--user", default=None, help="Only this user (default: every user under the prefix).")
@click.option("--session", default=None, help="Only this session of --user.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    default="-",
    show_default=True,
    help="File to write, or - for stdout.",
)
@click.pass_context
def export(ctx: click.Context, user: str | None, session: str | None, output: str) -> None:
    """Export users, sessions and messages as JSON lines (lossless; read back by `import`)."""
    if session is not None and user is None:
        raise click.UsageError("--session needs --user")
    memory = _settings(ctx).memory(ctx)
    if session is not None and memory.get_session(cast(str, user), session) is None:
        raise CliError(f"user {user!r} has no session {session!r} under prefix {memory.config.key_prefix!r}")
    if user is not None and session is None and not memory.list_sessions(user, limit=1):
        raise CliError(f"user {user!r} has no sessions under prefix {memory.config.key_prefix!r}")
    to_file = output != "-"
    bar = ProgressBar("export")
    try:
        # A file is written to a temporary name and renamed when complete: a failed export
        # leaves no partial file behind.
        with click.open_file(output, "w", encoding="utf-8", atomic=to_file) as fp:
            stats = memory.export_jsonl(
                cast(TextIO, fp), user_id=user, session_id=session, progress=bar if to_file else None
            )
    finally:
        bar.end()
    click.echo(_transfer_line("exported", stats), err=True)


_IfExists = Literal["error", "skip", "replace", "append"]
_IF_EXISTS = click.Choice(["error", "skip", "replace", "append"])
_SOURCES = click.Choice(["sessionmem", "langchain-redis", "redisvl"])


@cli.command("import")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--if-exists",
    type=_IF_EXISTS,
    default="error",
    show_default=True,
    help="A session that already exists: fail before touching it, skip it, replace it, or append to it.",
)
@click.option(
    "--from",
    "source",
    type=_SOURCES,
    default="sessionmem",
    show_default=True,
    help="sessionmem: a JSONL file from `export`; langchain-redis / redisvl: read that library's data from Redis.",
)
@click.option("--source-url", default=None, help="Server holding the source data (default: --url).")
@click.option("--user-id", default=None, help="User every imported session goes to (--from langchain-redis/redisvl).")
@click.option(
    "--source-prefix",
    default=None,
    help=f"Key prefix of the source (langchain-redis default {LANGCHAIN_REDIS_KEY_PREFIX!r}; redisvl default --name).",
)
@click.option("--name", default=None, help="The redisvl MessageHistory name (--from redisvl).")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True, help="Messages per write.")
@click.pass_context
def import_(
    ctx: click.Context,
    file: str | None,
    if_exists: str,
    source: str,
    source_url: str | None,
    user_id: str | None,
    source_prefix: str | None,
    name: str | None,
    batch_size: int,
) -> None:
    """Import FILE (or - for stdin) written by `export`, or another library's data with --from.

    A file is checked whole before anything is written, so a malformed file imports nothing;
    stdin is imported as it streams. The index is created first if it does not exist.
    """
    if source == "sessionmem":
        if file is None:
            raise click.UsageError("give the FILE to import (or - for stdin)")
        for flag, value in (("--source-url", source_url), ("--user-id", user_id), ("--source-prefix", source_prefix)):
            if value is not None:
                raise click.UsageError(f"{flag} applies to --from langchain-redis/redisvl only")
        if name is not None:
            raise click.UsageError("--name applies to --from redisvl only")
    else:
        if file is not None:
            raise click.UsageError(f"--from {source} reads from Redis (--source-url), not from FILE")
        if user_id is None:
            raise click.UsageError(f"--from {source} needs --user-id: the user every imported session goes to")
        if source == "redisvl" and name is None:
            raise click.UsageError("--from redisvl needs --name: the name the MessageHistory was created with")
        if source == "langchain-redis" and name is not None:
            raise click.UsageError("--name applies to --from redisvl only")
    settings = _settings(ctx)
    memory = settings.memory(ctx)
    memory.setup()
    mode = cast(_IfExists, if_exists)
    bar = ProgressBar("import")
    try:
        if source == "sessionmem":
            assert file is not None
            with click.open_file(file, "r", encoding="utf-8") as fp:
                stats = memory.import_jsonl(cast(TextIO, fp), if_exists=mode, batch_size=batch_size, progress=bar)
        else:
            url = source_url or settings.url
            records = _source_records(ctx, source, url, user_id, source_prefix, name)
            try:
                stats = memory.import_records(records, if_exists=mode, batch_size=batch_size, progress=bar)
            finally:
                records.close()
    finally:
        bar.end()
    click.echo(_transfer_line("imported", stats))


class _SourceRecords(Iterator[dict[str, Any]]):
    """The records of an importer, owning the source client (``close()`` releases it)."""

    def __init__(self, client: redis.Redis, records: Iterator[dict[str, Any]]) -> None:
        self.client = client
        self.records = records

    def __next__(self) -> dict[str, Any]:
        return next(self.records)

    def close(self) -> None:
        self.client.close()


def _source_records(
    ctx: click.Context, source: str, url: str, user_id: str | None, source_prefix: str | None, name: str | None
) -> _SourceRecords:
    """The records of the langchain-redis or redisvl data at ``url``."""
    assert user_id is not None
    try:
        client = redis.Redis.from_url(url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param_hint="--source-url") from exc
    try:
        if source == "langchain-redis":
            prefix = source_prefix or LANGCHAIN_REDIS_KEY_PREFIX
            return _SourceRecords(client, from_langchain_redis(client, user_id=user_id, key_prefix=prefix))
        assert name is not None
        return _SourceRecords(client, from_redisvl(client, user_id=user_id, name=name, prefix=source_prefix))
    except BaseException:
        client.close()
        raise


# --- delete-user / stats / reindex --------------------------------------------------------------


@cli.command("delete-user")
@click.argument("user")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def delete_user(ctx: click.Context, user: str, yes: bool) -> None:
    """Erase every session, message and setting of USER (and nothing of anyone else)."""
    memory = _settings(ctx).memory(ctx)
    if not yes:
        n_sessions, n_messages, _ = _totals(memory, user)
        question = (
            f"Delete user {user!r} ({_plural(n_sessions, 'session')}, {_plural(n_messages, 'message')}) "
            f"under prefix {memory.config.key_prefix!r}?"
        )
        if not click.confirm(question, default=False, err=True):
            raise CliError("not confirmed; nothing was deleted")
    deleted = memory.delete_user(user)
    click.echo(f"deleted {_plural(deleted, 'message')} of user {user!r}")


def _decoded(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    if isinstance(value, dict):
        return {_decoded(k): _decoded(v) for k, v in value.items()}
    return value


def _index_docs(memory: RedisSessionMemory, index: str) -> str:
    """``<n> docs`` of an index from FT.INFO (RESP2 or RESP3), or ``missing``."""
    try:
        memory._backend.run(search_plan(memory._backend.store.facts))
    except SearchUnavailableError:
        return "n/a (Redis Cluster without a search coordinator)"
    try:
        reply = _decoded(memory._backend.run(call(Command("FT.INFO", index))))
    except IndexMissingError:
        return "missing"
    info = reply if isinstance(reply, dict) else {str(reply[i]): reply[i + 1] for i in range(0, len(reply) - 1, 2)}
    docs = int(float(info.get("num_docs", 0)))
    if int(float(info.get("indexing", 0) or 0)) == 0:
        return _plural(docs, "doc")
    return f"{_plural(docs, 'doc')} (scanning existing keys: {float(info.get('percent_indexed', 0) or 0):.0%})"


def _used_memory(memory: RedisSessionMemory) -> str:
    """The server's ``used_memory_human``; on a Redis Cluster the sum over every primary."""
    backend = memory._backend
    nodes = backend.run(call(Primaries()))
    infos = [_decoded(backend.run(call(OnNode(node, Command("INFO", "memory"))))) for node in nodes]
    if len(infos) == 1:
        return str(infos[0].get("used_memory_human", "?")) if isinstance(infos[0], dict) else "?"
    total = sum(int(info.get("used_memory", 0)) for info in infos)
    return f"{total / 2**20:.2f}M over {len(infos)} primaries"


@cli.command()
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Totals over every user, index document counts and the server's memory use."""
    memory = _settings(ctx).memory(ctx)
    cfg = memory.config
    n_users = n_sessions = n_messages = n_tokens = 0
    for uid in memory.list_users():
        s, m, t = _totals(memory, uid)
        n_users, n_sessions, n_messages, n_tokens = n_users + 1, n_sessions + s, n_messages + m, n_tokens + t
    used = _used_memory(memory)
    rows = [
        ("prefix", cfg.key_prefix),
        ("users", n_users),
        ("sessions", n_sessions),
        ("messages", n_messages),
        ("tokens", n_tokens),
        (f"index {cfg.index_name}", _index_docs(memory, cfg.index_name)),
        (f"vector index {cfg.vector_index_name}", _index_docs(memory, cfg.vector_index_name)),
        ("server used_memory", used),
    ]
    width = max(_width(_cell_text(k)) for k, _ in rows) + 1
    for key, value in rows:
        label = _cell_text(key) + ":"
        click.echo(f"{label}{' ' * (width - _width(label) + 1)}{_cell_text(value)}")


def _load_object(ctx: click.Context, spec: str, option: str) -> Any:
    """The object ``MODULE:ATTR`` names (ATTR may be dotted); a usage error if there is none."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise click.BadParameter(f"expected MODULE:ATTR, got {spec!r}", ctx, param_hint=option)
    if os.getcwd() not in sys.path:  # like `python -m`: a module of the current folder can be named
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise click.BadParameter(f"cannot import {module_name!r}: {exc}", ctx, param_hint=option) from exc
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise click.BadParameter(f"{module_name!r} has no attribute {attr!r}", ctx, param_hint=option) from None
    return target


def _load_embeddings(ctx: click.Context, spec: str) -> Embeddings:
    """``MODULE:ATTR`` -> an Embeddings: ATTR is a class, a zero-argument factory, or an instance."""
    target = _load_object(ctx, spec, "--embeddings")
    if isinstance(target, Embeddings):
        return target
    if not callable(target):
        raise click.BadParameter(
            f"{spec} is a {type(target).__name__}, not an Embeddings class or factory", ctx, param_hint="--embeddings"
        )
    try:
        made = target()
    except Exception as exc:  # a provider's constructor: missing API key, bad settings...
        raise CliError(f"{spec}() failed: {exc!r:.500}") from exc
    if not isinstance(made, Embeddings):
        raise click.BadParameter(
            f"{spec}() returned a {type(made).__name__}, not a langchain_core Embeddings",
            ctx,
            param_hint="--embeddings",
        )
    return made


@cli.command()
@click.option(
    "--embeddings",
    "spec",
    required=True,
    metavar="MODULE:ATTR",
    help="Embeddings class or zero-argument factory, e.g. langchain_openai:OpenAIEmbeddings.",
)
@click.option(
    "--batch-size", type=click.IntRange(min=1), default=256, show_default=True, help="Texts per embedding call."
)
@click.option(
    "--verify",
    is_flag=True,
    help="Also re-embed messages whose vector was not made from their own text (repairs vectors that "
    "reindex of version 0.1.0 gave to the wrong messages; reads every message).",
)
@click.pass_context
def reindex(ctx: click.Context, spec: str, batch_size: int, verify: bool) -> None:
    """Embed every message that has no vector from this embedding model (creating the vector index)."""
    embeddings = _load_embeddings(ctx, spec)
    memory = _settings(ctx).memory(ctx, embeddings)
    with warnings.catch_warnings():  # "run reindex()" is what this command does next
        warnings.simplefilter("ignore", MissingVectorsWarning)
        memory.setup()
    bar = ProgressBar("reindex")
    try:
        count = memory.reindex(batch_size=batch_size, progress=bar, verify=verify)
    finally:
        bar.end()
    click.echo(f"embedded {_plural(count, 'message')}")


def main() -> None:
    """Entry point of the ``sessionmem`` console script: runs the group, then exits."""
    cli.main(prog_name="sessionmem")


if __name__ == "__main__":
    main()
