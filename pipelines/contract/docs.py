"""Human documentation of the exchange contract, generated from the YAML (Russian and English).

``write_docs(out_dir)`` writes ``<source>.ru.md`` and ``<source>.en.md`` per source plus an index; this is
what a school's IT vendor reads to connect their system, so it never drifts from what ingestion checks.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.contract.model import Source, load_faults, load_sources

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs" / "contract"

L = {
    "ru": {
        "format": "Формат",
        "encoding": "Кодировка",
        "delimiter": "Разделитель",
        "dates": "Даты",
        "period": "Период",
        "sender": "Отправитель",
        "path": "Куда класть файл",
        "version": "Версия формата",
        "field": "Поле (заголовок в файле)",
        "name": "Имя в хранилище",
        "type": "Тип",
        "req": "Обяз.",
        "values": "Допустимые значения",
        "desc": "Описание",
        "yes": "да",
        "no": "нет",
        "sheet": "Лист",
        "header_row": "Строка заголовка",
        "pii": "Персональные данные: в хранилище не попадают, заменяются ключевым хешем (HMAC-SHA-256)",
        "rules": "Проверки при приёме",
        "index": "Формат обмена данными: источники",
        "pii_col": "ПДн",
    },
    "en": {
        "format": "Format",
        "encoding": "Encoding",
        "delimiter": "Delimiter",
        "dates": "Dates",
        "period": "Period",
        "sender": "Sender",
        "path": "Where the file goes",
        "version": "Contract version",
        "field": "Field (header in the file)",
        "name": "Warehouse name",
        "type": "Type",
        "req": "Req.",
        "values": "Allowed values",
        "desc": "Description",
        "yes": "yes",
        "no": "no",
        "sheet": "Sheet",
        "header_row": "Header row",
        "pii": "Personal data: never stored in the clear, replaced by a keyed hash (HMAC-SHA-256)",
        "rules": "Checks at ingestion",
        "index": "Data exchange contract: sources",
        "pii_col": "PII",
    },
}
TYPES = {
    "ru": {
        "string": "текст",
        "int": "целое",
        "decimal": "число",
        "date": "дата",
        "bool": "да/нет",
        "code": "код",
        "snils": "СНИЛС",
        "inn": "ИНН",
    },
    "en": {
        "string": "text",
        "int": "integer",
        "decimal": "number",
        "date": "date",
        "bool": "yes/no",
        "code": "code",
        "snils": "SNILS",
        "inn": "INN",
    },
}
DELIMS = {";": "`;`", ",": "`,`", "\t": "TAB", "|": "`|`"}


def _t(text, lang: str) -> str:
    return getattr(text, lang) if text is not None else ""


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _date_format(fmt: str, lang: str) -> str:
    shown = {
        "%d.%m.%Y": "ДД.ММ.ГГГГ" if lang == "ru" else "DD.MM.YYYY",
        "iso": "YYYY-MM-DD (ISO 8601)",
        "%Y-%m-%d": "YYYY-MM-DD",
    }
    return shown.get(fmt, f"`{fmt}`")


def render_source(source: Source, lang: str) -> str:
    lx = L[lang]
    lines = [f"# {_t(source.title, lang)} (`{source.source}`)", ""]
    sender = source.extra.get("sender_id")
    meta = [
        (lx["version"], str(source.version)),
        (lx["format"], source.format.upper()),
    ]
    if source.format in ("csv", "jsonl"):
        meta.append(
            (
                lx["encoding"],
                {"cp1251": "Windows-1251", "utf-8": "UTF-8"}.get(source.encoding, source.encoding),
            )
        )
    if source.format == "csv":
        meta.append((lx["delimiter"], DELIMS.get(source.delimiter, source.delimiter)))
    meta.append((lx["dates"], _date_format(source.date_format, lang)))
    meta.append((lx["period"], source.period))
    if isinstance(sender, dict):
        meta.append((lx["sender"], sender.get(lang) or sender.get("ru", "")))
    ext = {"csv": "csv", "jsonl": "jsonl", "xlsx": "xlsx"}[source.format]
    meta.append((lx["path"], f"`{source.source}/<sender_id>/<period>/<entity>__<YYYYMMDDTHHMMSS>.{ext}`"))
    for k, v in meta:
        lines.append(f"- **{k}**: {v}")
    lines.append("")
    for entity in source.entities.values():
        lines += [f"## {_t(entity.title, lang)} (`{entity.name}`)", ""]
        note = entity.extra.get("note")
        if isinstance(note, dict):
            lines += [note.get(lang) or note.get("ru", ""), ""]
        if source.format == "xlsx":
            lines += [
                f"- **{lx['sheet']}**: «{entity.sheet or '—'}»; **{lx['header_row']}**: {entity.header_row}",
                "",
            ]
        lines.append(
            f"| {lx['field']} | {lx['name']} | {lx['type']} | {lx['req']} | {lx['values']} | {lx['pii_col']} | {lx['desc']} |"
        )
        lines.append("|---|---|---|---|---|---|---|")
        for f in entity.fields:
            values = ""
            if f.codes:
                values = ", ".join(f"«{k}»" for k in f.codes)
            elif f.min is not None or f.max is not None:
                values = f"{f.min if f.min is not None else ''}…{f.max if f.max is not None else ''}"
            lines.append(
                "| "
                + " | ".join(
                    _cell(x)
                    for x in (
                        f.header,
                        f"`{f.name}`",
                        TYPES[lang].get(f.type, f.type),
                        lx["yes"] if f.required else lx["no"],
                        values,
                        f.pii or "",
                        _t(f.description, lang),
                    )
                )
                + " |"
            )
        lines.append("")
    lines += [f"> {lx['pii']}.", ""]
    return "\n".join(lines)


def render_rules(lang: str) -> str:
    faults = load_faults()
    lines = [f"## {L[lang]['rules']}", "", "| rule | action | |", "|---|---|---|"]
    seen = set()
    for f in faults:
        if f.rule and f.rule not in seen:
            seen.add(f.rule)
            lines.append(f"| `{f.rule}` | {f.action} | {_cell(_t(f.description, lang))} |")
    return "\n".join(lines) + "\n"


def write_docs(out_dir: Path | None = None, contract_dir: Path | None = None) -> list[Path]:
    out_dir = out_dir or DOCS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = load_sources(contract_dir)
    written = []
    for lang in ("ru", "en"):
        index = [f"# {L[lang]['index']}", ""]
        for source in sources.values():
            path = out_dir / f"{source.source}.{lang}.md"
            path.write_text(render_source(source, lang), encoding="utf-8")
            written.append(path)
            index.append(
                f"- [{_t(source.title, lang)}]({path.name}) — `{source.source}`, {source.format.upper()}"
            )
        privacy = (
            "Персональные данные: что где хранится" if lang == "ru" else "Personal data: what is stored where"
        )
        index += ["", f"- [{privacy}](privacy.{lang}.md)", "", render_rules(lang)]
        idx = out_dir / f"README.{lang}.md"
        idx.write_text("\n".join(index), encoding="utf-8")
        written.append(idx)
    return written
