"""The compiled helpers against their Python definitions, and the way back to Python where nothing compiles."""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import shutil
from array import array

import pytest

from pipelines import native
from pipelines.ingest.vectorised import _python_tokens, _Tokens

needs_compiler = pytest.mark.skipif(
    shutil.which(os.environ.get("CC") or "cc") is None,
    reason="no C compiler: ingestion takes the Python path",
)

KEYS = [b"k", b"\x00" * 16, bytes(range(32)), bytes(range(64)), bytes(range(100))]
_ALPHABET = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяӨөҮүҺһABCxyz0123456789 -|.,\x1f\t\\😀"  # no ";" nor "\r"


def _texts(rng: random.Random) -> list[str]:
    """Empty, short, around SHA-256's and BLAKE2b's block lengths (in bytes, Cyrillic takes two), long."""
    lengths = [0, 1, 2, 27, 28, 31, 32, 55, 56, 63, 64, 65, 127, 128, 129, 300, 1000]
    return [
        "".join(rng.choice(_ALPHABET) for _ in range(n))
        for n in lengths + [rng.randrange(200) for _ in range(300)]
    ]


@needs_compiler
@pytest.mark.parametrize("key", KEYS, ids=len)
def test_tokens_are_hmac_sha256(key):
    values = _texts(random.Random(len(key)))
    tokens = native.hmac_sha256_hex(key)
    assert tokens is not None, native.unavailable_reason()
    assert tokens(values) == [hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values]
    assert tokens([]) == []
    assert tokens(iter(["а", "б"])) == tokens(["а", "б"])


