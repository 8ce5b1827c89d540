"""``kontingent demo``, ``bench`` and ``clean``: the whole system in one command."""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import subprocess
import sys
import time

import typer
from rich.console import Console
from rich.panel import Panel

from kontingent.errors import UserError, user_errors

console = Console()

DEMO_SEED = 2026


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("bench")(bench)
    app.command("clean")(clean)


@user_errors
def demo(
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="Serve Superset and the Dagster UI afterwards."
    ),
    scale: str = typer.Option("demo", help="Size of the synthetic region: tiny, demo or region."),
    seed: int = typer.Option(DEMO_SEED, help="Seed of the synthetic region."),
    as_of: str = typer.Option(None, "--as-of", help="Date the region is generated up to (default: today)."),
) -> None:
    """Всё подготовить, прогнать конвейер на синтетическом регионе и открыть дашборды (Superset, Dagster)."""
    from pipelines.warehouse import database_url
    from pipelines.warehouse.bootstrap import ensure_warehouse

    as_of_date = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    started = time.monotonic()
    if serve:
        _check_ports_free()
    ensure_warehouse()
    console.print(f"[bold]Хранилище:[/] {database_url()}")

    from orchestration.run import run_pipeline

    if not run_pipeline(scale=scale, seed=seed, as_of=as_of_date):
        raise UserError("Конвейер завершился с ошибкой: подробности выше и в интерфейсе Dagster (make demo).")
    console.print(f"[green]Конвейер выполнен за {time.monotonic() - started:.0f} с.[/]")
    if serve:
        _serve()


DOCS_PORT = 8580
SERVICE_PORTS = ((8088, "Superset"), (3000, "Dagster UI"), (DOCS_PORT, "документации dbt"))


def _check_ports_free() -> None:
    import socket

    for port, what in SERVICE_PORTS:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                raise UserError(
                    f"Порт {port} для {what} уже занят: остановите процесс, который его слушает "
                    f"(`ss -ltnp 'sport = :{port}'`), или запустите `kontingent demo --no-serve`."
                ) from None


def _serve_dbt_docs() -> subprocess.Popen:
    """Generate the dbt documentation site and serve it as static files (it needs no server logic)."""
    from pipelines.settings import state_dir
    from pipelines.warehouse.dbt_profile import run_dbt

    console.print("Собираю документацию dbt…")
    run_dbt(["docs", "generate"], capture=True)
    return subprocess.Popen(
        [sys.executable, "-m", "http.server", str(DOCS_PORT), "--bind", "127.0.0.1",
         "--directory", str(state_dir() / "dbt_target")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _serve() -> None:
    from dashboards import superset
    from orchestration.run import serve_ui

    superset_proc = superset.serve()
    dagster_procs = serve_ui(port=3000)
    docs_proc = _serve_dbt_docs()
    login, password = superset.admin_credentials()
    console.print(
        Panel.fit(
            f"Дашборд «Обзор региона»: {superset.base_url()}/superset/dashboard/region-overview/\n"
            f"  вход в Superset: {login} / {password}\n"
            f"Dagster (конвейер, запуски, проверки): http://127.0.0.1:3000\n"
            f"Документация хранилища (dbt):          http://127.0.0.1:{DOCS_PORT}\n\n"
            "Остановить: Ctrl-C (встроенный PostgreSQL продолжит работу до `make stop`).",
            title="Kontingent Analytics запущен",
        )
    )
    procs = [superset_proc, *dagster_procs, docs_proc]
    # `kill` (SIGTERM) stops the services as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(1)
        raise UserError("Один из сервисов остановился сам: смотрите его журнал выше.")
    except KeyboardInterrupt:
        console.print("Останавливаю сервисы…")
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except Exception:
                p.kill()
        superset.stop()


@user_errors
def bench(
    scales: str = typer.Option(
        "tiny,demo,region",
        help="Generator scales to measure, comma-separated (region takes about 6 minutes and 3 GB).",
    ),
    gigabyte: bool = typer.Option(
        True,
        "--gigabyte/--no-gigabyte",
        help="Also ingest a roster of about 1 GB to measure peak memory (about 10 minutes and some 5 GB of disk).",
    ),
) -> None:
    """Замеры скорости и памяти: генерация по масштабам, приём файлов против COPY и pandas."""
    from pipelines.ingest import bench as ingest_bench
    from pipelines.synth import bench as synth_bench

    synth_bench.run([s.strip() for s in scales.split(",") if s.strip()])
    ingest_bench.run(gigabyte=gigabyte)


@user_errors
def clean() -> None:
    """Остановить встроенный PostgreSQL и удалить сгенерированные данные и локальное состояние (не исходники)."""
    from pipelines import settings
    from pipelines.warehouse import embedded

    embedded.stop()
    shutil.rmtree(settings.state_dir(), ignore_errors=True)
    console.print(f"Удалено: {settings.state_dir()}")
