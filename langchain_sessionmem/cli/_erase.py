"""The command that erases data: ``delete-user``."""

from __future__ import annotations

import click

from langchain_sessionmem.cli._common import CliError, settings, totals
from langchain_sessionmem.cli._format import plural

__all__ = ["delete_user"]


@click.command("delete-user")
@click.argument("user")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def delete_user(ctx: click.Context, user: str, yes: bool) -> None:
    """Erase every session, message and setting of USER (and nothing of anyone else)."""
    memory = settings(ctx).memory(ctx)
    if not yes:
        n_sessions, n_messages, _ = totals(memory, user)
        question = (
            f"Delete user {user!r} ({plural(n_sessions, 'session')}, {plural(n_messages, 'message')}) "
            f"under prefix {memory.config.key_prefix!r}?"
        )
        if not click.confirm(question, default=False, err=True):
            raise CliError("not confirmed; nothing was deleted")
    deleted = memory.delete_user(user)
    click.echo(f"deleted {plural(deleted, 'message')} of user {user!r}")
