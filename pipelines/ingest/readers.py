"""Streaming readers: CSV, JSON Lines and XLSX files as rows of cells, one row at a time.

A reader yields ``(row_number, cells)`` where ``row_number`` is the 1-based data row below the header (the
numbering of ground_truth/record_links.csv) and ``cells`` maps the contract header to the raw cell, or it
raises :class:`FileRejected` for a problem that makes the whole file unreadable. Row-level trouble that the
reader sees itself (a truncated last line, a broken JSON object, a monstrous line) comes out as a
:class:`BrokenRow` in place of the cells, so the validator can quarantine it and go on.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pipelines.contract import Entity, Source

MAX_LINE_BYTES = 1 << 20  # a longer line is no school record: quarantine it, never hold more in memory
_BOM = b"\xef\xbb\xbf"
_DELIMITERS = (";", ",", "\t", "|")
_UTF8_CYRILLIC = re.compile(rb"[\xd0\xd1][\x80-\xbf]")


class FileRejected(Exception):
    """The file as a whole cannot be taken in; ``rule`` is the ingestion rule id, message in Russian."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass
class BrokenRow:
    rule: str
    message: str
    cells: dict[str, Any] = field(default_factory=dict)


@dataclass
class FileNotice:
    """A file-level warning: the file loads, the sender should still fix it."""

    rule: str
    message: str


@dataclass
class Opened:
    """What the reader learnt about the file before the first row."""

    headers: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    notices: list[FileNotice] = field(default_factory=list)
    rows: Iterator[tuple[int, dict[str, Any] | BrokenRow]] = iter(())
    decoder: _LineDecoder | None = None
    csv_body: CsvBody | None = None  # CSV only: lets the vectorised engine read the lines itself

    def late_notices(self) -> list[FileNotice]:
        """Notices only known after the last row (the encoding actually met)."""
        notice = self.decoder.notice() if self.decoder else None
        return [notice] if notice else []


def _norm_header(h: object) -> str:
    return re.sub(r"\s+", " ", str(h if h is not None else "")).strip()


def check_headers(entity: Entity, headers: list[str], notices: list[FileNotice]) -> None:
    """Reject the file if a required column is missing; note optional missing and extra columns."""
    present = set(headers)
    expected = [f.header for f in entity.fields]
    extra = [h for h in headers if h and h not in expected]
    missing_required = [f.header for f in entity.fields if f.required and f.header not in present]
    missing_optional = [f.header for f in entity.fields if not f.required and f.header not in present]
    if missing_required:
        hints = []
        for m in missing_required:
            close = get_close_matches(m, extra, n=1, cutoff=0.6)
            if close:
                hints.append(f"столбец «{close[0]}», вероятно, должен называться «{m}»")
        hint = ("; " + "; ".join(hints)) if hints else ""
        raise FileRejected(
            "missing_columns",
            f"нет обязательных столбцов: {', '.join('«' + m + '»' for m in missing_required)}{hint}. "
            "Выгрузите файл по действующему шаблону (см. описание формата).",
        )
    if missing_optional:
        notices.append(
            FileNotice(
                "missing_columns",
                f"нет необязательных столбцов {', '.join('«' + m + '»' for m in missing_optional)}: "
                "они загружены пустыми; добавьте их в выгрузку.",
            )
        )
    if extra:
        notices.append(
            FileNotice(
                "extra_columns",
                f"лишние столбцы {', '.join('«' + e + '»' for e in extra[:10])} не входят в формат и не загружены.",
            )
        )


# --- text files: encoding per line ------------------------------------------------------------------------


