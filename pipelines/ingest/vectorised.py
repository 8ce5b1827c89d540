"""The vectorised ingestion engine for CSV: blocks of rows checked column by column, tokens in tight loops.

The row-by-row engine (``RowChecker.check`` per row) spends most of its time on per-row Python calls. Here a
file is read in blocks of about 1 MB; each block is decoded at once and cut into columns: a quote-free block
whose every line is a full record by C where ``pipelines.native`` is available (columns of repeating values
dictionary-encoded: each distinct cell once, and a code per row; free-text columns as one joined text, passed on
whole when every cell passes as it is), else by a few ``str`` calls on the whole block (split at line ends and
delimiters, every column a slice); any other block record by record (``str.split`` or the csv module). Every
column is checked against the contract through a memo of ``cell → result`` that calls the *same* converter as
the row-by-row engine once per distinct value (codes, dates, grades and names repeat a lot), so a value means
exactly what it means there. A row that any column cannot pass as certainly clean (a rule broken, a warning,
a missing required value, no consent) goes through ``RowChecker.check`` as before, so every message, masking
rule and headcount stays identical. Free text, СНИЛС and documents, nearly unique, are checked with the same
rules a column at a time (СНИЛС check numbers in numpy). Clean rows get their tokens (eight HMACs per pupil
row), row hashes and COPY text a column or a block per call: in C where ``pipelines.native`` could compile its
helper (see ``_Tokens``), else in Python (``map`` over columns, one ``join`` per row), with the same result.

Anything structurally unusual (a line over 1 MB, NUL bytes, a quoted value across lines, a mix of encodings,
bare carriage returns) hands the rest of the file to the row-by-row reader from that block on. JSON Lines and
XLSX always use the row-by-row engine: their cells are typed values (numbers, dates, JSON null), not the text
the memos and column checks here are built on.

``KONTINGENT_INGEST_ENGINE=rowwise|vectorised`` picks the engine (vectorised by default; both leave the same
warehouse, see tests/ingest/test_engines_agree.py); ``validate_file`` uses it too. ``KONTINGENT_INGEST_WORKERS``
sets how many forked worker processes check blocks (default none; worth trying where cores are spare).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import compress, repeat
from operator import add, and_, is_not, itemgetter, truth
from typing import Any, NamedTuple

import numpy as np

from pipelines import native as compiled
from pipelines import pseudonymise
from pipelines.ingest.readers import MAX_LINE_BYTES, BrokenRow, CsvBody
from pipelines.ingest.validation import DEFAULT_MAX_LENGTH, Checked, Issue, Reject, RowChecker, _copy_text

try:  # CPython's built-in SHA-256: the same digest, cheaper per copy than OpenSSL's for short messages
    from _sha256 import sha256 as _sha256
except ImportError:  # a Python built without it
    _sha256 = hashlib.sha256

ENGINE_ENV = "KONTINGENT_INGEST_ENGINE"
WORKERS_ENV = "KONTINGENT_INGEST_WORKERS"
ENGINES = ("rowwise", "vectorised")
DEFAULT_ENGINE = "vectorised"  # proven equal by tests/ingest/test_engines_agree.py
BLOCK_BYTES = 1 << 20  # about 6 000 roster rows: per-block costs vanish, memory stays small
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

    __slots__ = ("compute", "bad")

    def __init__(self, compute: Callable[[str], Any]):
        super().__init__()
        self.compute = compute
        self.bad = False  # has any cell come out BAD (only then can a lookup return BAD)

    def __missing__(self, cell: str) -> Any:
        value = self.compute(cell)
        if value is BAD:
            self.bad = True
        if len(self) < MEMO_CAP:
            self[cell] = value
        return value


def _empty(cell: str) -> bool:
    return cell == "" or cell.isspace()


class _Tokens:
    """HMAC-SHA-256 hex tokens of values, identical to ``pseudonymise.tokenizer``: ``tokens(values)`` a list,
    ``tokens.column(values, keep)`` a column for ``BlockChecker._copy_lines`` (``\\N`` where ``keep`` is false,
    ``values`` holding one value per true entry).

    Many values per C call where the compiled helper is available (``pipelines.native``: about 0.35 µs a token
    on the 2-core machine, Python's joining included), else ``_python_tokens`` (about 0.9 µs). A column from C
    stays bytes all the way into the COPY text.
    """

    def __init__(self, key: bytes) -> None:
        self.python = _python_tokens(key)
        self.native = compiled.hmac_sha256_hex(key)

    def __call__(self, values: Iterable[str]) -> list[str]:
        tokens = self.column(values)
        if isinstance(tokens, bytes):
            return tokens.decode().split("\0") if tokens else []
        return tokens

    def prepare(self, values: Iterable[str]) -> list[str] | compiled.Joined:
        """Values as ``column`` takes them, built once where several columns share them (a birth date)."""
        values = values if isinstance(values, list) else list(values)
        if self.native is not None:
            try:
                return compiled.joined(values)
            except ValueError:  # a NUL in a value (the C side splits on it; a checked cell has none)
                pass
        return values

    def column(
        self,
        values: Iterable[str] | compiled.Joined,
        keep: list[bool] | None = None,
        suffixes: Iterable[str] | compiled.Joined | None = None,
    ) -> list[str] | bytes:
        """The tokens of ``values`` (each followed by its suffix, if given) for the rows where ``keep`` is true
        (all rows without it), ``\\N`` for the others."""
        values, suffixes = _once(values), _once(suffixes)
        if self.native is not None:
            try:
                return self.native.column(values, keep, suffixes)
            except ValueError:  # as above
                pass
        values, suffixes = _listed(values), _listed(suffixes)
        tokens = self.python(values if suffixes is None else map(add, values, suffixes))
        return tokens if keep is None else _expand(tokens, keep)


def _once(values: Iterable[str] | compiled.Joined | None) -> list[str] | compiled.Joined | None:
    """The values as a list or ``Joined``: an iterator is read once, so that the Python path can read them too."""
    return values if values is None or isinstance(values, list | compiled.Joined) else list(values)


def _listed(values: list[str] | compiled.Joined | None) -> list[str] | None:
    """The values as a list of strings (a ``Joined`` split back)."""
    if isinstance(values, compiled.Joined):
        return values.data.decode().split("\0") if values.n else []
    return values


def _python_tokens(key: bytes) -> Callable[[Iterable[str]], list[str]]:
    """``_Tokens`` in Python, from copied keyed states.

    Measured per token on the 2-core machine: a loop over copies of the two SHA-256 states 1.3–1.4 µs with
    OpenSSL's SHA-256 and 10–20 % less with CPython's own (``_sha256``, no OpenSSL call set-up per copy),
    OpenSSL's HMAC objects 2.4 µs, the one-shot ``hmac.digest`` (even chained by ``map``) 5.4 µs: with
    OpenSSL 3 the cost is the setting up per call, not SHA-256. Building the copies, updates and digests with
    ``map`` over whole lists was slower than the loop (a list of live hash objects per step).
    """
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = _sha256(bytes(b ^ 0x36 for b in key))
    outer = _sha256(bytes(b ^ 0x5C for b in key))

    def tokens(values: Iterable[str]) -> list[str]:
        out: list[str] = []
        append, icopy, ocopy = out.append, inner.copy, outer.copy
        for message in map(str.encode, values):
            h = icopy()
            h.update(message)
            o = ocopy()
            o.update(h.digest())
            append(o.hexdigest())
        return out

    return tokens


def _expand(values: list, keep: list[bool], missing: Any = "\\N") -> list:
    """``values`` computed for the rows where ``keep`` is true, spread back over all rows (``missing`` elsewhere)."""
    it = iter(values)
    return [next(it) if k else missing for k in keep]


class BlockChecker:
    """Everything about one entity that the block loop needs, compiled once per file."""

    def __init__(self, checker: RowChecker, headers: list[str], key: bytes):
        self.checker = checker
        self.width = len(headers)
        self.tokens = _Tokens(key)
        assert self.tokens(["проверка"]) == [checker.token("проверка")]
        self._row_base = hashlib.blake2b(digest_size=8, key=checker._row_key)
        self._compiled_row_hashes = compiled.row_hashes(checker._row_key)
        if self._compiled_row_hashes is not None:
            assert self._compiled_row_hashes("а;b\r\nc;d".encode(), 2, ";", True).tolist() == [
                checker.row_hash({"a": "а", "b": "b"}),
                checker.row_hash({"a": "c", "b": "d"}),
            ]
        self._compiled_copy_lines = compiled.copy_lines()
        self.cut = compiled.cutter()
        where = {h: i for i, h in enumerate(headers)}
        self.where = [where.get(f.header) for f in checker.fields]
        self.memos: list[_Memo | None] = []
        for f, conv, kind in zip(checker.fields, checker.convs, checker._kinds, strict=True):
            snils = f.type == "snils" or f.pii == "snils"
            if kind == 3:
                self.memos.append(None)  # every СНИЛС is different: checked inline
            elif kind == 4 or (kind == 0 and f.type == "string" and not snils):
                self.memos.append(None)  # ids, certificate, address, phone: often unique, checked inline
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
        """The ISO birth date and its day-month swap (None when there is none), or None without a date."""
        if d is None:
            return None
        swap = pseudonymise.swapped(d)
        return d.isoformat(), (swap.isoformat() if swap is not None else None)

    @staticmethod
    def _name_forms(parts):
        """Exact, fuzzy and short name forms, each ending in "|" (the token message continues with the date)."""
        last, first, middle = parts
        if not last or not first:
            return None
        exact = pseudonymise.normalise_name(last, first, middle)
        if not exact or " " not in exact:
            return None
        return (
            exact + "|",
            pseudonymise.fuzzy_name(last, first, middle) + "|",
            pseudonymise.fuzzy_name(last, first) + "|",
        )

    def _inline(self, i: int, column: tuple | list | compiled.Text) -> list | compiled.Text:
        """СНИЛС, free text and documents: digits, stripped text (COPY text for a plain column), None or BAD;
        or, for a text column cut by C whose cells all pass as they are, that column itself (``compiled.Text``)."""
        f = self.checker.fields[i]
        required = f.required
        kind = self.checker._kinds[i]
        if isinstance(column, compiled.Text):
            if (
                kind != 3
                and f.type == "string"
                and _passes_as_is(column, f.max_length or DEFAULT_MAX_LENGTH, kind == 0)
            ):
                return column
            column = column.text.split("\0")
        out: list = []
        append = out.append
        if kind == 3:
            usual = _usual_snils(column)
            if usual is not None:
                out, others = usual  # cells in another spelling (or empty) are checked one by one below
                for r in others:
                    cell = column[r]
                    if _empty(cell):
                        out[r] = BAD if required else None
                    else:
                        out[r] = BAD if (d := _snils(cell)) is None else d
                return out
            for cell in column:
                if cell is None or _empty(cell):
                    append(BAD if required else None)
                    continue
                d = _snils(cell)
                append(BAD if d is None else d)
            return out
        conv = self.checker.convs[i]
        if f.type == "string":
            limit = f.max_length or DEFAULT_MAX_LENGTH
            shown = _copy_text if kind == 0 else str
            if column and column[0] is not None:
                # The usual block: every cell filled, none too long, nothing to escape (checked per column).
                texts = list(map(str.strip, column))
                if "" not in texts and max(map(len, texts)) <= limit:
                    if kind != 0 or not _needs_escape("".join(texts)):
                        return texts
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
                    append(shown(text))
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

    def block(
        self, columns: list | compiled.Cells, data: RowsText, ns: list[int], meta: str
    ) -> tuple[str | bytes, array, list[int]]:
        """COPY text of the clean rows, their row hashes, and the positions of rows for the row-by-row path.

        ``columns`` holds the cells of the file's columns (a list of columns, or the block cut by C), ``data``
        the rows as the row hash reads them, ``ns`` the row numbers.
        """
        checker = self.checker
        rows = len(ns)
        none_column = (None,) * rows
        cut = isinstance(columns, compiled.Cells)
        kinds = checker._kinds
        parsed: list[list] = []
        bad = bytearray(rows)
        for i, memo in enumerate(self.memos):
            idx = self.where[i]
            if idx is None:
                values = (
                    list(map(memo.__getitem__, none_column))
                    if memo is not None
                    else self._inline(i, none_column)
                )
            elif memo is None:
                values = self._inline(i, columns.text(idx) if cut else columns[idx])
                if isinstance(values, compiled.Text):
                    parsed.append(values)  # every cell passed
                    continue
            elif cut:
                # each distinct cell converted once per block; a plain column stays coded into the COPY text,
                # others are spread over the rows by their codes
                distinct, codes = columns.coded(idx)
                results = list(map(memo.__getitem__, distinct))
                if memo.bad and BAD in results:
                    wrong = {k for k, v in enumerate(results) if v is BAD}
                    for r, k in enumerate(codes):
                        if k in wrong:
                            bad[r] = 1
                parsed.append(
                    compiled.Coded(results, codes) if kinds[i] == 0 else list(map(results.__getitem__, codes))
                )
                continue
            else:
                values = list(map(memo.__getitem__, columns[idx]))
            if (memo is None or memo.bad) and BAD in values:
                for r, v in enumerate(values):
                    if v is BAD:
                        bad[r] = 1
            parsed.append(values)
        slow = [r for r in range(rows) if bad[r]] if any(bad) else []
        hashes = self._row_hashes(data, rows)
        if slow:
            parsed = list(map(_spread, parsed))
            keep = [not b for b in bad]
            parsed = [list(compress(v, keep)) for v in parsed]
            hashes = array("q", compress(hashes, keep))
            ns = list(compress(ns, keep))
        if not ns:
            return "", array("q"), slow

        out: list = []
        for kind, values in zip(kinds, parsed, strict=True):
            if kind == 0:
                if isinstance(values, compiled.Coded):
                    out.append(
                        values if None not in values.values else values._replace(values=_nulls(values.values))
                    )
                elif isinstance(values, compiled.Text):
                    out.append(values.text.encode())  # COPY text already: nothing to escape
                else:
                    out.append(values if None not in values else _nulls(values))
            elif kind == 2:
                out.append(list(map(self.date_parts.__getitem__, values)))
            elif kind == 3:
                out.append(self._tokens_or_null(values))
            elif kind == 4:
                out.append(self._document_tokens(values))
        for p_last, p_first, p_middle, p_birth in checker._person_idx:
            out.extend(
                self._person_tokens(
                    parsed[p_last] if p_last is not None else None,
                    parsed[p_first] if p_first is not None else None,
                    parsed[p_middle] if p_middle is not None else None,
                    parsed[p_birth] if p_birth is not None else None,
                    len(ns),
                )
            )
        return self._copy_lines(out, meta, ns, hashes), hashes, slow

    def _copy_lines(
        self, out: list[list[str] | bytes], meta: str, ns: list[int], hashes: array
    ) -> str | bytes:
        """The COPY text of the clean rows: their fields, ``meta``, number and hash joined by tabs, a line each;
        in C where ``pipelines.native`` is available (a join per row was a tenth of a roster's time)."""
        if self._compiled_copy_lines is not None:
            try:
                return self._compiled_copy_lines(out, meta, array("q", ns), hashes)
            except ValueError:  # a NUL character in a field (the C side splits on it): the join below
                pass
        out = [c.decode().split("\0") if isinstance(c, bytes) else _spread(c) for c in out]  # tokens from C
        lines = map("\t".join, zip(*out, repeat(meta), map(str, ns), map(str, hashes), strict=False))
        return "\n".join(lines) + "\n"

    def _tokens_or_null(self, values: list) -> list[str] | bytes:
        """Tokens of the non-empty values, \\N for None or ""."""
        keep = list(map(truth, values))
        if all(keep):
            return self.tokens.column(values)
        return self.tokens.column(compress(values, keep), keep)

    def _document_tokens(self, values: list | compiled.Text) -> list[str] | bytes:
        """``pseudonymise.document_token``: upper case without spaces, then HMAC."""
        if isinstance(values, compiled.Text):  # filled cells without spaces around them, joined by NUL
            joined = values.text.replace(" ", "").upper()
            if joined.split(maxsplit=1) == [joined]:  # no other whitespace
                return self.tokens.column(compiled.Joined(joined.encode(), joined.count("\0") + 1))
            values = _spread(values)
        texts = None
        if None not in values and all(map(str.__instancecheck__, values)):
            # Usually the only whitespace is plain spaces: the whole column as one string, two calls in all and
            # one check for other whitespace (NUL is not whitespace; a value holding one splits into two).
            joined = "\0".join(values).replace(" ", "").upper()
            if not joined or joined.split(maxsplit=1) == [joined]:
                texts = joined.split("\0")
                if len(texts) != len(values):
                    texts = None
        if texts is None:
            texts = ["" if v is None else "".join(str(v).split()).upper() for v in values]
        return self._tokens_or_null(texts)

    def _person_tokens(self, lasts, firsts, middles, births, rows: int) -> list[list[str] | bytes]:
        """``pseudonymise.person_token_values`` for a block, column by column (the messages built by ``map``)."""
        none = repeat(None, rows)
        lasts, firsts, middles, births = (
            x if x is not None else none for x in (lasts, firsts, middles, births)
        )
        forms = list(map(self.names.__getitem__, zip(lasts, firsts, middles, strict=False)))
        dates = list(map(self.date_iso.__getitem__, births))
        keep = list(map(and_, map(is_not, forms, repeat(None)), map(is_not, dates, repeat(None))))
        whole = all(keep)
        if not whole:
            forms, dates = list(compress(forms, keep)), list(compress(dates, keep))
        exact, fuzzy, short = (list(map(itemgetter(i), forms)) for i in range(3))
        iso, siso = (list(map(itemgetter(i), dates)) for i in range(2))
        column, prepare = self.tokens.column, self.tokens.prepare
        swapped = list(map(is_not, siso, repeat(None)))
        siso = prepare(compress(siso, swapped))
        # which of all the block's rows get each token (None: every row)
        all_rows = None if whole else keep
        swap_rows = swapped if whole else _expand(swapped, keep, False)
        iso = prepare(iso)  # the message is the name form, then the date: joined in C, each part joined once
        return [
            column(exact, all_rows, iso),
            column(compress(exact, swapped), swap_rows, siso),
            column(fuzzy, all_rows, iso),
            column(compress(fuzzy, swapped), swap_rows, siso),
            column(short, all_rows, iso),
        ]

    def _row_hashes(self, data: RowsText, rows: int) -> array:
        """``RowChecker.row_hash`` of each of the ``rows`` rows (keyed BLAKE2b of its cells joined by \\x1f,
        UTF-8): in C where ``pipelines.native`` is available (about 0.5 µs a roster row against 1.4 µs here)."""
        if self._compiled_row_hashes is not None and (data.delimiter is None or data.delimiter.isascii()):
            return self._compiled_row_hashes(data.data, rows, data.delimiter, data.crlf)
        # Copies of the keyed state: 1.36 µs a row against 1.89 µs for a keyed constructor chained by map.
        copy = self._row_base.copy
        digests: list[bytes] = []
        append = digests.append
        for row in data.records() if rows else ():
            h = copy()
            h.update(row)
            append(h.digest())
        return array("q", map(_SIGNED, digests))


def _spread(column: list | compiled.Coded | compiled.Text) -> list:
    """A column's value for each row (a ``Coded`` column spread over the rows by its codes, a ``Text`` split)."""
    if isinstance(column, compiled.Coded):
        return list(map(column.values.__getitem__, column.codes))
    if isinstance(column, compiled.Text):
        return column.text.split("\0")
    return column


def _passes_as_is(column: compiled.Text, limit: int, plain: bool) -> bool:
    """True when every cell of ``column`` passes as it is: filled, nothing to strip, at most ``limit`` characters
    and, for a ``plain`` column going into the COPY text as it is, nothing to escape (checked on the joined text:
    a few calls, no string per cell)."""
    if column.unstripped or (plain and _needs_escape(column.text)):
        return False
    return column.longest <= limit or max(map(len, column.text.split("\0"))) <= limit  # bytes ≥ characters


def _nulls(values: list) -> list:
    """COPY text fields: ``\\N`` for None."""
    return ["\\N" if v is None else v for v in values]


_SIGNED = partial(int.from_bytes, byteorder="big", signed=True)


def _needs_escape(text: str) -> bool:
    """True when COPY text format would escape something in ``text`` (see ``_copy_text``)."""
    return "\\" in text or "\t" in text or "\n" in text or "\r" in text


_SNILS_DIGITS_AT = np.array([0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13])
_SNILS_WEIGHTS = np.arange(9, 0, -1)
_SNILS_TENS = 10 ** np.arange(8, -1, -1)


def _usual_snils(column: tuple) -> tuple[list, list[int]] | None:
    """A column of СНИЛС checked at once in numpy where cells have the 14 characters of ``123-456-789 01``.

    Returns the digits of each valid number in that spelling (BAD for a wrong check number, as ``_snils``
    + the row checker decide) and the positions of all other cells, left for ``_snils``; None for a column
    that is not in the file or not ASCII.
    """
    rows = len(column)
    if not rows or column[0] is None:
        return None
    lengths = np.fromiter(map(len, column), dtype=np.int64, count=rows)
    fit = lengths == 14
    cells = column if fit.all() else [column[r] for r in np.flatnonzero(fit).tolist()]
    joined = "".join(cells)
    if not joined.isascii():
        return None
    cells = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(len(cells), 14)
    raw = cells[:, _SNILS_DIGITS_AT]
    digits = raw.astype(np.int64) - 48
    usual = (
        (cells[:, 3] == 45)
        & (cells[:, 7] == 45)
        & (cells[:, 11] == 32)
        & ((digits >= 0) & (digits <= 9)).all(1)
    )
    expected = (digits[:, :9] @ _SNILS_WEIGHTS) % 101  # DOMAIN.md §5 (snils_check): 100 and 101 give 00
    expected[expected == 100] = 0
    valid = ((digits[:, :9] @ _SNILS_TENS) <= 1001998) | (digits[:, 9] * 10 + digits[:, 10] == expected)
    found = np.ascontiguousarray(raw).view("S11").ravel().astype("U11").astype(object)
    found[usual & ~valid] = BAD
    out = np.full(rows, None, dtype=object)
    out[fit] = found
    others = np.ones(rows, dtype=bool)
    others[fit] = ~usual
    return out.tolist(), np.flatnonzero(others).tolist()


def _snils(cell: str) -> str | None:
    """The digits of a valid СНИЛС, or None: ``snils_digits`` + ``snils_is_valid``, quicker for the usual
    ``123-456-789 01`` spelling (anything else goes to those functions themselves)."""
    if len(cell) == 14 and cell[3] == "-" and cell[7] == "-" and cell[11] == " ":
        d = cell[:3] + cell[4:7] + cell[8:11] + cell[12:]
        if d.isascii() and d.isdigit():
            if int(d[:9]) <= 1001998:
                return d
            b = d.encode()
            total = (
                9 * b[0]
                + 8 * b[1]
                + 7 * b[2]
                + 6 * b[3]
                + 5 * b[4]
                + 4 * b[5]
                + 3 * b[6]
                + 2 * b[7]
                + b[8]
                - 2160
            )
            if total < 100:
                expected = total
            elif total < 102:
                expected = 0
            else:
                expected = total % 101
                if expected == 100:
                    expected = 0
            return d if int(d[9:]) == expected else None
    d = pseudonymise.snils_digits(cell)
    return d if d is not None and pseudonymise.snils_is_valid(d) else None


# --- reading blocks ---------------------------------------------------------------------------------------


def _decode_block(raw: bytes, decoder, line_no: int, shape: Shape) -> tuple[str, str] | None:
    """The block as text (and its codec) exactly as the line decoder would read it line by line, or None when unsure.

    Updates the decoder's memory of the encodings met, as the line-by-line reading would.
    """
    if shape.ascii:
        return raw.decode("ascii"), "ascii"
    if decoder.seen_cp1251_line is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            if decoder.seen_utf8_line is None:
                decoder.seen_utf8_line = line_no + _first_non_ascii(raw)
            return text, "utf-8"
    if decoder.seen_utf8_line is not None or (
        shape.cyrillic if shape.cyrillic is not None else _has_utf8_cyrillic(raw)
    ):
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
    return text, "cp1251"


def _lines_shorter_than(raw: bytes, limit: int) -> bool:
    """True when ``raw`` is at most ``limit`` bytes or each of its lines (split at \\n) is shorter than that.

    A block is a little over ``limit`` (a megabyte and the rest of its last line): a line of ``limit`` bytes or more
    in it would cover the stretch from ``len(raw) - limit`` to ``limit``, so one line end there settles it without
    splitting the block into lines (which took 5 % of an absences file's time).
    """
    size = len(raw)
    if size <= limit:
        return True
    if size < 2 * limit and raw.find(b"\n", size - limit, limit) != -1:
        return True
    return max(map(len, raw.split(b"\n"))) < limit


def _has_utf8_cyrillic(raw: bytes) -> bool:
    """``_UTF8_CYRILLIC.search(raw)`` (a D0/D1 byte before a continuation byte), in numpy: 3× quicker."""
    b = np.frombuffer(raw, dtype=np.uint8)
    return bool((((b[:-1] | 1) == 0xD1) & ((b[1:] & 0xC0) == 0x80)).any())


def _first_non_ascii(raw: bytes) -> int:
    """Index of the first line with a non-ASCII byte."""
    for i, line in enumerate(raw.split(b"\n")):
        if not line.isascii():
            return i
    return 0


def _records(text: str, delimiter: str) -> list[list[str]] | None:
    """One CSV record per physical line (blank lines included), or None when a record spans lines.

    Without quotes in the block the csv module would only split at the delimiter (carriage returns come only
    before line feeds here), so ``str.split`` gives the same records faster.
    """
    if '"' not in text:
        lines = text.replace("\r\n", "\n").split("\n")
        if text.endswith("\n"):
            lines.pop()
        return list(map(str.split, lines, repeat(delimiter)))
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    out = []
    try:
        for record in reader:
            out.append(record)
            if reader.line_num != len(out):
                return None
    except csv.Error:
        return None
    return out


class CleanBlock(NamedTuple):
    """Rows of a block that passed every check: their COPY text and their row hashes, in file order."""

    text: str | bytes
    hashes: array  # array("q")


Item = CleanBlock | tuple[int, Checked, dict]  # a clean block, or one row checked by ``RowChecker.check``
_LINE_STARTS_BLANK = re.compile(r"\n\s")
_WORKER: BlockChecker | None = None  # the block checker a forked worker inherits from the parent


def workers() -> int:
    """Worker processes for the block checks (``KONTINGENT_INGEST_WORKERS``; 0 = all in this process)."""
    # Opt-in: on the 2-core machines measured so far workers only added pickling (the server's COPY needs the
    # other core), and forking inside a host process with threads (Dagster) is best chosen deliberately.
    value = os.environ.get(WORKERS_ENV, "").strip()
    return max(0, int(value)) if value else 0


def _blank_lines(text: str, delimiter: str) -> int:
    """How many lines the reader skips as blank (whitespace only, no delimiter) in a quote-free block."""
    if not text[:1].isspace() and _LINE_STARTS_BLANK.search(text) is None:
        return 0  # the usual block: no line starts with whitespace, so none is blank (one search, not a loop)
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # what follows the last line end is no line
    return sum(1 for line in lines if delimiter not in line and (not line or line.isspace()))


class RowsText(NamedTuple):
    """A block's rows as the row hash reads them: UTF-8, rows separated by \\n (\\r\\n with ``crlf``), cells by
    ``delimiter`` (hashed as \\x1f) or by \\x1f already (``delimiter`` None)."""

    data: bytes
    delimiter: str | None = None
    crlf: bool = False

    def records(self) -> list[bytes]:
        data = self.data if self.delimiter is None else self.data.replace(self.delimiter.encode(), b"\x1f")
        return data.split(b"\r\n" if self.crlf else b"\n")


class Shape(NamedTuple):
    """What a block's bytes say about its text, counted once on the bytes (quicker than on the decoded text, and
    the same: quotes and line ends are single ASCII bytes in cp1251 and UTF-8 alike): in one pass in C where
    ``pipelines.native`` is available (the Python calls below were 5–7 % of a roster's time)."""

    quoted: bool
    crlf: int  # \r\n line ends
    lf: int  # \n, with or without \r before it
    usual: bool  # no NUL, no \r but before \n, no line of MAX_LINE_BYTES or more
    ascii: bool
    cyrillic: bool | None  # UTF-8 Cyrillic in it (``_has_utf8_cyrillic``); None: not counted yet

    @classmethod
    def of(cls, raw: bytes) -> Shape:
        counted = compiled.block_shape()
        if counted is not None:
            c = counted(raw)
            short = c.longest < MAX_LINE_BYTES or len(raw) <= MAX_LINE_BYTES  # as _lines_shorter_than
            usual = not c.nul and c.cr == c.crlf and short
            return cls(c.quotes > 0, c.crlf, c.lf, usual, not c.high, c.cyrillic > 0)
        crlf = raw.count(b"\r\n")
        usual = b"\x00" not in raw and raw.count(b"\r") == crlf and _lines_shorter_than(raw, MAX_LINE_BYTES)
        return cls(b'"' in raw, crlf, raw.count(b"\n"), usual, raw.isascii(), None)


def _plain_block(
    text: str, delimiter: str, width: int, shape: Shape, cut=None
) -> tuple[list[list[str]] | compiled.Cells, RowsText, int, Callable[[], list[str]]] | None:
    """A quote-free block whose every line has ``width`` cells: its columns, its rows for the row hash, how many
    lines and a function giving the lines; None for any other block.

    With ``cut`` (``pipelines.native.cutter``) C cuts the UTF-8 block into cells and hands out columns as they
    are needed (codes and distinct cells for the memo columns: no string per cell); else a few ``str`` calls on
    the whole block cut it.
    """
    if width < 2:
        return None
    crlf = shape.crlf
    if crlf and crlf != shape.lf:
        text, crlf = text.replace("\r\n", "\n"), 0  # mixed line ends
    end = "\r\n" if crlf else "\n"  # split at whichever it is: no copy of the block without the \r
    body = text[: -len(end)] if text.endswith(end) else text
    data = RowsText(body.encode(), delimiter, bool(crlf))
    if cut is not None and delimiter.isascii():
        rows = body.count(end) + 1
        cells = cut(data.data, rows, delimiter, bool(crlf), width)
        return None if cells is None else (cells, data, rows, lambda: body.split(end))
    lines = body.split(end)
    counts = list(map(str.count, lines, repeat(delimiter)))
    if min(counts) != width - 1 or max(counts) != width - 1:
        return None
    cells = body.replace(end, delimiter).split(delimiter)
    columns = [cells[i::width] for i in range(width)]
    return columns, data, len(lines), lambda: lines


def _split_block(fast: BlockChecker, text: str, delimiter: str, n: int, meta: str, shape: Shape):
    """Number the records after ``n``, check the full-width ones; (COPY text, hashes, rest, last n), or None
    when a record spans lines (the row-by-row reader must take over). ``shape`` is that of the block's bytes."""
    width = fast.width
    if not shape.quoted and (plain := _plain_block(text, delimiter, width, shape, fast.cut)) is not None:
        # The usual block: every line a full record (so none blank), numbered in a row.
        columns, data, count, lines = plain
        copy_text, hashes, slow = fast.block(columns, data, list(range(n + 1, n + 1 + count)), meta)
        if slow:
            at = lines()
            slow = [(n + 1 + r, at[r].split(delimiter)) for r in slow]
        return copy_text, hashes, slow, n + count
    records = _records(text, delimiter)
    if records is None:
        return None
    good, ns, broken = [], [], []
    for record in records:
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        n += 1
        if len(record) == width:
            good.append(record)
            ns.append(n)
        else:
            broken.append((n, record))
    columns = list(zip(*good, strict=True)) if good else [()] * width
    data = RowsText("\n".join(map("\x1f".join, good)).encode())  # _records let no line end into a record
    copy_text, hashes, slow = fast.block(columns, data, ns, meta)
    rest = [(ns[r], good[r]) for r in slow]
    if broken:
        rest = sorted(rest + broken, key=lambda item: item[0])
    return copy_text, hashes, rest, n


def _work(job: tuple[bytes, str, int, str, str]):
    raw, codec, n, meta, delimiter = job
    result = _split_block(_WORKER, raw.decode(codec), delimiter, n, meta, Shape.of(raw))
    assert result is not None  # quote-free blocks only
    copy_text, hashes, rest, n = result
    if isinstance(copy_text, str):
        copy_text = copy_text.encode()  # bytes: no decoding and encoding again in the parent
    return copy_text, hashes, rest, n


def scan_blocks(scan, body: CsvBody, sid: int, relative: str, key: bytes) -> Iterator[Item]:
    """Yield a ``CleanBlock`` for the clean rows of each block and ``(n, checked, cells)`` for the
    rest, in file order within each kind; the row-by-row reader takes over at the first unusual block.

    Quote-free blocks of a big file are checked by forked worker processes (a few blocks in flight, so memory
    stays flat) while this process streams the results into COPY and the server writes them.
    """
    global _WORKER
    checker: RowChecker = scan.checker
    fast = BlockChecker(checker, body.headers, key)
    meta = f"{sid}\t{_copy_text(relative)}"
    fh, decoder, delimiter = body.fh, body.decoder, body.delimiter
    csv.field_size_limit(MAX_LINE_BYTES)
    pool = None
    n_workers = workers()
    if n_workers and os.fstat(fh.fileno()).st_size - body.offset > 2 * BLOCK_BYTES:
        import multiprocessing

        _WORKER = fast
        pool = multiprocessing.get_context("fork").Pool(n_workers)
        _WORKER = None
    pending: deque = deque()

    def emit(result) -> Iterator[Item]:
        copy_text, hashes, rest, _n = result
        if copy_text:
            yield CleanBlock(copy_text, hashes)
        for rn, record in rest:
            yield from _row_by_row(checker, [body.record_item(record, rn)])

    def drain(keep: int) -> Iterator[Item]:
        while len(pending) > keep:
            future, expected = pending.popleft()
            result = future.get()
            if result[3] != expected:
                raise RuntimeError(f"block numbering: {result[3]} records, expected {expected}")
            yield from emit(result)

    fh.seek(body.offset)
    line_no, n = 2, 0
    try:
        while True:
            start = fh.tell()
            raw = fh.read(BLOCK_BYTES)
            if not raw:
                break
            if not raw.endswith(b"\n"):
                raw += fh.readline(MAX_LINE_BYTES + 1)
            shape = Shape.of(raw)
            lines_raw = shape.lf + (0 if raw.endswith(b"\n") else 1)
            seen = (decoder.seen_utf8_line, decoder.seen_cp1251_line)
            decoded = _decode_block(raw, decoder, line_no, shape) if shape.usual else None
            if decoded is not None and pool is not None and not shape.quoted:
                text, codec = decoded
                expected = n + lines_raw - _blank_lines(text, delimiter)
                pending.append((pool.apply_async(_work, ((raw, codec, n, meta, delimiter),)), expected))
                n = expected
                line_no += lines_raw
                yield from drain(n_workers)  # at most one block per worker waits: memory stays flat
                continue
            yield from drain(0)
            result = (
                _split_block(fast, decoded[0], delimiter, n, meta, shape) if decoded is not None else None
            )
            if result is None:
                decoder.seen_utf8_line, decoder.seen_cp1251_line = seen
                yield from _row_by_row(checker, body.rows(start, line_no, n))
                return
            line_no += lines_raw
            n = result[3]
            yield from emit(result)
        yield from drain(0)
    finally:
        fh.close()
        if pool is not None:
            pool.terminate()
            pool.join()


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


__all__ = ["BlockChecker", "CleanBlock", "engine", "scan_blocks", "usable"]
