"""What every ``sessionmem`` command shares: the error it reports, the settings the group chose,
and loading an object a user names as ``MODULE:ATTR``."""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from typing import IO, Any, cast

import click
from langchain_core.embeddings import Embeddings

from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption
from langchain_sessionmem.memory import RedisSessionMemory

__all__ = ["CliError", "Settings", "load_object", "settings", "totals"]


class CliError(click.ClickException):
    """An expected failure: shown as ``error: <message>`` on stderr, exit status 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the message the way every ``sessionmem`` error is printed.

        Args:
            file: Where to write; stderr by default.
        """
        click.echo(f"error: {self.format_message()}", file=file, err=file is None)


@dataclass
class Settings:
    """The server, config and encryption the group's options chose, for every command."""

    url: str
    config: SessionMemConfig
    encryption: ContentEncryption | None = None

    def memory(self, ctx: click.Context, embeddings: Embeddings | None = None) -> RedisSessionMemory:
        """A memory on the chosen server and prefix, closed when the command ends."""
        memory = RedisSessionMemory(self.url, config=self.config, embeddings=embeddings, encryption=self.encryption)
        ctx.call_on_close(memory.close)
        return memory


def settings(ctx: click.Context) -> Settings:
    """The group's settings, from a command's context."""
    return cast(Settings, ctx.find_object(Settings))


def totals(memory: RedisSessionMemory, user_id: str) -> tuple[int, int, int]:
    """(sessions, messages, tokens) of a user, from ``list_sessions``."""
    sessions = memory.list_sessions(user_id)
    return len(sessions), sum(s.message_count for s in sessions), sum(s.token_count for s in sessions)


def load_object(ctx: click.Context, spec: str, option: str) -> Any:
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
