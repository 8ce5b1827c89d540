"""Every kind of bad input gets a clear Russian message, and nothing valid from other files is lost.

One landing folder holds a good file and one file per bad case (each in its own period, so none supersedes
another); one ingest run takes them all, then each test looks at what happened to its file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from pipelines.ingest import ingest_landing, validate_file
from tests.ingest.builders import (
    csv_bytes,
    jsonl_bytes,
    landing_path,
    make_inn,
    student_row,
    write_register,
    write_students,
)
from tests.ingest.conftest import query, submission
from tests.ingest.pii_scan import scan

SCHOOL_A = make_inn(1)


def _students(n: int, start: int = 1, **over) -> list[dict]:
    return [student_row(i, **over) for i in range(start, start + n)]


def _marks_row(i: int, **over) -> dict:
    row = {
        "school_code": "OO0001",
        "school_inn": SCHOOL_A,
        "local_id": f"L{i:05d}",
        "grade": "5",
        "term": "1 четверть",
        "mark_russian": "4",
        "mark_maths": "5",
    }
    row.update(over)
    return row


@pytest.fixture(scope="module")
def landing(warehouse, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("region") / "landing"
    files: dict[str, Path] = {"register": write_register(root, n_schools=3)}

    files["good"] = write_students(root, _students(30), period="2024-09")

    p = write_students(root, _students(30, 100), period="2024-10")
    lines = p.read_bytes().split(b"\r\n")
    lines[5] = lines[5].decode("cp1251").encode("utf-8")  # one line re-saved as UTF-8 by hand
    p.write_bytes(b"\r\n".join(lines))
    files["mixed_encoding"] = p

    files["utf8_declared_cp1251"] = write_students(
        root, _students(30, 200), period="2024-11", encoding="utf-8"
    )
    files["wrong_delimiter"] = write_students(root, _students(30, 300), period="2024-12", delimiter=",")

    from pipelines.contract import load_sources

    headers = [f.header for f in load_sources()["school_vendor_a"].entities["students"].fields]
    files["missing_column"] = write_students(
        root, _students(30, 400), period="2025-01", headers=[h for h in headers if h != "Пол"]
    )
    files["extra_column"] = write_students(
        root, _students(30, 500), period="2025-02", headers=headers + ["Примечание"]
    )
    files["renamed_column"] = write_students(
        root,
        _students(30, 600),
        period="2025-03",
        headers=[("Дата рожд." if h == "Дата рождения" else h) for h in headers],
    )

    p = landing_path(root, "school_vendor_a", SCHOOL_A, "2025-04", "students", "20250420T100000", "csv")
    p.write_bytes(b"")
    files["empty"] = p

    files["header_only"] = write_students(root, [], period="2025-05")

    p = write_students(root, _students(30, 700), period="2025-06")
    p.write_bytes(p.read_bytes().rstrip(b"\r\n").rsplit(b";", 8)[0])  # cut off in transit
    files["truncated"] = p

    p = landing_path(root, "school_vendor_a", SCHOOL_A, "2025-07", "students", "20250720T100000", "csv")
    p.write_bytes(bytes(range(256)) * 40)
    files["binary"] = p

    rows = _students(30, 800)
    rows[3]["class_label"] = "5А" * 3000  # a 6000-character value
    files["huge_field"] = write_students(root, rows, period="2025-08")

    rows = _students(30, 900)
    rows[0]["snils"] = "123-456-789 00"  # wrong check digits
    rows[1]["birth_date"] = "31.02.2012"
    rows[2]["sex"] = "X"
    rows[3]["grade"] = "5Б"
    rows[4]["local_id"] = ""
    rows[5]["last_name"] = "Robert'); DROP TABLE raw.school_vendor_a__students;--"
    rows[6]["first_name"] = '=HYPERLINK("http://evil.example","Баир")'
    rows[7]["class_label"] = "=1+2"  # formula-looking text in a free-text field: data, never a formula
    rows.append(dict(rows[10]))  # an exact duplicate of row 11 as row 31
    files["row_faults"] = write_students(root, rows, period="2024-09", school=3)

    files["unknown_school"] = write_students(root, _students(5, 1000), period="2024-09", school=77)

    files["resub_first"] = write_students(
        root, _students(10, 1100), period="2025-09", sent_at="20250920T100000"
    )
    files["resub_second"] = write_students(
        root, _students(12, 1100), period="2025-09", sent_at="20250925T100000"
    )

    dup = landing_path(root, "school_vendor_a", SCHOOL_A, "2024-09", "students", "20240921T100000", "csv")
    dup.write_bytes(files["good"].read_bytes())
    files["duplicate_file"] = dup

    rows = _students(20, 1200)
    for r in rows[:15]:
        r["grade"] = "13"
    files["too_many_errors"] = write_students(root, rows, period="2025-10")

    marks = [_marks_row(i) for i in range(1, 21)]
    marks[2]["mark_maths"] = "6"
    marks[3]["mark_russian"] = "0"
    p = landing_path(root, "school_vendor_a", SCHOOL_A, "2024-10", "marks", "20241101T100000", "csv")
    p.write_bytes(csv_bytes("school_vendor_a", "marks", marks))
    files["marks"] = p

    consent = _students(5, 1300)
    for r in consent[:2]:
        r.update(
            consent="Нет",
            last_name="",
            first_name="",
            middle_name="",
            snils="",
            birth_certificate="",
            address="",
        )
    files["consent"] = write_students(root, consent, period="2025-11")

    # vendor B: JSON Lines, truncated last object
    vb = [
        {
            "vendor_school_code": "bx1002",
            "local_id": f"B{i}",
            "last_name": "Цыдыпова",
            "first_name": "Туяна",
            "middle_name": "Баировна",
            "sex": "2",
            "birth_date": "2013-04-05",
            "grade": 4,
            "class_label": "4Б",
            "programme": "std",
            "education_form": "FT",
            "consent": True,
        }
        for i in range(1, 11)
    ]
    p = landing_path(root, "school_vendor_b", "bx1002", "2024-09", "students", "20240920T100000", "jsonl")
    raw = jsonl_bytes("school_vendor_b", "students", vb)
    p.write_bytes(raw[: len(raw) - 40])
    files["jsonl_truncated"] = p

    files["xlsx"] = _social_protection_xlsx(root)

    summary = ingest_landing(root)
    assert not summary.failures, summary.failures
    return {"root": root, **files}


def _social_protection_xlsx(root: Path) -> Path:
    from pipelines.contract import load_sources

    entity = load_sources()["social_protection"].entities["benefits"]
    wb = Workbook()
    ws = wb.active
    ws.title = entity.sheet
    ws.append(["Реестр получателей мер социальной поддержки"])
    ws.append([])
    ws.append([f.header for f in entity.fields])
    samples = {"date": "05.04.2013", "string": "Иванов", "code": None, "int": 1, "decimal": 1, "bool": "Да"}
    for i in range(3):
        row = []
        for f in entity.fields:
            if f.type == "code":
                row.append(next(iter(f.codes)))
            elif f.type == "snils":
                row.append("")
            elif f.name.endswith("oktmo"):
                row.append("81624000")
            elif f.type == "string":
                row.append(["Иванов", "Петров", "Сидоров"][i])
            else:
                row.append(samples.get(f.type, "x"))
        ws.append(row)
    p = landing_path(root, "social_protection", "uszn_rb", "2024-Q1", "benefits", "20240405T100000", "xlsx")
    wb.save(p)
    return p


def _issues(url: str, sub_id: int, table: str = "quarantine") -> list[tuple]:
    return query(
        url,
        f"select source_row, field, rule, message from ops.{table} where submission_id = %s "
        "order by source_row nulls first",
        (sub_id,),
    )


def test_a_good_file_loads_every_row(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["good"])
    assert (s["status"], s["rows_total"], s["rows_accepted"], s["rows_rejected"]) == ("loaded", 30, 30, 0)
    n = query(
        warehouse["url"],
        "select count(*) from raw.school_vendor_a__students where _submission_id = %s",
        (s["submission_id"],),
    )[0][0]
    assert n == 30


def test_mixed_encoding_rejects_the_file_and_names_both_lines(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["mixed_encoding"])
    assert (s["status"], s["rule"]) == ("rejected", "encoding")
    assert "смешанная кодировка" in s["reason"] and "UTF-8" in s["reason"]
    assert (
        query(
            warehouse["url"],
            "select count(*) from raw.school_vendor_a__students where _submission_id = %s",
            (s["submission_id"],),
        )[0][0]
        == 0
    )


def test_utf8_where_cp1251_declared_loads_with_a_warning(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["utf8_declared_cp1251"])
    assert (s["status"], s["rows_accepted"], s["encoding"]) == ("loaded", 30, "utf-8")
    rules = [r[2] for r in _issues(warehouse["url"], s["submission_id"], "warnings")]
    assert "encoding_detected" in rules


def test_wrong_delimiter_is_detected_and_the_file_loads_with_a_warning(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["wrong_delimiter"])
    assert (s["status"], s["rows_accepted"], s["delimiter"]) == ("loaded", 30, ",")
    assert "delimiter_detected" in [r[2] for r in _issues(warehouse["url"], s["submission_id"], "warnings")]


def test_missing_required_column_rejects_the_file(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["missing_column"])
    assert (s["status"], s["rule"]) == ("rejected", "missing_columns")
    assert "«Пол»" in s["reason"]


def test_extra_column_is_ignored_with_a_warning(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["extra_column"])
    assert (s["status"], s["rows_accepted"]) == ("loaded", 30)
    assert "extra_columns" in [r[2] for r in _issues(warehouse["url"], s["submission_id"], "warnings")]


def test_renamed_column_is_rejected_with_a_hint_to_the_right_name(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["renamed_column"])
    assert (s["status"], s["rule"]) == ("rejected", "missing_columns")
    assert "«Дата рожд.»" in s["reason"] and "«Дата рождения»" in s["reason"]


def test_empty_file_is_rejected(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["empty"])
    assert (s["status"], s["rule"]) == ("rejected", "empty_file")


def test_header_only_file_loads_zero_rows(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["header_only"])
    assert (s["status"], s["rows_total"]) == ("loaded", 0)


def test_truncated_last_line_is_quarantined_and_the_rest_loads(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["truncated"])
    assert (s["status"], s["rows_accepted"], s["rows_rejected"]) == ("loaded", 29, 1)
    assert [(r[0], r[2]) for r in _issues(warehouse["url"], s["submission_id"])] == [(30, "truncated_row")]


def test_binary_file_is_rejected_as_not_text(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["binary"])
    assert (s["status"], s["rule"]) == ("rejected", "encoding")
    assert "не текстовый" in s["reason"]


def test_huge_field_rejects_only_its_row(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["huge_field"])
    assert (s["status"], s["rows_accepted"], s["rows_rejected"]) == ("loaded", 29, 1)
    assert [(r[0], r[2]) for r in _issues(warehouse["url"], s["submission_id"])] == [(4, "out_of_range")]


@pytest.mark.parametrize(
    ("row", "rule", "field"),
    [
        (2, "impossible_date", "birth_date"),
        (3, "unknown_code", "sex"),
        (4, "bad_type", "grade"),
        (5, "missing_required", "local_id"),
        (6, "bad_type", "last_name"),  # SQL-looking name
        (7, "bad_type", "first_name"),  # formula-looking name
        (31, "duplicate_row", None),
    ],
)
def test_row_faults_are_quarantined_with_their_rule(warehouse, landing, row, rule, field):
    s = submission(warehouse["url"], landing["root"], landing["row_faults"])
    issues = {(r[0], r[2]): r for r in _issues(warehouse["url"], s["submission_id"])}
    assert (row, rule) in issues
    assert issues[(row, rule)][1] == field
    assert "«" in issues[(row, rule)][3] or rule == "duplicate_row"  # the message names the column


def test_row_faults_leave_the_valid_rows_loaded(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["row_faults"])
    assert (s["status"], s["rows_total"], s["rows_rejected"], s["rows_accepted"]) == ("loaded", 31, 7, 24)
    assert s["rows_warned"] == 1  # the bad СНИЛС


def test_invalid_snils_loads_the_row_without_the_snils(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["row_faults"])
    warn = _issues(warehouse["url"], s["submission_id"], "warnings")
    assert [(r[0], r[2]) for r in warn] == [(1, "snils_checksum")]
    token = query(
        warehouse["url"],
        "select snils_token from raw.school_vendor_a__students where _submission_id = %s and _source_row = 1",
        (s["submission_id"],),
    )
    assert token == [(None,)]


def test_sql_and_formula_text_is_stored_as_plain_data(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["row_faults"])
    label = query(
        warehouse["url"],
        "select class_label from raw.school_vendor_a__students where _submission_id = %s and _source_row = 8",
        (s["submission_id"],),
    )
    assert label == [("=1+2",)]
    assert query(warehouse["url"], "select to_regclass('raw.school_vendor_a__students') is not null")[0][0]
    # the masked value in ops never shows the personal text; the vault keeps the row as sent
    masked = query(
        warehouse["url"],
        "select value_masked from ops.quarantine where submission_id = %s and source_row = 6",
        (s["submission_id"],),
    )[0][0]
    assert "DROP" not in masked
    cells = query(
        warehouse["url"],
        "select cells from vault.quarantine_values where submission_id = %s and source_row = 6",
        (s["submission_id"],),
    )[0][0]
    assert "DROP TABLE" in cells["Фамилия"]


def test_rejection_report_is_russian_and_never_a_live_formula(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["row_faults"])
    reports = list(Path(warehouse["outbox"]).rglob("students__20240920T100000__отчёт.xlsx"))
    report = next(p for p in reports if make_inn(3) in p.parts)
    ws = load_workbook(report).active
    text = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    flat = " ".join(str(c) for row in text for c in row)
    assert "Отчёт" in ws.title and "невозможная дата" in flat and "повтор строки" in flat
    assert not any(str(c).startswith("=") for row in text for c in row)
    assert s["rows_rejected"] == 7


def test_file_from_unknown_school_is_rejected(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["unknown_school"])
    assert (s["status"], s["rule"]) == ("rejected", "unknown_sender")
    assert make_inn(77) in s["reason"]


def test_corrected_resubmission_supersedes_the_earlier_file(warehouse, landing):
    first = submission(warehouse["url"], landing["root"], landing["resub_first"])
    second = submission(warehouse["url"], landing["root"], landing["resub_second"])
    assert (second["status"], second["rows_accepted"]) == ("loaded", 12)
    assert (first["status"], first["superseded_by"]) == ("superseded", second["submission_id"])
    current = query(
        warehouse["url"],
        "select count(*) from raw.school_vendor_a__students r join ops.submissions s "
        "on s.submission_id = r._submission_id where s.status = 'loaded' and s.period = '2025-09'",
    )[0][0]
    assert current == 12  # nothing counted twice; the first file's rows stay for history
    assert (
        query(
            warehouse["url"],
            "select count(*) from raw.school_vendor_a__students where _submission_id = %s",
            (first["submission_id"],),
        )[0][0]
        == 10
    )


def test_same_file_sent_again_is_skipped_as_duplicate(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["duplicate_file"])
    assert (s["status"], s["rule"]) == ("duplicate", "duplicate_file")
    good = submission(warehouse["url"], landing["root"], landing["good"])
    assert good["status"] == "loaded"  # not superseded by its own copy


def test_file_with_too_many_bad_rows_is_rejected_whole(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["too_many_errors"])
    assert (s["status"], s["rule"]) == ("rejected", "error_share")
    assert (
        query(
            warehouse["url"],
            "select count(*) from raw.school_vendor_a__students where _submission_id = %s",
            (s["submission_id"],),
        )[0][0]
        == 0
    )
    assert len(_issues(warehouse["url"], s["submission_id"])) == 16  # 15 rows + the file-level reason


def test_marks_out_of_range_are_quarantined(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["marks"])
    assert [(r[0], r[1], r[2]) for r in _issues(warehouse["url"], s["submission_id"])] == [
        (3, "mark_maths", "out_of_range"),
        (4, "mark_russian", "out_of_range"),
    ]


def test_pupils_without_consent_leave_only_an_anonymous_count(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["consent"])
    assert (s["rows_total"], s["rows_accepted"], s["rows_anonymous"]) == (5, 5, 2)
    url = warehouse["url"]
    ids = [f"L{i:05d}" for i in (1300, 1301)]
    assert (
        query(url, "select count(*) from raw.school_vendor_a__students where local_id = any(%s)", (ids,))[0][
            0
        ]
        == 0
    )
    assert (
        query(
            url,
            "select sum(pupils) from ops.anonymous_headcounts where submission_id = %s",
            (s["submission_id"],),
        )[0][0]
        == 2
    )
    assert (
        query(
            url,
            "select count(*) from vault.quarantine_values where submission_id = %s",
            (s["submission_id"],),
        )[0][0]
        == 0
    )


def test_truncated_json_lines_file_quarantines_the_last_object(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["jsonl_truncated"])
    assert (s["status"], s["rows_accepted"], s["rows_rejected"]) == ("loaded", 9, 1)
    assert [(r[0], r[2]) for r in _issues(warehouse["url"], s["submission_id"])] == [(10, "truncated_row")]


def test_xlsx_with_a_title_above_the_header_loads(warehouse, landing):
    s = submission(warehouse["url"], landing["root"], landing["xlsx"])
    assert (s["status"], s["rows_total"], s["rows_accepted"]) == ("loaded", 3, 3), s["reason"]


def test_second_run_changes_nothing(warehouse, landing):
    url = warehouse["url"]
    before = query(
        url, "select count(*), (select count(*) from raw.school_vendor_a__students) from ops.submissions"
    )
    summary = ingest_landing(landing["root"])
    assert summary.files == [] and not summary.failures
    assert (
        query(
            url, "select count(*), (select count(*) from raw.school_vendor_a__students) from ops.submissions"
        )
        == before
    )


def test_validate_reports_without_touching_the_warehouse(warehouse, landing):
    url = warehouse["url"]
    before = query(url, "select count(*) from ops.submissions")
    report = validate_file(landing["row_faults"])
    assert not report.ok and report.rows_rejected == 7 and report.rows_warned == 1
    assert {i.rule for i in report.issues} >= {
        "impossible_date",
        "unknown_code",
        "duplicate_row",
        "snils_checksum",
    }
    assert validate_file(landing["good"]).ok
    assert validate_file(landing["binary"]).file_error.rule == "encoding"
    assert query(url, "select count(*) from ops.submissions") == before


def test_no_identifier_from_the_files_outside_the_vault(warehouse, landing):
    """Scan every text column of every non-vault table for names, СНИЛС and document numbers we sent."""
    needles = {"Доржиев", "Цыренович", "Цыдыпова", "Туяна", "Robert"}
    needles |= {student_row(i)["snils"] for i in range(1, 1400)}
    needles |= {student_row(i)["snils"].replace("-", "").replace(" ", "") for i in range(1, 1400)}
    needles |= {student_row(i)["birth_certificate"] for i in range(1, 1400)}
    needles |= {str(100000 + i) for i in range(1, 1400)}  # certificate numbers alone
    assert scan(warehouse["url"], needles) == []
    # the scanner does find what is there: the vault holds the quarantined row as sent
    assert scan(warehouse["url"], {"Robert"}, schemas=("vault",))


def test_cli_validate_exits_non_zero_on_errors(warehouse, landing):
    from typer.testing import CliRunner

    from kontingent.cli import app

    result = CliRunner().invoke(app, ["validate", str(landing["row_faults"])])
    assert result.exit_code == 1
    assert "невозможная дата" in result.output or "impossible_date" in result.output
    ok = CliRunner().invoke(app, ["validate", str(landing["good"])])
    assert ok.exit_code == 0, ok.output


def test_jsonl_builder_roundtrip():
    line = jsonl_bytes("school_vendor_b", "students", [{"local_id": "x"}]).decode()
    assert json.loads(line)["local_id"] if "local_id" in json.loads(line) else True
