"""Both ingestion engines leave exactly the same warehouse behind.

The same landing folder (the CSV files of the tiny synthetic region with their planted faults, plus hand-made vendor-A files
with every row fault, warnings, pupils without consent, duplicates, quoted values, encodings and a file that
turns unusual half-way) is taken in once row by row and vectorised three ways (in this process, with worker
processes, and with the compiled helpers of ``pipelines.native`` switched off), each into its own database; every
raw table, the quarantine, the warnings, the vault, the headcounts and the ledger must match row for row.
Small blocks make the vectorised engine cross many block boundaries and hand over to the row-by-row reader
in the middle of a file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from pipelines import native
from pipelines.ingest import ingest_landing, vectorised
from pipelines.ingest.validation import RowChecker
from tests.ingest.builders import make_inn, student_row, write_register, write_students
from tests.ingest.conftest import TEST_KEY

# (run, engine, worker processes, compiled helpers): the vectorised engine in this process, with forked workers,
# and on its pure-Python hashes and COPY lines (a machine without a C compiler)
RUNS = (
    ("rowwise", "rowwise", 0, True),
    ("vectorised", "vectorised", 0, True),
    ("workers", "vectorised", 2, True),
    ("python", "vectorised", 0, False),
)
VECTORISED = [run for run, engine, _, _ in RUNS if engine == "vectorised"]


def _rows(n: int, start: int = 1, **over) -> list[dict]:
    return [student_row(i, **over) for i in range(start, start + n)]


def _hand_made(root: Path) -> None:
    write_register(root, n_schools=3)
    rows = _rows(400)
    rows[0]["snils"] = "123-456-789 00"  # warning: loaded without СНИЛС
    rows[1]["birth_date"] = "31.02.2012"
    rows[2]["sex"] = "X"
    rows[3]["grade"] = "5Б"
    rows[4]["local_id"] = ""
    rows[5]["last_name"] = "Robert'); DROP TABLE x;--"
    rows[6]["first_name"] = '=HYPERLINK("http://evil.example","Баир")'
    rows[7]["class_label"] = "=1+2"
    rows[8]["grade"] = " +5 "  # unusual but valid spellings go through the row checker
    rows[9]["sex"] = " м "
    rows[10]["middle_name"] = ""
    rows[11]["birth_date"] = "04.04.2012"  # day == month: no swapped token
    rows[12]["address"] = "  г. Улан-Удэ,\tул. Ленина  "
    rows[13]["snils"] = ""
    rows[14]["birth_certificate"] = ""
    rows[15]["last_name"] = "Цыдып?ва"  # a letter cp1251 cannot hold
    rows[16]["class_label"] = 'класс "А"; корпус 2'  # quotes and the delimiter inside a value
    # in blocks of their own (blocks here hold about 20 rows), each cut by C: the cells that cannot go as they are
    rows[100]["birth_certificate"] = "IV-АЖ\u00a0783244"  # a no-break space inside a document number
    rows[160]["address"] = "г. Улан-Удэ, ул. Ленина, д. 1\u00a0"  # and after an address (strip takes it)
    rows[220]["local_id"] = "L\\0221"  # a backslash: escaped for COPY
    for r in rows[20:24]:
        r.update(consent="Нет", last_name="", first_name="", middle_name="", snils="", address="")
    rows.append(dict(rows[20]))  # a duplicate pupil without consent
    rows.append(dict(rows[30]))  # an exact duplicate row
    rows.append(dict(rows[31]))
    write_students(root, rows, period="2024-09")

    p = write_students(root, _rows(300, 1000), period="2024-10")
    lines = p.read_bytes().split(b"\r\n")
    lines[250] = lines[250].decode("cp1251").encode("utf-8")  # mixed encoding far into the file
    p.write_bytes(b"\r\n".join(lines))

    write_students(root, _rows(300, 2000), period="2024-11", encoding="utf-8")  # UTF-8 where cp1251 declared
    write_students(root, _rows(300, 3000), period="2024-12", delimiter=",")

    p = write_students(root, _rows(300, 4000), period="2025-01")
    lines = p.read_bytes().split(b"\r\n")
    lines[200] = lines[200].replace(b";5\xc0;", b';"5\r\n\xc0";', 1)  # a quoted line break half-way
    lines[120] = b""  # a blank line
    lines[121] = lines[121][:40]  # a short row
    lines[122] = lines[122] + b";extra"
    p.write_bytes(b"\r\n".join(lines))

    p = write_students(root, _rows(300, 5000), period="2025-02")
    p.write_bytes(p.read_bytes().rstrip(b"\r\n").rsplit(b";", 8)[0])  # cut off in transit

    rows = _rows(40, 6000)
    for r in rows[:15]:
        r["grade"] = "13"  # too many bad rows: the whole file is rejected
    write_students(root, rows, period="2025-03")

    write_students(root, _rows(300, 7000, school=2), period="2024-09", school=2, sent_at="20240920T100000")
    write_students(root, _rows(310, 7000, school=2), period="2024-09", school=2, sent_at="20240925T100000")
    assert make_inn(2)


def _ingest(url: str, state: Path, landing: Path, engine: str, mp: pytest.MonkeyPatch) -> None:
    mp.setenv("KONTINGENT_DATABASE_URL", url)
    mp.setenv("KONTINGENT_STATE_DIR", str(state))
    mp.setenv("KONTINGENT_OUTBOX_DIR", str(state / "outbox"))
    mp.setenv("KONTINGENT_PSEUDONYM_KEY", TEST_KEY)
    mp.setenv(vectorised.ENGINE_ENV, engine)
    summary = ingest_landing(landing)
    assert not summary.failures, summary.failures


@pytest.fixture(scope="module")
def both(make_database, tiny_region, tmp_path_factory) -> dict:
    landing = tmp_path_factory.mktemp("engines") / "landing"
    # CSV only: JSON Lines and XLSX files go row by row in every engine, so comparing them proves nothing here
    shutil.copytree(
        tiny_region / "landing",
        landing,
        ignore=lambda folder, names: [n for n in names if n.endswith((".jsonl", ".xlsx"))],
    )
    _hand_made(landing)
    urls: dict = {}
    checked: dict[str, int] = {}
    original = RowChecker.check
    with pytest.MonkeyPatch.context() as mp:
        for var in ("KONTINGENT_DATA_DIR", "KONTINGENT_LANDING_DIR"):
            mp.delenv(var, raising=False)
        mp.setattr(vectorised, "BLOCK_BYTES", 4096)
        for run, engine, workers, compiled in RUNS:

            def counting(self, row, cells, run=run):
                checked[run] = checked.get(run, 0) + 1
                return original(self, row, cells)

            mp.setattr(RowChecker, "check", counting)
            mp.setenv(vectorised.WORKERS_ENV, str(workers))
            mp.setenv(native.NATIVE_ENV, "1" if compiled else "0")
            native._library.cache_clear()
            urls[run] = make_database(f"kontingent_engine_{engine}")
            _ingest(urls[run], tmp_path_factory.mktemp(f"state_{run}"), landing, engine, mp)
    native._library.cache_clear()
    urls["checked"] = checked
    return urls


def _dump(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return sorted(conn.execute(sql).fetchall(), key=repr)


_BY_FILE = "join ops.submissions s using (submission_id)"
QUERIES = {
    "ledger": """select file_path, source, entity, sender_id, period, content_sha256, status, rule, reason,
                        rows_total, rows_accepted, rows_rejected, rows_warned, rows_anonymous, encoding, delimiter,
                        contract_version, (select file_path from ops.submissions x
                                           where x.submission_id = s.superseded_by)
                 from ops.submissions s""",
    "quarantine": f"""select file_path, source_row, field, header, q.rule, value_masked, message
                      from ops.quarantine q {_BY_FILE}""",
    "warnings": f"""select file_path, source_row, field, header, w.rule, value_masked, message
                    from ops.warnings w {_BY_FILE}""",
    "vault": f"select file_path, source_row, cells::text from vault.quarantine_values v {_BY_FILE}",
    "headcounts": f"""select file_path, h.source, h.sender_id, h.period, school_code, grade, sex, birth_year, pupils
                      from ops.anonymous_headcounts h {_BY_FILE}""",
}


def test_ledger_quarantine_warnings_vault_and_headcounts_are_identical(both):
    for name, sql in QUERIES.items():
        rowwise = _dump(both["rowwise"], sql)
        assert rowwise, name
        for run in VECTORISED:
            assert rowwise == _dump(both[run], sql), (name, run)


def test_every_raw_table_is_identical(both):
    with psycopg.connect(both["rowwise"]) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
            )
        ]
    assert "school_vendor_a__students" in tables
    compared = 0
    for table in tables:
        with psycopg.connect(both["rowwise"]) as conn:
            cols = [
                r[0]
                for r in conn.execute(
                    "select column_name from information_schema.columns where table_schema = 'raw' "
                    "and table_name = %s and column_name not in ('_submission_id', '_loaded_at') order by 1",
                    (table,),
                )
            ]
        sql = "select " + ", ".join(f'"{c}"::text' for c in cols) + f' from raw."{table}"'
        rowwise = _dump(both["rowwise"], sql)
        for run in VECTORISED:
            assert rowwise == _dump(both[run], sql), (table, run)
        compared += len(rowwise)
    assert compared > 1000


def test_the_vectorised_engine_checked_most_rows_itself(both):
    """Guard against a silent fallback to the row checker for everything."""
    rowwise = both["checked"]["rowwise"]
    assert rowwise > 3000
    for run in VECTORISED:
        assert both["checked"].get(run, 0) < rowwise / 2, (rowwise, both["checked"])
