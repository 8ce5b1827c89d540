"""Turn the rooms' user-facing errors into one clear sentence and a non-zero exit, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console

from pipelines.errors import KontingentError

F = TypeVar("F", bound=Callable)
err_console = Console(stderr=True)


class UserError(KontingentError):
    """Raised by the CLI layer itself for a problem the user can fix."""


def user_errors(func: F) -> F:
    """Print known errors as one red sentence and exit 1; unknown ones still show their traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except KontingentError as exc:
            err_console.print(f"[bold red]Ошибка:[/] {exc}")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
