"""The vectorised ingestion engine for CSV: blocks of rows checked column by column, tokens in tight loops.

The row-by-row engine (``RowChecker.check`` per row) spends most of its time on per-row Python calls. Here a
file is read in blocks of a few MB; each block is decoded at once, split into records by the C csv parser and
turned into columns. Every column is checked against the contract through a memo of ``cell → result`` that
calls the *same* converter as the row-by-row engine once per distinct value (codes, dates, grades and names
repeat a lot), so a value means exactly what it means there. A row that any column cannot pass as certainly
clean (a rule broken, a warning, a missing required value, no consent) goes through ``RowChecker.check`` as
before, so every message, masking rule and headcount stays identical. Clean rows get their tokens in tight
loops and their COPY text from one ``join`` per row.

Anything structurally unusual (a line over 1 MB, NUL bytes, a quoted value across lines, a mix of encodings,
bare carriage returns) hands the rest of the file to the row-by-row reader from that block on. JSON Lines and
XLSX always use the row-by-row engine.

``KONTINGENT_INGEST_ENGINE=rowwise|vectorised`` picks the engine.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Callable, Iterator
from itertools import compress, repeat
from typing import Any

from pipelines import pseudonymise
from pipelines.ingest.readers import _UTF8_CYRILLIC, MAX_LINE_BYTES, BrokenRow, CsvBody
from pipelines.ingest.validation import Checked, Issue, Reject, RowChecker, _copy_text

ENGINE_ENV = "KONTINGENT_INGEST_ENGINE"
ENGINES = ("rowwise", "vectorised")
DEFAULT_ENGINE = "rowwise"
BLOCK_BYTES = 2 << 20
MEMO_CAP = 50_000  # distinct values remembered per column; past that, values are converted on each miss

BAD = object()  # the cell (so the row) must go through RowChecker.check


def engine() -> str:
    name = os.environ.get(ENGINE_ENV, DEFAULT_ENGINE).strip().lower() or DEFAULT_ENGINE
    if name not in ENGINES:
        raise ValueError(f"{ENGINE_ENV}={name!r}: допустимо {' или '.join(ENGINES)}")
    return name


def usable(scan) -> bool:
    """True when the vectorised engine can take this file (CSV with distinct header names)."""
    body = scan.opened.csv_body
    return body is not None and len(set(body.headers)) == len(body.headers)


class _Memo(dict):
    """cell → result, computed on a miss by ``compute`` and kept while the memo is small."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[str], Any]):
        super().__init__()
        self.compute = compute

    def __missing__(self, cell: str) -> Any:
        value = self.compute(cell)
        if len(self) < MEMO_CAP:
            self[cell] = value
        return value


def _empty(cell: str) -> bool:
    return cell == "" or cell.isspace()