class _LineDecoder:
    """Decodes lines one by one and notices UTF-8 and Windows-1251 in the same file (mixed bytes)."""

    def __init__(self, declared: str):
        self.declared = (
            "cp1251" if declared.replace("-", "").lower() in ("cp1251", "windows1251") else "utf-8"
        )
        self.seen_utf8_line: int | None = None
        self.seen_cp1251_line: int | None = None

    def decode(self, raw: bytes, line_no: int) -> str:
        if raw.isascii():
            return raw.decode("ascii")
        if self.seen_cp1251_line is not None and self.seen_utf8_line is None:
            # Known Windows-1251 file: decode directly (no failing UTF-8 attempt per line) and only look
            # closer when the bytes have the shape of UTF-8 Cyrillic (lead byte D0/D1 + continuation).
            if not _UTF8_CYRILLIC.search(raw):
                return raw.decode("cp1251", errors="strict")
        try:
            text = raw.decode("utf-8")
            if self.seen_utf8_line is None:
                self.seen_utf8_line = line_no
        except UnicodeDecodeError:
            try:
                text = raw.decode("cp1251")
            except UnicodeDecodeError as exc:
                raise FileRejected(
                    "encoding",
                    f"строка {line_no}: байты не читаются ни в UTF-8, ни в Windows-1251 ({exc.reason}). "
                    "Сохраните файл заново в кодировке Windows-1251 или UTF-8.",
                ) from None
            if self.seen_cp1251_line is None:
                self.seen_cp1251_line = line_no
        if self.seen_utf8_line is not None and self.seen_cp1251_line is not None:
            raise FileRejected(
                "encoding",
                f"смешанная кодировка: строка {self.seen_utf8_line} в UTF-8, строка {self.seen_cp1251_line} в "
                "Windows-1251 (файл правили вручную?). Выгрузите файл из системы заново, не редактируя его.",
            )
        return text

    @property
    def used(self) -> str | None:
        if self.seen_utf8_line is not None:
            return "utf-8"
        if self.seen_cp1251_line is not None:
            return "cp1251"
        return None

    def notice(self) -> FileNotice | None:
        used = self.used
        if used is not None and used != self.declared:
            names = {"utf-8": "UTF-8", "cp1251": "Windows-1251"}
            return FileNotice(
                "encoding_detected",
                f"файл в кодировке {names[used]}, а по формату должен быть в {names[self.declared]}; "
                "файл прочитан, но настройте выгрузку на правильную кодировку.",
            )
        return None


