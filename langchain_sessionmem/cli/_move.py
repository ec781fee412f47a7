"""The commands that move data: ``export``, ``import`` and ``reindex``."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any, Literal, TextIO, cast

import click
import redis
from langchain_core.embeddings import Embeddings

from langchain_sessionmem.cli._common import CliError, load_object, settings
from langchain_sessionmem.cli._format import plural
from langchain_sessionmem.errors import MissingVectorsWarning
from langchain_sessionmem.importers import LANGCHAIN_REDIS_KEY_PREFIX, from_langchain_redis, from_redisvl
from langchain_sessionmem.memory import TransferStats
from langchain_sessionmem.progress import ProgressBar

__all__ = ["export", "import_", "reindex"]


def _transfer_line(verb: str, stats: TransferStats) -> str:
    line = (
        f"{verb} {plural(stats.users, 'user')}, {plural(stats.sessions, 'session')}, "
        f"{plural(stats.messages, 'message')}"
    )
    return line if verb == "exported" else line + f", {stats.skipped_sessions} skipped"


@click.command()
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
    memory = settings(ctx).memory(ctx)
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


@click.command("import")
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
    chosen = settings(ctx)
    memory = chosen.memory(ctx)
    memory.setup()
    mode = cast(_IfExists, if_exists)
    bar = ProgressBar("import")
    try:
        if source == "sessionmem":
            assert file is not None
            with click.open_file(file, "r", encoding="utf-8") as fp:
                stats = memory.import_jsonl(cast(TextIO, fp), if_exists=mode, batch_size=batch_size, progress=bar)
        else:
            url = source_url or chosen.url
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


def _load_embeddings(ctx: click.Context, spec: str) -> Embeddings:
    """``MODULE:ATTR`` -> an Embeddings: ATTR is a class, a zero-argument factory, or an instance."""
    target = load_object(ctx, spec, "--embeddings")
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


@click.command()
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
    memory = settings(ctx).memory(ctx, embeddings)
    with warnings.catch_warnings():  # "run reindex()" is what this command does next
        warnings.simplefilter("ignore", MissingVectorsWarning)
        memory.setup()
    bar = ProgressBar("reindex")
    try:
        count = memory.reindex(batch_size=batch_size, progress=bar, verify=verify)
    finally:
        bar.end()
    click.echo(f"embedded {plural(count, 'message')}")
