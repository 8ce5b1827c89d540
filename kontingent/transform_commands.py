"""``kontingent build`` and ``kontingent docs``: the dbt project (staging → intermediate → marts → reports)."""

from __future__ import annotations

import time

import typer
from rich.console import Console

from kontingent.errors import UserError, user_errors

console = Console()


def register(app: typer.Typer) -> None:
    app.command("build")(build)
    app.command("docs")(docs)


@user_errors
def build(
    select: str = typer.Option(
        None, "--select", "-s", help="dbt selector, e.g. 'marts' or '+fct_enrolment_snapshot'."
    ),
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="Rebuild incremental facts from scratch."
    ),
) -> None:
    """Собрать хранилище dbt: справочники, модели и их тесты (``dbt build``)."""
    from pipelines.warehouse.bootstrap import ensure_warehouse
    from pipelines.warehouse.dbt_profile import DbtFailed, run_dbt

    ensure_warehouse()
    args = ["build"]
    if select:
        args += ["--select", select]
    if full_refresh:
        args.append("--full-refresh")
    started = time.monotonic()
    try:
        run_dbt(args)
    except DbtFailed as exc:
        raise UserError(str(exc)) from None
    console.print(f"Витрины построены за {time.monotonic() - started:.0f} с.")


@user_errors
def docs() -> None:
    """Собрать сайт документации dbt (``dbt docs generate``) в <state>/dbt_target."""
    from pipelines.settings import state_dir
    from pipelines.warehouse.dbt_profile import DbtFailed, run_dbt

    try:
        run_dbt(["docs", "generate"])
    except DbtFailed as exc:
        raise UserError(str(exc)) from None
    console.print(f"Документация dbt: {state_dir() / 'dbt_target' / 'index.html'}")