@needs_compiler
def test_token_columns_put_null_where_no_value_is_kept():
    rng = random.Random(11)
    values = _texts(rng)
    keep = [rng.random() < 0.4 for _ in range(len(values) * 2)]
    kept = values[: sum(keep)]
    tokens = native.hmac_sha256_hex(b"key")
    expected = iter(hmac.new(b"key", v.encode(), hashlib.sha256).hexdigest() for v in kept)
    assert tokens.column(kept, keep) == "\0".join(next(expected) if k else "\\N" for k in keep).encode()
    assert tokens.column(values) == "\0".join(tokens(values)).encode()
    assert tokens.column([], [False, False]) == b"\\N\0\\N"
    # a suffix appended to each value, given as strings or joined once
    halves = [v[: len(v) // 2] for v in kept], [v[len(v) // 2 :] for v in kept]
    assert tokens.column(halves[0], keep, halves[1]) == tokens.column(kept, keep)
    assert tokens.column(native.joined(halves[0]), keep, native.joined(halves[1])) == tokens.column(
        kept, keep
    )
    with pytest.raises(ValueError, match="suffixes"):
        tokens.column(halves[0], keep, halves[1][:-1])
    assert tokens.column([], []) == b""
    with pytest.raises(ValueError, match="do not fill"):
        tokens.column(kept[:-1], keep)  # one value short
    with pytest.raises(ValueError, match="do not fill"):
        tokens.column([*kept, "лишнее"], keep)  # one value too many


@needs_compiler
@pytest.mark.parametrize("key", [k for k in KEYS if len(k) <= 64], ids=len)
def test_row_hashes_are_keyed_blake2b(key):
    records = [v.replace("\n", " ").encode() for v in _texts(random.Random(7 + len(key)))]
    hashes = native.row_hashes(key)
    assert hashes is not None, native.unavailable_reason()
    expected = [
        int.from_bytes(hashlib.blake2b(r, digest_size=8, key=key).digest(), "big", signed=True)
        for r in records
    ]
    assert hashes(b"\n".join(records), len(records)).tolist() == expected
    assert hashes(b"", 0).tolist() == []
    assert hashes(b"", 1).tolist() == expected[:1]  # one empty record
    with pytest.raises(ValueError, match="not 3 lines"):
        hashes(b"a\nb", 3)
    # cells separated by a delimiter (hashed as \x1f), records by \r\n
    raw = [r.replace(b"\x1f", b";") for r in records]
    assert all(b";" not in r for r in records) and all(b"\r" not in r for r in records)
    assert hashes(b"\r\n".join(raw), len(raw), ";", True).tolist() == expected
    assert hashes(b"\n".join(raw), len(raw), ";").tolist() == expected
    with pytest.raises(ValueError, match="ASCII"):
        hashes(b"", 1, "№")


@needs_compiler
def test_copy_lines_are_the_joined_fields():
    rng = random.Random(5)
    rows = 500
    columns = [
        [rng.choice(["", "\\N", "Иванов", "a b", "😀", "x" * 300]) for _ in range(rows)] for _ in range(25)
    ]
    ns = array("q", rng.sample(range(1, 10**7), rows))
    hashes = array("q", [rng.randrange(-(2**63), 2**63) for _ in range(rows)])
    hashes[0], hashes[1] = -(2**63), 2**63 - 1
    lines = native.copy_lines()
    assert lines is not None, native.unavailable_reason()
    expected = "".join(
        "\t".join([*(c[r] for c in columns), "17\tфайл.csv", str(ns[r]), str(hashes[r])]) + "\n"
        for r in range(rows)
    )
    assert lines(columns, "17\tфайл.csv", ns, hashes) == expected.encode()
    # columns given as their distinct fields and a code per row
    coded = [native.Coded(list(dict.fromkeys(c)), None) for c in columns[:3]]
    coded = [
        native.Coded(d.values, array("i", map(d.values.index, c)))
        for d, c in zip(coded, columns, strict=False)
    ]
    assert lines([*coded, *columns[3:]], "17\tфайл.csv", ns, hashes) == expected.encode()
    with pytest.raises(RuntimeError):
        lines([native.Coded(["a"], array("i", [1]))], "m", array("q", [1]), array("q", [1]))  # no field 1
    assert lines([[] for _ in columns], "m", array("q"), array("q")) == b""
    with pytest.raises(ValueError, match="NUL"):
        lines([["a\x00b"]], "m", array("q", [1]), array("q", [1]))
    for wrong in ([["a"], ["a", "b"]], [["a", "b"], ["a"]]):  # columns of other lengths than the rows
        with pytest.raises(RuntimeError):
            lines(wrong, "m", array("q", [1, 2][: len(wrong[0])]), array("q", [1, 2][: len(wrong[0])]))


@needs_compiler
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_cells_are_the_block_split_at_delimiters(crlf):
    rng = random.Random(13 + crlf)
    width, rows = 7, 900
    pool = [t.replace("\n", " ").replace("\r", " ") for t in _texts(rng)[:40]] + ["", " ", "Да"]
    records = [[rng.choice(pool) for _ in range(width)] for _ in range(rows)]
    end = "\r\n" if crlf else "\n"
    data = end.join(";".join(r) for r in records).encode()
    cut = native.cutter()
    assert cut is not None, native.unavailable_reason()
    cells = cut(data, rows, ";", crlf, width)
    for col in range(width):
        column = [r[col] for r in records]
        assert cells.text(col).text.split("\0") == column
        distinct, codes = cells.coded(col)
        assert distinct == list(dict.fromkeys(column))  # each once, in order of first appearance
        assert [distinct[c] for c in codes] == column
    one = cut(b";", 1, ";", False, 2)  # one record of two empty cells
    assert one.text(0).text == one.text(1).text == "" and one.coded(1) == ([""], array("i", [0]))


@needs_compiler
def test_column_text_counts_the_cells_strip_would_change():
    rng = random.Random(17)
    spaces = [c for c in map(chr, range(0x3001)) if c.isspace() and c not in "\n\r;"]
    pool = ["а", "ab", "Улан-Удэ, д. 1", "😀", "x" * 70, "ё ё", "", *spaces]
    cells = ["".join(rng.choice(pool) for _ in range(rng.randrange(4))) for _ in range(3000)]
    data = "\n".join(f"{c};1" for c in cells).encode()
    text = native.cutter()(data, len(cells), ";", False, 2).text(0)
    assert text.text == "\0".join(cells)
    assert text.longest == max(len(c.encode()) for c in cells)
    assert text.unstripped == sum(1 for c in cells if not c or c.strip() != c) > 0


@needs_compiler
@pytest.mark.parametrize(
    ("data", "rows", "width"),
    [
        (b"a;b\nc", 2, 2),  # a record one cell short
        (b"a;b\nc;d;e", 2, 2),  # one cell too many
        (b"a;b;c\nd\ne;f", 3, 2),  # as many cells in all, spread wrongly
        (b"a;b\nc;d", 1, 2),  # more records than said
        (b"a;b\nc;d", 3, 2),  # fewer
        (b"", 1, 2),
    ],
)
def test_a_block_of_other_widths_is_not_cut(data, rows, width):
    assert native.cutter()(data, rows, ";", False, width) is None


@needs_compiler
def test_block_shape_counts_what_python_counts():
    rng = random.Random(19)
    pieces = [
        b"a",
        b";",
        b'"',
        b"\r",
        b"\n",
        b"\r\n",
        b"\x00",
        "ж".encode(),
        "ж".encode("cp1251"),
        b"\xd1",
        b"x" * 300,
    ]
    shape = native.block_shape()
    assert shape is not None, native.unavailable_reason()
    for _ in range(300):
        raw = b"".join(rng.choice(pieces) for _ in range(rng.randrange(40)))
        b = list(raw)
        assert shape(raw) == (
            raw.count(b'"'),
            raw.count(b"\r\n"),
            raw.count(b"\n"),
            raw.count(b"\r"),
            raw.count(b"\x00"),
            sum(x > 127 for x in b),
            sum((p | 1) == 0xD1 and (q & 0xC0) == 0x80 for p, q in zip(b, b[1:], strict=False)),
            max(map(len, raw.split(b"\n"))),
        ), raw


@needs_compiler
def test_a_nul_in_a_value_takes_the_python_path():
    values = ["до\x00после", "обычное"]
    assert _Tokens(b"key")(values) == _python_tokens(b"key")(values)
    with pytest.raises(ValueError, match="NUL"):
        native.hmac_sha256_hex(b"key")(values)
    # a column from iterators, read again by the Python path after the C side refused them
    column = _Tokens(b"key").column(iter(values), [True, False, True], iter(["|1", "|2"]))
    python = _python_tokens(b"key")([values[0] + "|1", values[1] + "|2"])
    assert column == [python[0], "\\N", python[1]]


def test_python_tokens_are_hmac_sha256():
    values = _texts(random.Random(3))
    for key in KEYS:
        assert _python_tokens(key)(values) == [
            hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values
        ]


@pytest.fixture
def fresh_native(monkeypatch, tmp_path):
    """The helper looked up again under a private cache folder (and forgotten again after the test)."""
    monkeypatch.setenv(native.DIR_ENV, str(tmp_path / "cache"))
    native._library.cache_clear()
    yield tmp_path / "cache"
    native._library.cache_clear()


@needs_compiler
def test_built_once_into_the_cache_folder(fresh_native):
    path = native.build()
    assert path.parent == fresh_native and path.exists()
    stamp = path.stat().st_mtime_ns
    assert native.build() == path and path.stat().st_mtime_ns == stamp  # found, not compiled again
    assert [p.name for p in fresh_native.iterdir()] == [path.name]  # no temporary file left behind
    assert path.stat().st_mode & 0o005 == 0o005  # readable by a service account too
    assert native.unavailable_reason() is None


@pytest.mark.parametrize(
    ("env", "reason"),
    [({native.NATIVE_ENV: "0"}, "KONTINGENT_NATIVE=0"), ({"CC": "no-such-compiler"}, "no C compiler")],
)
def test_without_the_helper_ingestion_uses_python(fresh_native, monkeypatch, env, reason):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert reason in native.unavailable_reason()
    assert native.hmac_sha256_hex(b"key") is None and native.row_hashes(b"key") is None
    assert _Tokens(b"key")(["Иванов"]) == [hmac.new(b"key", "Иванов".encode(), hashlib.sha256).hexdigest()]


def test_a_compiler_error_is_reported_not_raised(fresh_native, monkeypatch, tmp_path):
    broken = tmp_path / "broken.c"
    broken.write_text("this is not C\n")
    monkeypatch.setattr(native, "SOURCE", broken)
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    assert "cc failed" in native.unavailable_reason()
    assert not list(fresh_native.iterdir())  # nothing half-built left in the cache
