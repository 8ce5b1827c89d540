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
    """Создать схемы и роли хранилища (без KONTINGENT_DATABASE_URL — во встроенном PostgreSQL)."""
    from pipelines.warehouse import database_url
    from pipelines.warehouse.bootstrap import ensure_warehouse

    ensure_warehouse()
    console.print(f"Хранилище готово: {database_url()}")


@user_errors
def stop() -> None:
    """Остановить Superset и встроенный PostgreSQL, запущенные проектом (данные сохраняются)."""
    from dashboards import superset
    from pipelines.warehouse import embedded

    if superset.stop():
        console.print("Superset остановлен.")
    if embedded.stop():
        console.print("Встроенный PostgreSQL остановлен.")
    else:
        console.print("Встроенный PostgreSQL не запущен.")
