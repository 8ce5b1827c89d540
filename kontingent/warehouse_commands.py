"""``kontingent setup`` and ``kontingent stop``: the warehouse itself."""

from __future__ import annotations

import typer
from rich.console import Console

from kontingent.errors import user_errors

console = Console()


def register(app: typer.Typer) -> None:
    app.command("setup")(setup)
    app.command("stop")(stop)


@user_errors
def setup() -> None:
    """Create the warehouse schemas and roles (starting the embedded PostgreSQL if no URL is set)."""
    from pipelines.warehouse import database_url
    from pipelines.warehouse.bootstrap import ensure_warehouse

    ensure_warehouse()
    console.print(f"Хранилище готово: {database_url()}")


@user_errors
def stop() -> None:
    """Stop the embedded PostgreSQL (and the demo services) started by this project."""
    from pipelines.warehouse import embedded

    if embedded.stop():
        console.print("Встроенный PostgreSQL остановлен.")
    else:
        console.print("Встроенный PostgreSQL не запущен.")
