"""Small parts of the vectorised engine against the plain definitions they stand in for."""

from __future__ import annotations

import random
import re

import pytest

from pipelines.ingest.load import _SeenRows
from pipelines.ingest.vectorised import _blank_lines

# The reader skips a line as blank when it is whitespace only and holds no delimiter.
_BLANK = re.compile(r"^[^\S\n]*$", re.M)


def _blank_lines_by_definition(text: str, delimiter: str) -> int:
    end = len(text)
    return sum(1 for m in _BLANK.finditer(text) if m.start() != end and delimiter not in m.group())


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "\n\n",
        "a;b\r\nc;d\r\n",
        "a;b\n  \n\r\n;\n \t\nc;d\n",
        "  ",
        "a;b\n  ",
        "\r\n\r\n",
        "x\n\x1f\n",
        "a\tb\n\t\n \n",
        "\u2028\n",
        "a;b\n\u00a0\nc;d",
        " a;b\n",
    ],
)
def test_blank_lines_match_the_readers_definition(text, delimiter):
    assert _blank_lines(text, delimiter) == _blank_lines_by_definition(text, delimiter)


@pytest.fixture(params=["compiled", "numpy"])
def bloom_path(request, monkeypatch):
    """The filter's blocks set in C (``pipelines.native``) and in numpy (a machine without a C compiler)."""
    from pipelines import native

    if request.param == "numpy":
        monkeypatch.setattr(native, "bloom_add", lambda: None)
    elif native.bloom_add() is None:
        pytest.skip(f"no compiled helper: {native.unavailable_reason()}")
    return request.param


@pytest.mark.usefixtures("bloom_path")
@pytest.mark.parametrize("file_bytes", [None, 1_000, 40_000 * 40])
def test_bloom_filter_sets_the_same_bits_a_block_at_a_time_as_row_by_row(file_bytes):
    rng = random.Random(7)
    hashes = [rng.getrandbits(64) - (1 << 63) for _ in range(40_000)]
    blocks, rows = _SeenRows(file_bytes), _SeenRows(file_bytes)
    for start in range(0, len(hashes), 6_000):
        blocks.add_many(hashes[start : start + 6_000])
    for h in hashes:
        rows.add(h)
    assert blocks.buffer == rows.buffer
    assert blocks.maybe_duplicates == rows.maybe_duplicates
    # a filter sized for a small file may raise a false alarm on 40 000 rows (the SQL check then decides)
    if file_bytes != 1_000:
        assert not blocks.maybe_duplicates


def test_bloom_filter_is_sized_by_the_file():
    assert len(_SeenRows(1_000).buffer) == _SeenRows.MIN_BITS >> 3  # 8 KB
    # 500 000 bytes hold at most 15 625 rows: 64 bits each, 1 000 064 → 2^20 bits (128 KB)
    assert len(_SeenRows(500_000).buffer) == (1 << 20) >> 3
    assert len(_SeenRows(2**30).buffer) == len(_SeenRows().buffer) == _SeenRows.MAX_BITS >> 3  # 8 MB


@pytest.mark.usefixtures("bloom_path")
@pytest.mark.parametrize("where", ["same block", "later block"])
def test_bloom_filter_flags_a_repeated_row(where):
    rng = random.Random(11)
    hashes = [rng.getrandbits(64) - (1 << 63) for _ in range(12_000)]
    seen = _SeenRows()
    if where == "same block":
        seen.add_many(hashes[:6_000] + [hashes[10]])
    else:
        seen.add_many(hashes[:6_000])
        assert not seen.maybe_duplicates
        seen.add_many(hashes[6_000:] + [hashes[10]])
    assert seen.maybe_duplicates


@pytest.mark.usefixtures("bloom_path")
def test_bloom_filter_of_a_big_narrow_file_raises_no_false_alarm():
    """400 000 distinct absences rows (16.4 MB): the filter must not send the file to the SQL duplicate check."""
    import numpy as np

    hashes = np.random.default_rng(3).integers(-(2**63), 2**63 - 1, size=400_000, dtype=np.int64).tolist()
    assert len(set(hashes)) == len(hashes)
    seen = _SeenRows(16_400_000)
    for start in range(0, len(hashes), 22_000):
        seen.add_many(hashes[start : start + 22_000])
    assert not seen.maybe_duplicates


@pytest.mark.parametrize("limit", [8, 9, 16])
def test_lines_shorter_than_agrees_with_splitting(limit):
    from pipelines.ingest.vectorised import _lines_shorter_than

    rng = random.Random(limit)
    for _ in range(3000):
        raw = bytes(rng.choice(b"ab\n") if rng.random() < 0.5 else 97 for _ in range(rng.randrange(40)))
        expected = len(raw) <= limit or max(map(len, raw.split(b"\n"))) < limit
        assert _lines_shorter_than(raw, limit) == expected, raw
