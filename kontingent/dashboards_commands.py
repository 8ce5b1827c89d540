"""``kontingent dashboards …``: Superset and its dashboards (provision, serve, stop)."""

from __future__ import annotations

import functools
import time

import typer
from rich.console import Console

from kontingent.errors import UserError, user_errors

console = Console()
dashboards_app = typer.Typer(help="Superset и дашборды: подготовка, запуск, остановка.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(dashboards_app, name="dashboards")


def _superset_errors(func):
    """Turn Superset's own errors into the CLI's one-sentence errors."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from dashboards.superset import SupersetError

        try:
            return func(*args, **kwargs)
        except SupersetError as exc:
            raise UserError(str(exc)) from None

    return wrapper


@dashboards_app.command("provision")
@user_errors
@_superset_errors
def provision() -> None:
    """Create the read-only warehouse login and import the dashboards bundle (safe to run any number of times)."""
    from dashboards.provision import provision as run_provision

    result = run_provision()
    what = ", ".join(f"{k}: {v}" for k, v in result.counts.items())
    state = "обновлены" if result.changed else "без изменений"
    console.print(
        f"Дашборды {state} ({what}); пользователь хранилища {result.warehouse_user}; {result.seconds:.0f} с."
    )


@dashboards_app.command("serve")
@user_errors
@_superset_errors
def serve(
    foreground: bool = typer.Option(False, "--foreground", help="Stay in the foreground until Ctrl-C."),
) -> None:
    """Start Superset on 127.0.0.1 (port from SUPERSET_PORT, default 8088) and print the URL and login."""
    from dashboards import superset

    started = time.monotonic()
    process = superset.serve()
    login, password = superset.admin_credentials()
    console.print(
        f"Superset запущен за {time.monotonic() - started:.0f} с: {superset.base_url()}/superset/dashboard/region-overview/ "
        f"— вход: {login} / {password}"
    )
    if foreground:
        try:
            while process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            console.print("Останавливаю Superset…")
            superset.stop()
    else:
        console.print("Остановить: kontingent dashboards stop")


@dashboards_app.command("export")
@user_errors
@_superset_errors
def export(
    dashboard: str = typer.Argument(
        "region-overview", help="Slug or id of the dashboard in the running Superset."
    ),
) -> None:
    """Write a dashboard edited in Superset back into dashboards/bundle/ (UUIDs kept, no URI or password)."""
    from dashboards.export import export_bundle

    written = export_bundle(dashboard)
    console.print(
        f"Записано файлов: {len(written)} в dashboards/bundle/; проверьте изменения: git diff dashboards/bundle"
    )


@dashboards_app.command("stop")
@user_errors
@_superset_errors
def stop() -> None:
    """Stop the Superset started by this project."""
    from dashboards import superset

    console.print("Superset остановлен." if superset.stop() else "Superset не запущен.")