def _raw_lines(fh, first: bytes) -> Iterator[bytes]:
    """Binary lines, each at most MAX_LINE_BYTES (+ marker for longer ones, whose rest is skipped)."""
    pending = first
    while True:
        line = pending if pending else fh.readline(MAX_LINE_BYTES + 1)
        pending = b""
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:  # drop the rest of the monster line without keeping it
                rest = fh.readline(MAX_LINE_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
            yield b"\x00HUGE\n"
            continue
        yield line


def _sniff_start(path: Path) -> bytes:
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise FileRejected(
            "empty_file", "файл пустой (нет даже строки заголовка). Выгрузите данные заново и отправьте файл."
        )
    if head.startswith(b"PK\x03\x04") or b"\x00" in head[:4096]:
        raise FileRejected(
            "encoding",
            "это не текстовый файл (двоичные данные: архив, Excel или повреждённый файл). "
            "Отправьте выгрузку в формате, указанном в описании источника.",
        )
    return head


def _pick_delimiter(header_line: str, declared: str, entity: Entity) -> tuple[str, FileNotice | None]:
    expected = {f.header for f in entity.fields}

    def score(d: str) -> int:
        return sum(1 for h in header_line.rstrip("\r\n").split(d) if _norm_header(h.strip('"')) in expected)

    best = max(_DELIMITERS, key=lambda d: (score(d), d == declared))
    if best != declared and score(best) > score(declared) and score(best) >= 2:
        shown = {"\t": "табуляция", ";": "«;»", ",": "«,»", "|": "«|»"}
        return best, FileNotice(
            "delimiter_detected",
            f"разделитель полей {shown[best]}, а по формату должен быть {shown.get(declared, declared)}; "
            "файл прочитан, но настройте выгрузку на правильный разделитель.",
        )
    return declared, None


def open_csv(path: Path, source: Source, entity: Entity) -> Opened:
    _sniff_start(path)
    decoder = _LineDecoder(source.encoding)
    fh = path.open("rb")
    first = fh.readline(MAX_LINE_BYTES + 1)
    if first.startswith(_BOM):
        first = first[len(_BOM) :]
    if len(first) > MAX_LINE_BYTES:
        fh.close()
        raise FileRejected("missing_columns", "первая строка слишком длинная — это не заголовок таблицы.")
    header_text = decoder.decode(first, 1)
    delimiter, notice = _pick_delimiter(header_text, source.delimiter, entity)
    notices = [notice] if notice else []
    headers = [_norm_header(h) for h in next(csv.reader([header_text], delimiter=delimiter))]
    try:
        check_headers(entity, headers, notices)
    except FileRejected:
        fh.close()
        raise
    body = CsvBody(fh, fh.tell(), headers, delimiter, decoder)
    return Opened(
        headers=headers,
        delimiter=delimiter,
        notices=notices,
        rows=body.rows(),
        decoder=decoder,
        csv_body=body,
    )


@dataclass
class CsvBody:
    """The data lines of an opened CSV file: where they start and how to read them (shared by both engines)."""

    fh: Any
    offset: int  # byte offset of the first data line
    headers: list[str]
    delimiter: str
    decoder: _LineDecoder

    def record_item(self, record: list[str], n: int) -> tuple[int, dict[str, Any] | BrokenRow]:
        """One parsed CSV record (not blank) as the reader yields it: cells, or a BrokenRow."""
        width = len(self.headers)
        if record == ["\x00HUGE"]:
            return n, BrokenRow("out_of_range", f"строка длиннее {MAX_LINE_BYTES // 1024} КБ: это не запись.")
        if len(record) != width:
            cells = dict(zip(self.headers, record, strict=False))
            if len(record) < width:
                return n, BrokenRow(
                    "truncated_row",
                    f"в строке {len(record)} значений вместо {width}: строка оборвана или в значении "
                    "есть перевод строки.",
                    cells,
                )
            return n, BrokenRow(
                "truncated_row",
                f"в строке {len(record)} значений вместо {width}: вероятно, в значении есть "
                f"разделитель «{self.delimiter}» без кавычек.",
                cells,
            )
        return n, dict(zip(self.headers, record, strict=True))

    def rows(self, offset: int | None = None, line_no: int = 2, n: int = 0):
        """Rows from ``offset`` (a line start), numbering physical lines from ``line_no`` and records after ``n``."""
        fh, decoder = self.fh, self.decoder
        if offset is not None:
            fh.seek(offset)

        def text_lines() -> Iterator[str]:
            for no, raw in enumerate(_raw_lines(fh, b""), start=line_no):
                yield decoder.decode(raw, no)

        csv.field_size_limit(MAX_LINE_BYTES)
        reader = csv.reader(text_lines(), delimiter=self.delimiter, strict=False)
        try:
            for record in reader:
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # blank line
                n += 1
                yield self.record_item(record, n)
        except csv.Error as exc:
            raise FileRejected(
                "truncated_row", f"после строки данных {n} файл не разбирается как CSV ({exc})."
            ) from None
        finally:
            fh.close()


def open_jsonl(path: Path, source: Source, entity: Entity) -> Opened:
    _sniff_start(path)
    decoder = _LineDecoder(source.encoding)
    headers = [f.header for f in entity.fields]
    notices: list[FileNotice] = []
    fh = path.open("rb")
    first = fh.readline(MAX_LINE_BYTES + 1)
    if first.startswith(_BOM):
        first = first[len(_BOM) :]

    # JSON Lines has no header: check the keys of the first object that parses.
    try:
        obj = json.loads(decoder.decode(first, 1))
        if isinstance(obj, dict):
            keys = [_norm_header(k) for k in obj]
            check_headers(entity, keys, notices)
    except (ValueError, UnicodeDecodeError):
        pass
    except FileRejected:
        fh.close()
        raise

    def rows() -> Iterator[tuple[int, dict[str, Any] | BrokenRow]]:
        n = 0
        try:
            for line_no, raw in enumerate(_raw_lines(fh, first), start=1):
                if not raw.strip():
                    continue
                n += 1
                if raw == b"\x00HUGE\n":
                    yield (
                        n,
                        BrokenRow(
                            "out_of_range", f"строка длиннее {MAX_LINE_BYTES // 1024} КБ: это не запись."
                        ),
                    )
                    continue
                text = decoder.decode(raw, line_no)
                try:
                    obj = json.loads(text)
                except ValueError as exc:
                    last = not raw.endswith(b"\n")
                    rule = "truncated_row" if last else "bad_type"
                    what = "оборвана (файл обрезан при передаче)" if last else f"не является JSON ({exc.msg})"
                    yield n, BrokenRow(rule, f"строка {what}.", {})
                    continue
                if not isinstance(obj, dict):
                    yield n, BrokenRow("bad_type", "строка должна быть JSON-объектом {…}.", {})
                    continue
                yield n, obj
        finally:
            fh.close()

    return Opened(headers=headers, notices=notices, rows=rows(), decoder=decoder)


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def open_xlsx(path: Path, source: Source, entity: Entity) -> Opened:
    from python_calamine import CalamineWorkbook

    with path.open("rb") as fh:
        magic = fh.read(4)
    if not magic:
        raise FileRejected("empty_file", "файл пустой. Выгрузите данные заново и отправьте файл.")
    if magic != b"PK\x03\x04":
        raise FileRejected(
            "encoding",
            "это не книга Excel (.xlsx): файл повреждён или это другой формат. Сохраните как .xlsx.",
        )
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken zips
        raise FileRejected(
            "encoding", f"книга Excel не открывается ({exc}). Сохраните файл заново как .xlsx."
        ) from None
    names = wb.sheet_names
    if entity.sheet and entity.sheet in names:
        sheet = wb.get_sheet_by_name(entity.sheet)
    elif entity.sheet and len(names) > 1:
        raise FileRejected(
            "missing_columns",
            f"нет листа «{entity.sheet}» (есть: {', '.join(names)}). Переименуйте лист по шаблону.",
        )
    else:
        sheet = wb.get_sheet_by_index(0)
    # calamine materialises the sheet in compact Rust memory (xlsx is capped at ~1M rows); rows are still
    # handed to Python one by one.
    it = iter(sheet.iter_rows())
    header_cells: list[Any] | None = None
    for _ in range(entity.header_row):
        header_cells = next(it, None)
        if header_cells is None:
            raise FileRejected(
                "empty_file", f"на листе нет строки заголовка (ожидается в строке {entity.header_row})."
            )
    headers = [_norm_header(h) for h in header_cells or []]
    while headers and not headers[-1]:
        headers.pop()
    notices: list[FileNotice] = []
    if not any(headers):
        raise FileRejected(
            "missing_columns",
            f"строка {entity.header_row} листа пуста: заголовок таблицы должен быть в строке {entity.header_row}.",
        )
    check_headers(entity, headers, notices)
    width = len(headers)

    def rows() -> Iterator[tuple[int, dict[str, Any] | BrokenRow]]:
        n = 0
        pending_blank = 0
        for cells in it:
            n += 1
            cells = [_xlsx_cell(c) for c in cells[:width]]
            if all(c is None or c == "" for c in cells):
                pending_blank += 1
                continue
            yield n, dict(zip(headers, cells + [None] * (width - len(cells)), strict=True))
        wb.close()

    return Opened(headers=headers, notices=notices, rows=rows())


def open_file(path: Path, source: Source, entity: Entity) -> Opened:
    """Open a landing file by the format its source declares."""
    opener = {"csv": open_csv, "jsonl": open_jsonl, "xlsx": open_xlsx}[source.format]
    return opener(path, source, entity)


def cell_text(value: Any) -> str:
    """A cell as the sender would see it (for messages and the vault)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)
