"""``kontingent generate``: write a synthetic region (landing files and ground truth)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console

from kontingent.errors import UserError, user_errors

console = Console()


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)


@user_errors
def generate(
    scale: str = typer.Option(
        "demo", "--scale", help="tiny (≈2 000 учеников), demo (≈15 000) или region (≈146 000)"
    ),
    seed: int = typer.Option(1, "--seed", help="Зерно генератора: одинаковое зерно — одинаковые байты"),
    as_of: str = typer.Option(
        None,
        "--as-of",
        help="Дата, по которую генерируется текущий учебный год (ГГГГ-ММ-ДД); по умолчанию сегодня",
    ),
    out: Path = typer.Option(
        None, "--out", help="Папка результата (landing/ и ground_truth/); по умолчанию .state/region"
    ),
    no_faults: bool = typer.Option(False, "--no-faults", help="Без внесённых ошибок (чистые источники)"),
    workers: int = typer.Option(
        None, "--workers", min=1, help="Процессов записи файлов (по умолчанию 2); на байты не влияет"
    ),
) -> None:
    """Сгенерировать синтетическую Республику Бурятия: файлы источников и эталон (ground truth)."""
    from pipelines.settings import data_dir
    from pipelines.synth import GenerateError
    from pipelines.synth import generate as run

    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        raise UserError(
            f"Параметр --as-of: «{as_of}» не является датой ГГГГ-ММ-ДД; укажите, например, 2026-11-28."
        ) from None
    target = out or data_dir()
    try:
        manifest = run(scale, seed, day, target, faults=not no_faults, progress=True, workers=workers)
    except GenerateError as exc:
        raise UserError(str(exc)) from None
    rows = f"{sum(manifest['counts']['rows'].values()):,}".replace(",", " ")
    console.print(
        f"Готово: {target} — {manifest['counts']['files']} файлов, {rows} строк, "
        f"{manifest['counts']['schools']} школ, учебные годы {manifest['school_years'][0]}–{manifest['school_years'][-1]}."
    )
