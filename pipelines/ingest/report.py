"""Rejection reports for senders: one XLSX in Russian per submission with problems, in the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from pipelines.ingest.readers import FileNotice
from pipelines.ingest.validation import Issue

MAX_REPORT_ROWS = 100_000
STATUS_RU = {
    "loaded": "загружен",
    "rejected": "отклонён целиком",
    "duplicate": "повтор, пропущен",
    "superseded": "загружен, но заменён более поздней отправкой",
}
ACTION_RU = {"reject_row": "строка не загружена", "warn": "загружено с предупреждением"}
RULE_RU = {
    "encoding": "кодировка",
    "encoding_detected": "кодировка не по формату",
    "delimiter_detected": "разделитель не по формату",
    "truncated_row": "неполная строка",
    "duplicate_row": "повтор строки",
    "duplicate_file": "повтор файла",
    "unknown_sender": "неизвестный отправитель",
    "missing_columns": "нет столбцов",
    "extra_columns": "лишние столбцы",
    "missing_required": "пустое обязательное поле",
    "bad_type": "неверный тип значения",
    "unknown_code": "значение не из справочника",
    "impossible_date": "невозможная дата",
    "out_of_range": "вне диапазона",
    "snils_checksum": "неверный СНИЛС",
    "error_share": "слишком много ошибок",
    "empty_file": "пустой файл",
    "bad_path": "неверное имя или папка файла",
    "unknown_source": "неизвестный источник",
    "unknown_entity": "неизвестная таблица",
    "bad_format": "неверный формат файла",
}


def _safe(value: object) -> str:
    """Text that a spreadsheet will show and never evaluate (no formulas from senders' data)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_report(outbox: Path, result, issues: Iterable[Issue], notices: list[FileNotice]) -> Path:
    sender = result.sender_id or "_"
    stem = Path(result.file).name.rsplit(".", 1)[0]
    path = outbox / (result.source or "_") / sender / (result.period or "_") / f"{stem}__отчёт.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Отчёт о приёме")
    bold = Font(bold=True)

    def head(*values):
        row = []
        for v in values:
            c = WriteOnlyCell(ws, value=_safe(v))
            c.font = bold
            row.append(c)
        ws.append(row)

    ws.append(["Файл", _safe(result.file)])
    ws.append(
        [
            "Источник",
            _safe(result.source),
            "Отправитель",
            _safe(result.sender_id),
            "Период",
            _safe(result.period),
        ]
    )
    ws.append(["Итог", STATUS_RU.get(result.status, result.status)])
    if result.reason:
        ws.append(["Причина", _safe(result.reason)])
    ws.append(
        [
            "Строк в файле",
            result.rows_total,
            "Загружено",
            result.rows_accepted,
            "Отклонено",
            result.rows_rejected,
            "С предупреждениями",
            result.rows_warned,
        ]
    )
    ws.append([])
    for n in notices:
        ws.append(["Замечание к файлу", RULE_RU.get(n.rule, n.rule), _safe(n.message)])
    ws.append([])
    head(
        "Строка",
        "Поле",
        "Значение (скрыто, если это персональные данные)",
        "Правило",
        "Что произошло",
        "Что исправить",
    )
    written = 0
    for issue in issues:
        if written >= MAX_REPORT_ROWS:
            ws.append([f"… и другие ошибки: показаны первые {MAX_REPORT_ROWS}."])
            break
        ws.append(
            [
                issue.row,
                _safe(issue.header or ""),
                _safe(issue.value),
                RULE_RU.get(issue.rule, issue.rule),
                ACTION_RU.get(issue.action, issue.action),
                _safe(issue.message),
            ]
        )
        written += 1
    ws.column_dimensions["F"].width = 90
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path