def _hmac_tokenizer(key: bytes) -> Callable[[str], str]:
    """HMAC-SHA-256 hex, identical to ``pseudonymise.tokenizer``, built from copied SHA-256 states (faster)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    icopy, ocopy = inner.copy, outer.copy

    def token(value: str) -> str:
        h = icopy()
        h.update(value.encode())
        o = ocopy()
        o.update(h.digest())
        return o.hexdigest()

    return token


class BlockChecker:
    """Everything about one entity that the block loop needs, compiled once per file."""

    def __init__(self, checker: RowChecker, headers: list[str], key: bytes):
        self.checker = checker
        self.width = len(headers)
        self.token = _hmac_tokenizer(key)
        assert self.token("проверка") == checker.token("проверка")
        self._row_key = checker._row_key
        where = {h: i for i, h in enumerate(headers)}
        self.where = [where.get(f.header) for f in checker.fields]
        self.memos: list[_Memo | None] = []
        for f, conv, kind in zip(checker.fields, checker.convs, checker._kinds, strict=True):
            snils = f.type == "snils" or f.pii == "snils"
            if kind == 3:
                self.memos.append(None)  # every СНИЛС is different: checked inline
            elif kind == 4:
                self.memos.append(None)  # certificate, address, phone: nearly unique, checked inline
            else:
                self.memos.append(_Memo(self._compute(f, conv, kind, snils)))
        consent = checker.consent_index
        self.consent_index = consent
        self.date_parts = _Memo(lambda d: "\\N\t\\N" if d is None else f"{d.year}\t{d.month}")
        self.date_iso = _Memo(self._iso_pair)
        self.names = _Memo(self._name_forms)

    def _compute(self, f, conv, kind: int, snils: bool) -> Callable[[str], Any]:
        """The memo function of one column: what ``RowChecker.check`` would make of a cell, or BAD."""
        required = f.required
        is_consent = (
            self.checker.consent_index is not None and f is self.checker.fields[self.checker.consent_index]
        )

        def compute(cell):
            if cell is None or _empty(cell):
                return BAD if required else None
            if snils:
                digits = pseudonymise.snils_digits(cell)
                if digits is None or not pseudonymise.snils_is_valid(digits):
                    return BAD  # a warning: the row-by-row path writes it
                value = digits
            else:
                try:
                    value = conv(cell)
                except Reject:
                    return BAD
            if is_consent and value is False:
                return BAD  # no consent: only a headcount, done by the row-by-row path
            if kind == 0:
                return _copy_text(value)
            return value  # name part (stripped text) or birth date

        return compute

    @staticmethod
    def _iso_pair(d):
        swap = pseudonymise.swapped(d)
        return d.isoformat(), (swap.isoformat() if swap is not None else None)

    @staticmethod
    def _name_forms(parts):
        last, first, middle = parts
        exact = pseudonymise.normalise_name(last, first, middle)
        if not exact or " " not in exact:
            return None
        return (
            exact,
            pseudonymise.fuzzy_name(last, first, middle),
            pseudonymise.fuzzy_name(last, first),
        )

    def _inline(self, i: int, column: tuple) -> list:
        """СНИЛС and documents: the parsed value per cell (digits or stripped text), None or BAD."""
        f = self.checker.fields[i]
        required = f.required
        kind = self.checker._kinds[i]
        out: list = []
        append = out.append
        if kind == 3:
            digits_of, valid = pseudonymise.snils_digits, pseudonymise.snils_is_valid
            for cell in column:
                if cell is None or _empty(cell):
                    append(BAD if required else None)
                    continue
                d = digits_of(cell)
                append(d if d is not None and valid(d) else BAD)
            return out
        conv = self.checker.convs[i]
        if f.type == "string":
            limit = f.max_length or 1000
            for cell in column:
                if cell is None:
                    append(BAD if required else None)
                    continue
                text = cell.strip()
                if not text:
                    append(BAD if required else None)
                elif len(text) > limit:
                    append(BAD)
                else:
                    append(text)
            return out
        for cell in column:
            if cell is None or _empty(cell):
                append(BAD if required else None)
                continue
            try:
                append(conv(cell))
            except Reject:
                append(BAD)
        return out

    def block(self, records: list[list[str]], ns: list[int], meta: str) -> tuple[str, list[int], list[int]]:
        """COPY text of the clean rows, their row hashes, and the positions of rows for the row-by-row path."""
        checker = self.checker
        rows = len(records)
        columns = list(zip(*records, strict=True)) if records else []
        none_column = (None,) * rows
        parsed: list[list] = []
        bad = bytearray(rows)
        for i, memo in enumerate(self.memos):
            idx = self.where[i]
            column = columns[idx] if idx is not None else none_column
            values = list(map(memo.__getitem__, column)) if memo is not None else self._inline(i, column)
            if BAD in values:
                for r, v in enumerate(values):
                    if v is BAD:
                        bad[r] = 1
            parsed.append(values)
        slow = [r for r in range(rows) if bad[r]] if any(bad) else []
        if slow:
            keep = [not b for b in bad]
            parsed = [list(compress(v, keep)) for v in parsed]
            records = list(compress(records, keep))
            ns = list(compress(ns, keep))
        if not records:
            return "", [], slow

        token = self.token
        out: list = []
        for kind, values in zip(checker._kinds, parsed, strict=True):
            if kind == 0:
                out.append(["\\N" if v is None else v for v in values])
            elif kind == 2:
                out.append(list(map(self.date_parts.__getitem__, values)))
            elif kind == 3:
                out.append([token(v) if v else "\\N" for v in values])
            elif kind == 4:
                out.append(self._document_tokens(values))
        for p_last, p_first, p_middle, p_birth in checker._person_idx:
            out.extend(
                self._person_tokens(
                    parsed[p_last] if p_last is not None else None,
                    parsed[p_first] if p_first is not None else None,
                    parsed[p_middle] if p_middle is not None else None,
                    parsed[p_birth] if p_birth is not None else None,
                    len(records),
                )
            )
        hashes = self._row_hashes(records)
        lines = map(
            "\t".join,
            zip(*out, repeat(meta), map(str, ns), map(str, hashes), strict=False),
        )
        return "\n".join(lines) + "\n", hashes, slow

    def _document_tokens(self, values: list) -> list[str]:
        token = self.token
        out = []
        append = out.append
        for v in values:
            if v is None:
                append("\\N")
                continue
            text = "".join(str(v).split()).upper()
            append(token(text) if text else "\\N")
        return out

    def _person_tokens(self, lasts, firsts, middles, births, rows: int) -> list[list[str]]:
        none = repeat(None, rows)
        lasts, firsts, middles, births = (
            x if x is not None else none for x in (lasts, firsts, middles, births)
        )
        token = self.token
        names, iso_pair = self.names.__getitem__, self.date_iso.__getitem__
        c1, c2, c3, c4, c5 = [], [], [], [], []
        nulls = "\\N"
        for last, first, middle, birth in zip(lasts, firsts, middles, births, strict=False):
            forms = names((last, first, middle)) if birth is not None and last and first else None
            if forms is None:
                c1.append(nulls)
                c2.append(nulls)
                c3.append(nulls)
                c4.append(nulls)
                c5.append(nulls)
                continue
            exact, fuzzy, short = forms
            iso, siso = iso_pair(birth)
            c1.append(token(f"{exact}|{iso}"))
            c3.append(token(f"{fuzzy}|{iso}"))
            c5.append(token(f"{short}|{iso}"))
            if siso is None:
                c2.append(nulls)
                c4.append(nulls)
            else:
                c2.append(token(f"{exact}|{siso}"))
                c4.append(token(f"{fuzzy}|{siso}"))
        return [c1, c2, c3, c4, c5]

    def _row_hashes(self, records: list[list[str]]) -> list[int]:
        base = hashlib.blake2b(digest_size=8, key=self._row_key)
        copy = base.copy
        from_bytes = int.from_bytes
        out = []
        append = out.append
        for record in records:
            h = copy()
            h.update("\x1f".join(record).encode())
            append(from_bytes(h.digest(), "big", signed=True))
        return out


# --- reading blocks ---------------------------------------------------------------------------------------


def _decode_block(raw: bytes, decoder, line_no: int) -> str | None:
    """The block as text exactly as the line decoder would read it line by line, or None when unsure.

    Updates the decoder's memory of the encodings met, as the line-by-line reading would.
    """
    if raw.isascii():
        return raw.decode("ascii")
    if decoder.seen_cp1251_line is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            if decoder.seen_utf8_line is None:
                decoder.seen_utf8_line = line_no + _first_non_ascii(raw)
            return text
    if decoder.seen_utf8_line is not None or _UTF8_CYRILLIC.search(raw):
        return None  # a mix of encodings: the line-by-line reader finds and reports it
    first = None
    if decoder.seen_cp1251_line is None:
        at = _first_non_ascii(raw)
        line = raw.split(b"\n", at + 1)[at]
        try:
            line.decode("utf-8")
            return None  # that line alone would read as UTF-8: leave the details to the line reader
        except UnicodeDecodeError:
            first = line_no + at
    try:
        text = raw.decode("cp1251")
    except UnicodeDecodeError:
        return None
    if first is not None:
        decoder.seen_cp1251_line = first
    return text


def _first_non_ascii(raw: bytes) -> int:
    """Index of the first line with a non-ASCII byte."""
    for i, line in enumerate(raw.split(b"\n")):
        if not line.isascii():
            return i
    return 0


def _records(lines: list[str], delimiter: str) -> list[list[str]] | None:
    """One CSV record per physical line, or None when a record spans lines (quoted line breaks)."""
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    if not any('"' in line for line in lines):
        try:
            return list(reader)
        except csv.Error:
            return None
    out = []
    try:
        for record in reader:
            out.append(record)
            if reader.line_num != len(out):
                return None
    except csv.Error:
        return None
    return out


Item = tuple[str, list[int]] | tuple[int, Checked, dict]


def scan_blocks(scan, body: CsvBody, sid: int, relative: str, key: bytes) -> Iterator[Item]:
    """Yield ``(copy_text, row_hashes)`` for the clean rows of each block and ``(n, checked, cells)`` for the
    rest, in file order within each kind; the row-by-row reader takes over at the first unusual block."""
    checker: RowChecker = scan.checker
    fast = BlockChecker(checker, body.headers, key)
    meta = f"{sid}\t{_copy_text(relative)}"
    fh, decoder, delimiter = body.fh, body.decoder, body.delimiter
    csv.field_size_limit(MAX_LINE_BYTES)
    fh.seek(body.offset)
    line_no, n = 2, 0
    try:
        while True:
            start = fh.tell()
            raw = fh.read(BLOCK_BYTES)
            if not raw:
                return
            if not raw.endswith(b"\n"):
                raw += fh.readline(MAX_LINE_BYTES + 1)
            lines_raw = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
            usual = (
                b"\x00" not in raw
                and raw.count(b"\r") == raw.count(b"\r\n")
                and (len(raw) <= MAX_LINE_BYTES or max(map(len, raw.split(b"\n"))) < MAX_LINE_BYTES)
            )
            seen = (decoder.seen_utf8_line, decoder.seen_cp1251_line)
            text = _decode_block(raw, decoder, line_no) if usual else None
            records = None
            if text is not None:
                lines = text.split("\n")
                if raw.endswith(b"\n"):
                    lines.pop()
                records = _records(lines, delimiter)
            if records is None:
                decoder.seen_utf8_line, decoder.seen_cp1251_line = seen
                yield from _row_by_row(checker, body.rows(start, line_no, n))
                return
            line_no += lines_raw
            good, ns, broken = [], [], []
            width = fast.width
            for record in records:
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                n += 1
                if len(record) == width:
                    good.append(record)
                    ns.append(n)
                else:
                    broken.append((n, record))
            copy_text, hashes, slow = fast.block(good, ns, meta)
            if copy_text:
                yield copy_text, hashes
            rest = [(ns[r], good[r]) for r in slow]
            if broken:
                rest = sorted(rest + broken, key=lambda item: item[0])
            for rn, record in rest:
                yield from _row_by_row(checker, [body.record_item(record, rn)])
    finally:
        fh.close()


def _row_by_row(checker: RowChecker, items) -> Iterator[tuple[int, Checked, dict]]:
    """What ``Scan.rows`` yields, for rows the block check could not pass."""
    for n, cells in items:
        if isinstance(cells, BrokenRow):
            yield (
                n,
                Checked(None, [Issue(n, None, None, cells.rule, "reject_row", "", cells.message)]),
                cells.cells,
            )
            continue
        checked = checker.check(n, cells)
        if checked.values is not None or checked.anonymous is not None:
            checked.row_hash = checker.row_hash(cells)
        yield n, checked, cells


__all__ = ["BlockChecker", "engine", "scan_blocks", "usable"]
