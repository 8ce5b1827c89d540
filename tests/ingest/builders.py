"""Hand-made landing files that follow the real contract (headers and codes come from the YAML)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from stdnum.ru import inn as stdnum_inn

from pipelines.contract import load_sources
from pipelines.pseudonymise import snils_check

SOURCES = load_sources()


def make_inn(n: int) -> str:
    base = f"03{n:07d}"
    return base + stdnum_inn.calc_company_check_digit(base)


def make_snils(n: int) -> str:
    nine = f"{100000000 + n * 7919:09d}"[:9]
    d = nine + snils_check(nine)
    return f"{d[:3]}-{d[3:6]}-{d[6:9]} {d[9:]}"


def landing_path(
    root: Path, source: str, sender: str, period: str, entity: str, sent_at: str, ext: str
) -> Path:
    path = root / source / sender / period / f"{entity}__{sent_at}.{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def csv_bytes(
    source: str,
    entity: str,
    rows: list[dict],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    headers: list[str] | None = None,
) -> bytes:
    src = SOURCES[source]
    fields = src.entities[entity].fields
    headers = headers if headers is not None else [f.header for f in fields]
    by_header = {f.header: f.name for f in fields}
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter or src.delimiter, lineterminator="\r\n")
    w.writerow(headers)
    for row in rows:
        w.writerow([row.get(by_header.get(h, h), "") for h in headers])
    return out.getvalue().encode(encoding or src.encoding)


def register_rows(n_schools: int = 3) -> list[dict]:
    rows = []
    for i in range(1, n_schools + 1):
        rows.append(
            {
                "school_code": f"OO{i:04d}",
                "school_name": f"МБОУ СОШ № {i}",
                "inn": make_inn(i),
                "ogrn": "1020300000000",
                "municipality_code": "MO01",
                "school_type": "СОШ",
                "is_urban": "Да",
                "has_second_shift": "Нет",
                "instruction_language": "русский",
                "teaches_buryat_native": "Нет",
                "vendor": "ИС-А" if i % 2 else "ИС-Б",
                "vendor_school_code": f"bx{1000 + i}",
                "status": "действующая",
            }
        )
    return rows


def student_row(i: int, school: int = 1, **over) -> dict:
    row = {
        "school_code": f"OO{school:04d}",
        "school_inn": make_inn(school),
        "local_id": f"L{i:05d}",
        "last_name": "Доржиев",
        "first_name": "Баир",
        "middle_name": "Цыренович",
        "sex": "М",
        "birth_date": f"{(i % 28) + 1:02d}.0{(i % 9) + 1}.2012",
        "snils": make_snils(i),
        "birth_certificate": f"IV-АЖ {100000 + i}",
        "address": f"г. Улан-Удэ, ул. Ленина, д. {i}",
        "grade": "5",
        "class_label": "5А",
        "programme": "ООП",
        "education_form": "очная",
        "consent": "Да",
        "admission_date": "01.09.2019",
    }
    row.update(over)
    return row


def jsonl_bytes(source: str, entity: str, rows: list[dict]) -> bytes:
    fields = SOURCES[source].entities[entity].fields
    lines = [json.dumps({f.header: r.get(f.name) for f in fields}, ensure_ascii=False) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_register(root: Path, n_schools: int = 3, sent_at: str = "20240901T090000") -> Path:
    path = landing_path(root, "school_register", "minobr_rb", "2024-25", "schools", sent_at, "csv")
    path.write_bytes(csv_bytes("school_register", "schools", register_rows(n_schools)))
    return path


def write_students(
    root: Path,
    rows: list[dict],
    *,
    school: int = 1,
    period: str = "2024-09",
    sent_at: str = "20240920T100000",
    **kw,
) -> Path:
    path = landing_path(root, "school_vendor_a", make_inn(school), period, "students", sent_at, "csv")
    path.write_bytes(csv_bytes("school_vendor_a", "students", rows, **kw))
    return path


TODAY = dt.date.today()
