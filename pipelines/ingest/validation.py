"""Row validation against the contract, and the shape of the raw table it produces.

``RowChecker(source, entity)`` compiles one converter per field once; ``check(cells)`` then turns a row of raw
cells into the values of ``raw.<source>__<entity>`` (personal fields replaced by tokens) or into the list of
rules the row broke. Everything here is pure: no database, no files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from stdnum.ru import inn as stdnum_inn

from pipelines import pseudonymise
from pipelines.contract import Entity, Field, Source
from pipelines.ingest.readers import cell_text

DEFAULT_MAX_LENGTH = 1000
NAME_PARTS = ("last_name", "first_name", "middle_name")
# Letters of any alphabet (Cyrillic with Buryat Ү Ө Һ, Latin), spaces, hyphens, apostrophes, dots.
# A "?" stands for a letter that Windows-1251 cannot hold (Buryat Ү, Ө, Һ): accepted, the sender is warned.
_NAME_OK = re.compile(r"^(?:[^\W\d_]|\?)+(?:[ \-'’.]+(?:[^\W\d_]|\?)*)*$")
_INT = re.compile(r"^[+-]?\d+$")
_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_TRUE = {"true", "1", "да", "д", "yes", "y", "t", "истина"}
_FALSE = {"false", "0", "нет", "н", "no", "n", "f", "ложь"}
SQL_TYPES = {
    "string": "text",
    "code": "text",
    "inn": "text",
    "int": "integer",
    "decimal": "numeric",
    "date": "date",
    "bool": "boolean",
}


class Reject(Exception):  # noqa: N818 - a value, not an error condition of the program
    def __init__(self, rule: str, message: str):
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class Issue:
    """One problem in one row (or the whole file when ``row`` is None)."""

    row: int | None
    field: str | None
    header: str | None
    rule: str
    action: str  # reject_row | warn | reject_file
    value: str  # masked where personal
    message: str


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str


def mask(value: Any, pii: str | None) -> str:
    """What a message may show of a value: personal data masked, long text shortened."""
    text = cell_text(value).strip()
    if not text:
        return ""
    if pii is None:
        return text if len(text) <= 60 else text[:57] + "…"
    if pii == "birth_date":
        return re.sub(r"\d", "*", text[:-4]) + text[-4:] if len(text) >= 4 else "****"
    if pii in NAME_PARTS:
        return text[0] + "*" * min(len(text) - 1, 8)
    return "*" * min(len(text), 11)


# --- converters ---------------------------------------------------------------------------------------------


def _date_parser(fmt: str) -> Callable[[str], dt.date]:
    if fmt in ("%d.%m.%Y",):
        pattern, order = _DMY, (3, 2, 1)
    elif fmt in ("iso", "%Y-%m-%d"):
        pattern, order = _YMD, (1, 2, 3)
    else:
        pattern = None

    if pattern is not None:

        def parse(text: str) -> dt.date:
            m = pattern.match(text)
            if not m:
                raise Reject("bad_type", "не дата")
            y, mo, d = (int(m.group(i)) for i in order)
            try:
                return dt.date(y, mo, d)
            except ValueError:
                raise Reject("impossible_date", "такой даты нет в календаре") from None

        return parse

    shape = re.compile(
        "^"
        + re.sub(
            r"%[dmY]",
            lambda m: r"\d{4}" if m.group() == "%Y" else r"\d{1,2}",
            re.escape(fmt).replace("%%", "%"),
        )
        + "$"
    )

    def parse_generic(text: str) -> dt.date:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            rule = "impossible_date" if shape.match(text) else "bad_type"
            raise Reject(
                rule, "такой даты нет в календаре" if rule == "impossible_date" else "не дата"
            ) from None

    return parse_generic


def _shown_format(fmt: str) -> str:
    return {"%d.%m.%Y": "ДД.ММ.ГГГГ", "iso": "ГГГГ-ММ-ДД", "%Y-%m-%d": "ГГГГ-ММ-ДД"}.get(fmt, fmt)


def _bound(value: Any, ftype: str) -> Any:
    if value is None:
        return None
    if ftype == "date":
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if ftype == "decimal":
        return Decimal(str(value))
    return int(value)


def converter(field: Field, date_format: str) -> Callable[[Any], Any]:
    """A function from a raw cell (not empty) to the typed value, raising :class:`Reject`."""
    ftype = field.type
    lo, hi = _bound(field.min, ftype), _bound(field.max, ftype)

    def check_range(v):
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            span = (
                f"от {lo} до {hi}"
                if lo is not None and hi is not None
                else (f"не меньше {lo}" if lo is not None else f"не больше {hi}")
            )
            raise Reject("out_of_range", f"значение вне допустимого диапазона ({span})")
        return v

    if ftype == "int":

        def conv_int(cell):
            if isinstance(cell, bool):
                raise Reject("bad_type", "ожидается целое число")
            if isinstance(cell, int):
                return check_range(cell)
            if isinstance(cell, float):
                if cell.is_integer():
                    return check_range(int(cell))
                raise Reject("bad_type", "ожидается целое число")
            text = str(cell).strip()
            if not _INT.match(text):
                raise Reject("bad_type", "ожидается целое число")
            return check_range(int(text))

        return conv_int

    if ftype == "decimal":

        def conv_decimal(cell):
            try:
                value = Decimal(str(cell).strip().replace(",", ".").replace(" ", ""))
            except InvalidOperation:
                raise Reject("bad_type", "ожидается число") from None
            if not value.is_finite():
                raise Reject("bad_type", "ожидается число")
            return check_range(value)

        return conv_decimal

    if ftype == "date":
        parse = _date_parser(date_format)
        shown = _shown_format(date_format)
        sane_lo, sane_hi = dt.date(1900, 1, 1), dt.date.today() + dt.timedelta(days=366)

        def conv_date(cell):
            if isinstance(cell, dt.datetime):
                value = cell.date()
            elif isinstance(cell, dt.date):
                value = cell
            else:
                try:
                    value = parse(str(cell).strip())
                except Reject as r:
                    if r.rule == "bad_type":
                        raise Reject("bad_type", f"ожидается дата в формате {shown}") from None
                    raise Reject("impossible_date", f"невозможная дата: {r.message}") from None
            if not (sane_lo <= value <= sane_hi):
                raise Reject("impossible_date", "невозможная дата (слишком давно или в будущем)")
            return check_range(value)

        return conv_date

    if ftype == "bool":
        codes = {k.strip().lower(): v for k, v in (field.codes or {}).items()}

        def conv_bool(cell):
            if isinstance(cell, bool):
                return cell
            text = str(cell).strip().lower()
            if text in codes:
                return str(codes[text]).lower() in ("true", "1", "yes")
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            allowed = ", ".join(f"«{k}»" for k in (field.codes or {"Да": 1, "Нет": 0}))
            raise Reject("unknown_code", f"допустимые значения: {allowed}")

        return conv_bool

    if ftype == "code":
        exact = dict(field.codes or {})
        loose = {k.strip().lower(): v for k, v in exact.items()}
        allowed = ", ".join(f"«{k}»" for k in exact)
        if len(allowed) > 200:
            allowed = allowed[:200] + "…"

        @lru_cache(maxsize=4096)
        def conv_code(cell):
            text = cell if isinstance(cell, str) else cell_text(cell)
            value = exact.get(text)
            if value is None:
                value = loose.get(text.strip().lower())
            if value is None:
                raise Reject("unknown_code", f"значения нет в справочнике; допустимые: {allowed}")
            return value

        return conv_code

    if ftype == "inn":

        @lru_cache(maxsize=4096)
        def conv_inn(cell):
            text = str(cell).strip()
            if not stdnum_inn.is_valid(text):
                raise Reject("bad_type", "ИНН должен состоять из 10 (12) цифр с верной контрольной цифрой")
            return text

        return conv_inn

    max_length = field.max_length or DEFAULT_MAX_LENGTH
    is_name = field.pii in NAME_PARTS

    def conv_string(cell):
        text = (cell if isinstance(cell, str) else cell_text(cell)).strip()
        if len(text) > max_length:
            raise Reject(
                "out_of_range", f"слишком длинное значение ({len(text)} знаков, допустимо {max_length})"
            )
        if is_name and not (_NAME_OK.match(text) and not text.startswith(("-", "'"))):
            raise Reject(
                "bad_type",
                "в ФИО допустимы только буквы, пробел, дефис, апостроф и точка (формулы и команды — нет)",
            )
        return text

    return conv_string


# --- the row checker ----------------------------------------------------------------------------------------


def _copy_text(value: Any) -> str:
    """A value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass
