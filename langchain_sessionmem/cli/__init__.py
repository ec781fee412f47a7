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

This module holds the group, its global options and ``main``; the commands live by what they do,
in ``_read`` (users, sessions, show, stats), ``_move`` (export, import, reindex) and ``_erase``
(delete-user), and render through ``_format``; ``_common`` holds what they all share.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click

from langchain_sessionmem.cli._common import CliError, Settings, load_object
from langchain_sessionmem.cli._erase import delete_user
from langchain_sessionmem.cli._format import format_table
from langchain_sessionmem.cli._move import export, import_, reindex
from langchain_sessionmem.cli._read import sessions, show, stats, users
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption, KeyProvider
from langchain_sessionmem.errors import SessionMemError, check_url

__all__ = ["CliError", "cli", "format_table", "main"]

DEFAULT_URL = "redis://localhost:6379/0"
_DEFAULTS = SessionMemConfig()
_F = TypeVar("_F", bound=Callable[..., Any])


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


def _check_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return check_url(value)  # what RedisSessionMemory accepts, checked before any command runs
    except SessionMemError as exc:
        raise click.BadParameter(str(exc), ctx, param) from exc


def _setting(name: str, envvar: str, help: str, **kwargs: Any) -> Callable[[_F], _F]:
    """A global option that the environment variable ``envvar`` can also set; --help shows both."""
    kwargs.setdefault("show_default", True)
    return click.option(name, envvar=envvar, show_envvar=True, help=help, **kwargs)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@_setting(
    "--url",
    "REDIS_URL",
    "Redis server (redis://, rediss://, unix://; a Redis Cluster: redis+cluster://HOST:PORT, any node) "
    "with RedisJSON and RediSearch.",
    default=DEFAULT_URL,
    callback=_check_url,
)
@_setting(
    "--prefix",
    "SESSIONMEM_PREFIX",
    "Key prefix of the memory (SessionMemConfig.key_prefix).",
    default=_DEFAULTS.key_prefix,
)
@_setting(
    "--index",
    "SESSIONMEM_INDEX",
    "RediSearch index name (SessionMemConfig.index_name); the vector index is NAME:vec.",
    default="",
    show_default="PREFIX + 'idx'",
)
@_setting(
    "--tokenizer",
    "SESSIONMEM_TOKENIZER",
    "tiktoken encoding or model name token counts of imported messages use.",
    default=_DEFAULTS.tokenizer,
)
@_setting(
    "--key-provider",
    "SESSIONMEM_KEY_PROVIDER",
    "Key provider of encrypted data: a function user_id -> KeyRing (see langchain_sessionmem.encryption).",
    default=None,
    show_default=False,
    metavar="MODULE:FUNCTION",
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
        provider = load_object(ctx, key_provider, "--key-provider")
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
    ctx.obj = Settings(url, config, encryption)


for _command in (users, sessions, show, export, import_, delete_user, stats, reindex):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the ``sessionmem`` console script: runs the group, then exits."""
    cli.main(prog_name="sessionmem")
