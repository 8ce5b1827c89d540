"""Person tokens: keyed hashes (HMAC-SHA-256) of identifiers, computed at the door.

The warehouse never stores a СНИЛС, a name or a birth date in the clear outside ``vault``. Identity resolution
needs only equality of tokens, so every identifier becomes ``hex(HMAC-SHA-256(key, normalised value))``. The
key (``pipelines.settings.pseudonym_key()``) lives outside git; without it nobody can recompute a token from a
guessed name, which a plain hash would allow.

Tokens (the raw-table column names; a prefix such as ``guardian_`` for a second person in the row):
    snils_token                  the 11 digits; None when missing or the check digits are wrong
    name_dob_token               exact normalised full name + ISO birth date
    name_dob_swapped_token       the same with day and month swapped (None when impossible or day == month)
    fuzzy_name_dob_token         phonetic-normalised full name + birth date
    fuzzy_name_dob_swapped_token
    fuzzy_first_last_dob_token   phonetic-normalised surname and given name (no patronymic) + birth date
    <field>_token                birth certificate, address, phone: upper-cased, spaces removed
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Callable
from functools import lru_cache

from pipelines import settings

Token = Callable[[str], str]

_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D")
_FUZZY_MAP = str.maketrans(
    {"ё": "е", "э": "е", "ү": "у", "ө": "о", "һ": "х", "й": "и", "ь": None, "ъ": None}
    | {c: None for c in " \t\n\r\xa0-‐‑–—"}
)
_DOUBLES = re.compile(r"(.)\1+")


@lru_cache(maxsize=4)
def _key_for(key: bytes):
    """A keyed HMAC state to copy per value; the OpenSSL object itself when available (copy is 3× faster)."""
    h = hmac.new(key, digestmod="sha256")
    return getattr(h, "_hmac", None) or h


def default_key() -> bytes:
    return settings.pseudonym_key()


def hmac_hex(value: str, key: bytes | None = None) -> str:
    """HMAC-SHA-256 of the UTF-8 value, hex. The keyed base object is cached and copied (2× faster)."""
    h = _key_for(key if key is not None else default_key()).copy()
    h.update(value.encode("utf-8"))
    return h.hexdigest()


def tokenizer(key: bytes | None = None) -> Token:
    """A fast one-argument token function bound to ``key`` (for the hot loop of ingestion)."""
    base = _key_for(key if key is not None else default_key())

    def token(value: str) -> str:
        h = base.copy()
        h.update(value.encode("utf-8"))
        return h.hexdigest()

    return token


# --- СНИЛС -----------------------------------------------------------------------------------------------


def snils_digits(value: object) -> str | None:
    """The 11 digits of a СНИЛС written in any usual way (``123-456-789 01``, ``12345678901``), else None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = _NON_DIGITS.sub("", str(value))
    if isinstance(value, int) and len(digits) < 11:
        digits = digits.zfill(11)  # a spreadsheet ate the leading zeros
    return digits if len(digits) == 11 else None


def snils_check(digits9: str) -> str:
    """Check number of a СНИЛС from its first nine digits (DOMAIN.md §5)."""
    total = sum(int(d) * w for d, w in zip(digits9, range(9, 0, -1), strict=True))
    if total < 100:
        return f"{total:02d}"
    if total in (100, 101):
        return "00"
    rest = total % 101
    return "00" if rest == 100 else f"{rest:02d}"