class Checked:
    """The outcome for one row."""

    values: list[str] | None  # COPY text values in ``RowChecker.columns`` order; None when rejected
    issues: list[Issue]
    anonymous: tuple | None = None  # headcount key of a pupil without consent (no row is kept)
    row_hash: int = 0


class RowChecker:
    """Validates rows of one entity and shapes them for its raw table."""

    def __init__(self, source: Source, entity: Entity, key: bytes):
        self.source = source
        self.entity = entity
        self.token = pseudonymise.tokenizer(key)
        self._row_key = hashlib.sha256(b"row-hash|" + key).digest()[:32]
        self.fields = entity.fields
        self.convs = [converter(f, source.date_format) for f in entity.fields]
        self.prefixes: list[str] = []
        for f in entity.fields:
            if f.pii in NAME_PARTS + ("birth_date",) and f.person_prefix not in self.prefixes:
                self.prefixes.append(f.person_prefix)
        consent = entity.field_by_name("consent")
        self.consent_index = (
            entity.fields.index(consent) if consent is not None and consent.type == "bool" else None
        )
        self.columns = self._columns()
        self._specs = [
            (f, conv, f.header, f.required, f.type == "snils" or f.pii == "snils")
            for f, conv in zip(self.fields, self.convs, strict=True)
        ]
        kind_of = {None: 0, "last_name": 1, "first_name": 1, "middle_name": 1, "birth_date": 2, "snils": 3}
        self._kinds = [kind_of.get(f.pii, 4) for f in self.fields]
        index = {(f.person_prefix, f.pii): i for i, f in enumerate(self.fields) if f.pii}
        self._person_idx = [
            tuple(index.get((p, part)) for part in ("last_name", "first_name", "middle_name", "birth_date"))
            for p in self.prefixes
        ]

    def _columns(self) -> list[Column]:
        cols: list[Column] = []
        for f in self.fields:
            if f.pii is None:
                cols.append(Column(f.name, SQL_TYPES[f.type] if f.type != "snils" else "text"))
            elif f.pii == "snils":
                cols.append(Column(f"{f.person_prefix}snils_token", "text"))
            elif f.pii == "birth_date":
                cols.append(Column(f"{f.person_prefix}birth_year", "integer"))
                cols.append(Column(f"{f.person_prefix}birth_month", "integer"))
            elif f.pii in ("birth_certificate", "address", "phone"):
                cols.append(Column(f"{f.name}_token", "text"))
        for p in self.prefixes:
            for t in (
                "name_dob_token",
                "name_dob_swapped_token",
                "fuzzy_name_dob_token",
                "fuzzy_name_dob_swapped_token",
                "fuzzy_first_last_dob_token",
            ):
                cols.append(Column(p + t, "text"))
        return cols

    def row_hash(self, cells: dict[str, Any]) -> int:
        try:
            text = "\x1f".join(cells.values())
        except TypeError:  # xlsx/jsonl cells may be numbers or dates
            text = "\x1f".join(cell_text(v) for v in cells.values())
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8, key=self._row_key).digest()
        return int.from_bytes(digest, "big", signed=True)

    def check(self, row: int, cells: dict[str, Any]) -> Checked:
        issues: list[Issue] | None = None
        parsed: list[Any] = []
        append = parsed.append
        rejected = False
        for f, conv, header, required, is_snils in self._specs:
            cell = cells.get(header)
            if cell is None or cell == "" or (cell.__class__ is str and cell.isspace()):
                if required:
                    rejected = True
                    issues = issues or []
                    issues.append(
                        Issue(
                            row,
                            f.name,
                            header,
                            "missing_required",
                            "reject_row",
                            "",
                            f"обязательное поле «{header}» пустое: заполните его.",
                        )
                    )
                append(None)
                continue
            if is_snils:
                digits = pseudonymise.snils_digits(cell)
                if digits is None or not pseudonymise.snils_is_valid(digits):
                    issues = issues or []
                    issues.append(
                        Issue(
                            row,
                            f.name,
                            header,
                            "snils_checksum",
                            "warn",
                            mask(cell, "snils"),
                            f"СНИЛС в поле «{header}» с неверной контрольной суммой или неполный: строка "
                            "загружена без СНИЛС; проверьте номер по документу.",
                        )
                    )
                    append(None)
                else:
                    append(digits)
                continue
            try:
                append(conv(cell))
            except Reject as r:
                rejected = True
                append(None)
                issues = issues or []
                issues.append(
                    Issue(
                        row,
                        f.name,
                        header,
                        r.rule,
                        "reject_row",
                        mask(cell, f.pii),
                        f"поле «{header}»: {r.message}.",
                    )
                )
        if rejected:
            return Checked(None, issues or [])
        if self.consent_index is not None and parsed[self.consent_index] is False:
            return Checked(None, issues or [], anonymous=self._headcount_key(parsed))
        return Checked(self._values(parsed), issues or [])

    def _headcount_key(self, parsed: list[Any]) -> tuple:
        by_name = {f.name: v for f, v in zip(self.fields, parsed, strict=True)}
        birth = by_name.get("birth_date")
        return (
            by_name.get("school_code") or by_name.get("vendor_school_code"),
            by_name.get("grade"),
            by_name.get("sex"),
            birth.year if isinstance(birth, dt.date) else None,
        )

    def _values(self, parsed: list[Any]) -> list[str]:
        out: list[str] = []
        append = out.append
        token = self.token
        for kind, v in zip(self._kinds, parsed, strict=True):
            if kind == 0:
                append(_copy_text(v))
            elif kind == 1:  # name part: only inside tokens
                continue
            elif kind == 2:  # birth date
                if v is None:
                    append("\\N")
                    append("\\N")
                else:
                    append(str(v.year))
                    append(str(v.month))
            elif kind == 3:
                append(token(v) if v else "\\N")
            else:
                append(_copy_text(pseudonymise.document_token(v, token=token)))
        for p_last, p_first, p_middle, p_birth in self._person_idx:
            tokens = pseudonymise.person_token_values(
                parsed[p_last] if p_last is not None else None,
                parsed[p_first] if p_first is not None else None,
                parsed[p_middle] if p_middle is not None else None,
                parsed[p_birth] if p_birth is not None else None,
                token,
            )
            for t in tokens:
                append("\\N" if t is None else t)
        return out
