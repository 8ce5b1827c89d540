"""Identifiers with real check digits: СНИЛС (DOMAIN.md §5), ИНН and ОГРН of organisations, birth certificates."""

from __future__ import annotations

import numpy as np
from stdnum.ru import inn as stdnum_inn

_SNILS_WEIGHTS = np.arange(9, 0, -1)


def snils_check(body: np.ndarray) -> np.ndarray:
    """Check number for 9-digit СНИЛС bodies (vectorised): Σ dᵢ·(9..1); <100 as is, 100/101 → 0, else mod 101."""
    body = np.asarray(body, dtype=np.int64)
    digits = (body[:, None] // (10 ** np.arange(8, -1, -1))) % 10
    s = (digits * _SNILS_WEIGHTS).sum(axis=1)
    check = np.where(s < 100, s, np.where(s <= 101, 0, s % 101))
    return np.where(check == 100, 0, check)


def format_snils(body: np.ndarray, check: np.ndarray) -> np.ndarray:
    """'XXX-XXX-XXX YY' strings."""
    body = np.asarray(body, dtype=np.int64)
    check = np.asarray(check, dtype=np.int64)
    return np.array(
        [
            f"{b // 1000000:03d}-{b // 1000 % 1000:03d}-{b % 1000:03d} {c:02d}"
            for b, c in zip(body.tolist(), check.tolist(), strict=True)
        ],
        dtype=object,
    )


def new_snils(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct valid СНИЛС as 'XXX-XXX-XXX YY' strings."""
    body = np.unique(rng.integers(2_000_000, 999_999_999, size=int(n * 1.05) + 16))
    rng.shuffle(body)
    body = body[:n]
    return format_snils(body, snils_check(body))


def snils_is_valid(value: str) -> bool:
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) != 11:
        return False
    body, check = int(digits[:9]), int(digits[9:])
    if body <= 1001998:
        return True
    return int(snils_check(np.array([body]))[0]) == check


def corrupt_snils_checksum(value: str, rng: np.random.Generator) -> str:
    """One mistyped digit so that the check number no longer matches."""
    digits = [c for c in value if c.isdigit()]
    for _ in range(20):
        pos = int(rng.integers(0, 9))
        new = str((int(digits[pos]) + int(rng.integers(1, 10))) % 10)
        cand = digits.copy()
        cand[pos] = new
        s = "".join(cand)
        formatted = f"{s[0:3]}-{s[3:6]}-{s[6:9]} {s[9:11]}"
        if not snils_is_valid(formatted):
            return formatted
    return f"{value[:-2]}{(int(value[-2:]) + 1) % 100:02d}"


def valid_other_snils(value: str, rng: np.random.Generator) -> str:
    """A different, still valid СНИЛС (two adjacent digits transposed, check recomputed as a typist's system would)."""
    digits = [c for c in value if c.isdigit()][:9]
    pos = int(rng.integers(0, 8))
    if digits[pos] == digits[pos + 1]:
        digits[pos] = str((int(digits[pos]) + 1) % 10)
    else:
        digits[pos], digits[pos + 1] = digits[pos + 1], digits[pos]
    body = int("".join(digits))
    return str(format_snils(np.array([body]), snils_check(np.array([body])))[0])


def new_inn(rng: np.random.Generator, district: int, used: set[str]) -> str:
    """A 10-digit organisation ИНН of Buryatia: 03 + tax office (2) + 5 digits + check."""
    while True:
        body = f"03{district % 100:02d}{int(rng.integers(0, 100000)):05d}"
        value = body + stdnum_inn.calc_company_check_digit(body)
        if value not in used:
            used.add(value)
            return value


def new_ogrn(rng: np.random.Generator, year: int, used: set[str]) -> str:
    """A 13-digit ОГРН: 1 + year (2) + region 03 + tax office (2) + 5 digits + check."""
    while True:
        body = f"1{year % 100:02d}03{int(rng.integers(0, 100)):02d}{int(rng.integers(0, 100000)):05d}"
        value = body + str(int(body) % 11 % 10)
        if value not in used:
            used.add(value)
            return value


_ROMAN = np.array(["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"])
_LETTERS = np.array(list("АБВГДЕЖИКЛМНОПРСТУФХЦЧШЭЮЯ"))


def new_birth_certificates(rng: np.random.Generator, n: int) -> np.ndarray:
    """'IV-АЖ 123456' style numbers (collisions are possible in reality and harmless here)."""
    r = _ROMAN[rng.integers(0, len(_ROMAN), n)]
    a = _LETTERS[rng.integers(0, len(_LETTERS), n)]
    b = _LETTERS[rng.integers(0, len(_LETTERS), n)]
    num = np.char.zfill(rng.integers(0, 1_000_000, n).astype(str), 6)
    return np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(r, "-"), a), b), " "), num)


def new_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    num = rng.integers(0, 10_000_000, n)
    codes = np.array(["902", "914", "924", "950", "983", "908", "996"])[rng.integers(0, 7, n)]
    return np.char.add(np.char.add("+7", codes), np.char.zfill(num.astype(str), 7))
