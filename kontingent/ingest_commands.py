"""``kontingent validate``, ``kontingent ingest`` and ``kontingent contract docs``: taking in senders' files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from kontingent.errors import UserError, user_errors

console = Console()
contract_app = typer.Typer(help="Формат обмена данными (контракт источников).", no_args_is_help=True)

STATUS_RU = {
    "loaded": "загружен",
    "rejected": "отклонён",
    "duplicate": "повтор",
    "superseded": "заменён",
}


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("ingest")(ingest)
    app.add_typer(contract_app, name="contract")
    contract_app.command("docs")(contract_docs)


@user_errors
def validate(
    file: Path = typer.Argument(..., help="Файл выгрузки, который нужно проверить перед отправкой."),
    show: int = typer.Option(50, help="Сколько замечаний показать."),
) -> None:
    """Проверить файл по формату обмена (ничего не записывает в хранилище); код выхода 1 при ошибках."""
    from pipelines.contract import ContractError
    from pipelines.ingest import validate_file

    try:
        report = validate_file(file)
    except ContractError as exc:
        raise UserError(f"описание формата обмена содержит ошибку: {exc}") from None
    console.print(f"[bold]Файл[/]: {file}")
    if report.source:
        console.print(
            f"Источник: {report.source}, таблица: {report.entity}, кодировка: {report.encoding or '—'}, "
            f"разделитель: {report.delimiter!r}"
            if report.delimiter
            else f"Источник: {report.source}, таблица: {report.entity}"
        )
    if report.file_error:
        console.print(
            f"[bold red]Файл не будет принят[/] (правило {report.file_error.rule}): {report.file_error.message}"
        )
        raise typer.Exit(1)
    for n in report.notices:
        console.print(f"[yellow]Замечание[/] ({n.rule}): {n.message}")
    if report.issues:
        table = Table("Строка", "Поле", "Значение", "Правило", "Что исправить", show_lines=False)
        for i in report.issues[:show]:
            style = "yellow" if i.action == "warn" else "red"
            table.add_row(str(i.row or ""), i.header or "", i.value, f"[{style}]{i.rule}[/]", i.message)
        console.print(table)
        if len(report.issues) > show:
            console.print(f"… и ещё {len(report.issues) - show} замечаний (--show N, чтобы увидеть больше).")
    console.print(
        f"Строк: {report.rows_total}; будут загружены: {report.rows_ok}; отклонены: {report.rows_rejected}; "
        f"с предупреждениями: {report.rows_warned}; без согласия (только в обезличенный подсчёт): {report.rows_anonymous}."
    )
    if not report.ok:
        raise typer.Exit(1)
    console.print("[green]Файл соответствует формату.[/]")


@user_errors
def ingest(
    landing: Path = typer.Argument(
        None, help="Папка приёма (по умолчанию — из настроек: KONTINGENT_LANDING_DIR)."
    ),
    source: list[str] = typer.Option(None, "--source", help="Только эти источники (можно несколько)."),
) -> None:
    """Загрузить все новые файлы из папки приёма: каждый файл целиком или никак."""
    from pipelines.contract import ContractError
    from pipelines.ingest import ingest_landing

    try:
        summary = ingest_landing(landing, sources=source or None, progress=True)
    except (ContractError, FileNotFoundError) as exc:
        raise UserError(str(exc)) from None
    if not summary.files and not summary.failures:
        console.print(f"Новых файлов в {summary.landing_dir} нет.")
        return
    table = Table(title=f"Приём из {summary.landing_dir}", show_lines=False)
    for col in (
        "Источник",
        "Файлов",
        "Загружено",
        "Отклонено",
        "Повторов",
        "Заменено",
        "Строк",
        "Принято",
        "Отклонено строк",
    ):
        table.add_column(col, justify="right" if col not in ("Источник",) else "left")
    by_source: dict[str, list] = {}
    for f in summary.files:
        by_source.setdefault(f.source or "?", []).append(f)
    for src, files in sorted(by_source.items()):
        table.add_row(
            src,
            str(len(files)),
            *(
                str(sum(1 for f in files if f.status == s))
                for s in ("loaded", "rejected", "duplicate", "superseded")
            ),
            f"{sum(f.rows_total for f in files):,}".replace(",", " "),
            f"{sum(f.rows_accepted for f in files):,}".replace(",", " "),
            f"{sum(f.rows_rejected for f in files):,}".replace(",", " "),
        )
    console.print(table)
    rejected = [f for f in summary.files if f.status == "rejected"]
    for f in rejected[:10]:
        console.print(f"[red]Отклонён[/] {f.file}: {f.reason}")
    if len(rejected) > 10:
        console.print(f"… и ещё {len(rejected) - 10} отклонённых файлов (см. ops.submissions).")
    reports = sum(1 for f in summary.files if f.report)
    rate = summary.rows_total / summary.seconds if summary.seconds else 0
    console.print(
        f"Файлов: {len(summary.files)}, строк: {summary.rows_total:,}, за {summary.seconds:.1f} с "
        f"({rate:,.0f} строк/с). Отчётов отправителям: {reports}.".replace(",", " ")
    )
    for rel, err in summary.failures:
        console.print(f"[bold red]Сбой[/] при приёме {rel}: {err}. Файл не загружен, остальные не затронуты.")
    if summary.failures:
        raise typer.Exit(1)


@user_errors
def contract_docs(
    out: Path = typer.Option(None, help="Куда писать (по умолчанию docs/contract/)."),
) -> None:
    """Сгенерировать описание формата обмена (русское и английское) из YAML-контракта."""
    from pipelines.contract.docs import write_docs

    paths = write_docs(out)
    console.print(f"Записано файлов: {len(paths)} в {paths[0].parent if paths else out}.")