def snils_is_valid(digits: str) -> bool:
    """True when the check digits match; numbers up to 001-001-998 have no check (they are all accepted)."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    if int(digits[:9]) <= 1001998:
        return True
    return snils_check(digits[:9]) == digits[9:]


def snils_token(value: object, key: bytes | None = None) -> str | None:
    digits = snils_digits(value)
    if digits is None or not snils_is_valid(digits):
        return None
    return hmac_hex(digits, key)


# --- names and birth dates --------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _exact_part(part: str) -> str:
    return _SPACES.sub(" ", part.strip().lower())


@lru_cache(maxsize=65536)
def _fuzzy_part(part: str) -> str:
    return _DOUBLES.sub(r"\1", part.lower().translate(_FUZZY_MAP))


def normalise_name(*parts: str | None) -> str:
    """Exact normalisation: lower case, single spaces, parts joined by one space (empty parts skipped)."""
    return " ".join(p for p in (_exact_part(x) for x in parts if x) if p)


def fuzzy_name(*parts: str | None) -> str:
    """Phonetic normalisation that forgives the usual spelling variants of Russian and Buryat names.

    Parts are normalised one by one (names repeat, so this is cached) and joined without separators; a letter
    doubled across the join is collapsed too, exactly as if the whole string had been normalised at once.
    """
    out = ""
    for p in parts:
        if not p:
            continue
        f = _fuzzy_part(p)
        if out and f and out[-1] == f[0]:
            f = f.lstrip(f[0])
        out += f
    return out


def swapped(date: dt.date) -> dt.date | None:
    """The date with day and month swapped, or None when that is no date or changes nothing."""
    if date.day == date.month or date.day > 12:
        return None
    try:
        return date.replace(month=date.day, day=date.month)
    except ValueError:
        return None


def _message(name: str, date: dt.date) -> str:
    return f"{name}|{date.isoformat()}"


def person_tokens(
    last_name: str | None,
    first_name: str | None,
    middle_name: str | None,
    birth_date: dt.date | None,
    key: bytes | None = None,
    *,
    prefix: str = "",
    token: Token | None = None,
) -> dict[str, str | None]:
    """All name + birth-date tokens of one person (None where a part is missing)."""
    token = token or tokenizer(key)
    names = (
        "name_dob",
        "name_dob_swapped",
        "fuzzy_name_dob",
        "fuzzy_name_dob_swapped",
        "fuzzy_first_last_dob",
    )
    out: dict[str, str | None] = {f"{prefix}{n}_token": None for n in names}
    if birth_date is None or not (last_name or "").strip() or not (first_name or "").strip():
        return out
    exact = normalise_name(last_name, first_name, middle_name)
    fuzzy = fuzzy_name(last_name, first_name, middle_name)
    fuzzy_short = fuzzy_name(last_name, first_name)
    swap = swapped(birth_date)
    out[f"{prefix}name_dob_token"] = token(_message(exact, birth_date))
    out[f"{prefix}fuzzy_name_dob_token"] = token(_message(fuzzy, birth_date))
    out[f"{prefix}fuzzy_first_last_dob_token"] = token(_message(fuzzy_short, birth_date))
    if swap is not None:
        out[f"{prefix}name_dob_swapped_token"] = token(_message(exact, swap))
        out[f"{prefix}fuzzy_name_dob_swapped_token"] = token(_message(fuzzy, swap))
    return out


def person_token_values(
    last_name: str | None,
    first_name: str | None,
    middle_name: str | None,
    birth_date: dt.date | None,
    token: Token,
) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """The five tokens of :func:`person_tokens` as a tuple in its key order (the ingestion hot path)."""
    if birth_date is None or not last_name or not first_name:
        return (None, None, None, None, None)
    iso = birth_date.isoformat()
    exact = normalise_name(last_name, first_name, middle_name)
    if not exact or " " not in exact:
        return (None, None, None, None, None)
    fuzzy = fuzzy_name(last_name, first_name, middle_name)
    short = fuzzy_name(last_name, first_name)
    swap = swapped(birth_date)
    if swap is None:
        return (token(f"{exact}|{iso}"), None, token(f"{fuzzy}|{iso}"), None, token(f"{short}|{iso}"))
    siso = swap.isoformat()
    return (
        token(f"{exact}|{iso}"),
        token(f"{exact}|{siso}"),
        token(f"{fuzzy}|{iso}"),
        token(f"{fuzzy}|{siso}"),
        token(f"{short}|{iso}"),
    )


def name_dob_token(last, first, middle, birth_date: dt.date, key: bytes | None = None) -> str | None:
    return person_tokens(last, first, middle, birth_date, key)["name_dob_token"]


def document_token(value: object, key: bytes | None = None, token: Token | None = None) -> str | None:
    """Birth certificate, address or phone: upper-cased without spaces, then HMAC."""
    if value is None:
        return None
    text = "".join(str(value).split()).upper()
    if not text:
        return None
    return (token or tokenizer(key))(text)
