"""Compiled helpers for the hot loops, built on first use where a C compiler is at hand; Python otherwise.

The per-row loops of ingestion that Python spends most of a pupil roster's time on, many rows per call: the
HMAC-SHA-256 tokens (``hmac_sha256_hex``; eight per roster row), the keyed BLAKE2b row hash (``row_hashes``),
the duplicate-row filter (``bloom_add``), the COPY lines of a block (``copy_lines``), the counts over a block's
bytes (``block_shape``) and the cutting of a block into cells, columns handed out dictionary-encoded where values
repeat or as one text (``cutter``). The C source
(``ingest.c``; OpenSSL's SHA-256, the RFC's BLAKE2b) is compiled once per machine into a cache folder and loaded
with ``ctypes``; nothing is compiled at install time, so a machine without ``cc`` or OpenSSL's headers still
works, on the pure-Python paths that give the same values (the callers check the hashes against the Python
definitions before using them, and tests compare each helper with its Python twin on many values).

Configuration:
    KONTINGENT_NATIVE=0       never compile or load: the pure-Python path everywhere
    KONTINGENT_NATIVE_DIR     the cache folder (default ``$XDG_CACHE_HOME/kontingent`` or ``~/.cache/kontingent``)
    CC                        the compiler (default ``cc``)

``python -m pipelines.native`` builds it now and says which path ingestion will take.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from array import array
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)
NATIVE_ENV = "KONTINGENT_NATIVE"
DIR_ENV = "KONTINGENT_NATIVE_DIR"
SOURCE = Path(__file__).with_name("ingest.c")
_FLAGS = ("-O3", "-shared", "-fPIC")  # -O3: BLAKE2b 20 % faster than at -O2
_LIBS = ("-lcrypto",)


def cache_dir() -> Path:
    configured = os.environ.get(DIR_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kontingent"


def _library_path(compiler: str) -> Path:
    """The cached library for this source, compiler, flags and platform (a change in any builds a new one)."""
    tag = hashlib.sha256()
    for part in (SOURCE.read_bytes(), compiler.encode(), *map(str.encode, _FLAGS + _LIBS)):
        tag.update(part + b"\0")
    tag.update(sysconfig.get_platform().encode())
    return cache_dir() / f"ingest-{tag.hexdigest()[:16]}.so"


class Unavailable(RuntimeError):
    """Why the compiled helper cannot be used here (the pure-Python path is taken instead)."""


def build() -> Path:
    """The compiled library's path, compiling it first when it is not cached; raises ``Unavailable``."""
    if os.environ.get(NATIVE_ENV, "1").strip() == "0":
        raise Unavailable(f"{NATIVE_ENV}=0")
    compiler = os.environ.get("CC") or "cc"
    target = _library_path(compiler)
    if target.exists():
        return target  # built before (a machine whose compiler has gone since still uses it)
    if shutil.which(compiler) is None:
        raise Unavailable(f"no C compiler ({compiler!r} is not on PATH)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Compiled beside the target and renamed into place: two processes building at once both succeed.
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise Unavailable(f"cache folder {target.parent}: {exc.strerror}") from exc
    try:
        done = subprocess.run(
            [compiler, *_FLAGS, "-o", tmp, str(SOURCE), *_LIBS],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["?"])[0]
            raise Unavailable(f"{compiler} failed (OpenSSL headers missing?): {first}")
        os.chmod(tmp, 0o755)  # mkstemp made it private: another account (a service user) may load it too
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


@cache
def _library():
    """The loaded library with its functions declared, or the reason it is not available (a string)."""
    try:
        lib = ctypes.CDLL(str(build()))
    except (Unavailable, OSError) as exc:  # OSError: a library that does not load (a foreign or damaged file)
        reason = str(exc) if isinstance(exc, Unavailable) else f"cannot load the compiled helper: {exc}"
        log.warning(
            "ingestion hashes in pure Python (the same values, at about 60 %% of the speed): %s", reason
        )
        return reason
    c_int64, c_size_t, c_char_p, c_void_p = ctypes.c_int64, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p
    lib.kontingent_hmac_sha256_hex.restype = c_int64
    lib.kontingent_hmac_sha256_hex.argtypes = [
        c_char_p,
        c_char_p,
        c_size_t,
        c_char_p,
        c_size_t,
        c_int64,
        c_char_p,
        c_int64,
        c_void_p,
        c_size_t,
    ]
    lib.kontingent_copy_lines.restype = c_int64
    lib.kontingent_copy_lines.argtypes = [
        c_int64,
        c_int64,
        c_void_p,
        c_void_p,
        c_void_p,
        c_char_p,
        c_size_t,
        c_void_p,
        c_void_p,
        c_void_p,
        c_size_t,
    ]
    lib.kontingent_bloom_add.restype = ctypes.c_int
    lib.kontingent_bloom_add.argtypes = [c_void_p, ctypes.c_uint64, c_void_p, c_int64, ctypes.c_int]
    lib.kontingent_cells.restype = c_int64
    lib.kontingent_cells.argtypes = [
        c_char_p,
        c_size_t,
        ctypes.c_int,
        ctypes.c_int,
        c_int64,
        c_int64,
        c_void_p,
        c_void_p,
    ]
    for fn in (lib.kontingent_encode, lib.kontingent_gather):
        fn.restype = c_int64
        fn.argtypes = [c_char_p, c_void_p, c_void_p, c_int64, c_int64, c_int64, c_void_p, c_void_p, c_size_t]
    lib.kontingent_shape.restype = None
    lib.kontingent_shape.argtypes = [c_char_p, c_size_t, c_void_p]
    lib.kontingent_row_hashes.restype = c_int64
    lib.kontingent_row_hashes.argtypes = [
        c_char_p,
        c_size_t,
        c_char_p,
        c_size_t,
        ctypes.c_int,
        ctypes.c_int,
        c_void_p,
        c_int64,
    ]
    return lib


def unavailable_reason() -> str | None:
    """None when the compiled helper is in use, else why not (shown by ``make bench``)."""
    lib = _library()
    return lib if isinstance(lib, str) else None


class Joined(NamedTuple):
    """Values joined by NUL as UTF-8, with their number: one input of the token maker, built once when several
    token columns share it (a birth date goes into three)."""

    data: bytes
    n: int


def joined(values: Iterable[str]) -> Joined:
    """Raises ``ValueError`` for a value holding a NUL character (the C side splits on it; a checked cell never
    does): the caller then takes the Python path."""
    values = values if isinstance(values, list) else list(values)
    text = "\0".join(values)
    if values and len(values) != text.count("\0") + 1:
        raise ValueError("a value holds a NUL character")
    return Joined(text.encode("utf-8"), len(values))


class HmacTokens:
    """Hex HMAC-SHA-256 tokens of the values' UTF-8 under one key, many per C call.

    ``tokens(values)`` gives a list of tokens; ``tokens.column(values, keep, suffixes)`` gives a column ready for
    ``copy_lines``: the tokens as bytes separated by NUL, with COPY's ``\\N`` for each row whose ``keep`` is false
    (``values`` then holds one value per true entry); each value followed by its suffix, if given, makes the
    message. Values are strings or ``Joined``. Both raise ``ValueError`` as ``joined`` does.
    """

    def __init__(self, fn, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        self._fn, self._key64 = fn, key.ljust(64, b"\0")

    def column(
        self,
        values: Iterable[str] | Joined,
        keep: list[bool] | None = None,
        suffixes: Iterable[str] | Joined | None = None,
    ) -> bytes:
        first = values if isinstance(values, Joined) else joined(values)
        second = suffixes if suffixes is None or isinstance(suffixes, Joined) else joined(suffixes)
        n = first.n
        if second is not None and second.n != n:
            raise ValueError(f"{n} values, {second.n} suffixes")
        rows = n if keep is None else len(keep)
        if not rows:
            return b""
        out = bytearray(65 * rows)
        written = self._fn(
            self._key64,
            first.data,
            len(first.data),
            None if second is None else second.data,
            0 if second is None else len(second.data),
            n,
            None if keep is None else bytes(keep),
            rows,
            (ctypes.c_char * len(out)).from_buffer(out),
            len(out),
        )
        if written < 0:
            raise ValueError(f"{n} values do not fill the {rows} rows to keep" if keep else "hashing failed")
        return bytes(memoryview(out)[:written])

    def __call__(self, values: Iterable[str]) -> list[str]:
        text = self.column(values).decode("ascii")
        return text.split("\0") if text else []


def hmac_sha256_hex(key: bytes) -> HmacTokens | None:
    """The token maker for ``key`` (see ``HmacTokens``); None when the compiled helper is not available."""
    lib = _library()
    return None if isinstance(lib, str) else HmacTokens(lib.kontingent_hmac_sha256_hex, key)


def _delimiter_byte(delimiter: str) -> int:
    """The delimiter as the byte the C side splits at: ASCII, and not NUL (which ends C's values)."""
    byte = ord(delimiter)
    if byte > 127 or byte == 0:
        raise ValueError("the delimiter is not ASCII (or is NUL)")
    return byte


def row_hashes(key: bytes) -> Callable[..., array] | None:
    """(``rows`` records as UTF-8, ``rows``, ``delimiter``, ``crlf``) → each record's keyed BLAKE2b, 8 bytes read
    as a signed big-endian number (``hashlib.blake2b(record, digest_size=8, key=key)``), as an ``array("q")``;
    None when not available. The records are separated by ``\\n`` (``\\r\\n`` with ``crlf``), their cells by
    ``delimiter`` (an ASCII character, hashed as \\x1f) or by \\x1f already (``delimiter`` None)."""
    lib = _library()
    if isinstance(lib, str) or not 1 <= len(key) <= 64:
        return None
    fn = lib.kontingent_row_hashes

    def hashes(data: bytes, rows: int, delimiter: str | None = None, crlf: bool = False) -> array:
        out = array("q", bytes(8 * rows))
        delim = -1 if delimiter is None else _delimiter_byte(delimiter)
        if rows and fn(key, len(key), data, len(data), delim, int(crlf), out.buffer_info()[0], rows) != rows:
            raise ValueError(f"the records are not {rows} lines")
        return out

    return hashes


def bloom_add() -> Callable[[bytearray, int, array, int], bool] | None:
    """(filter bits, their number (a power of two), row hashes, probes) → set each row's bits in turn, True when
    some row found all its bits already set (``_SeenRows.add`` per row); None when not available."""
    lib = _library()
    if isinstance(lib, str):
        return None
    fn = lib.kontingent_bloom_add

    def add(bits: bytearray, size: int, hashes: array, probes: int) -> bool:
        if len(bits) * 8 != size or size & (size - 1):
            raise ValueError("the filter's size is not its bits, or not a power of two")
        buffer = (ctypes.c_char * len(bits)).from_buffer(bits)
        return bool(fn(buffer, size, hashes.buffer_info()[0], len(hashes), probes))

    return add


class BlockShape(NamedTuple):
    """Counts over a block's bytes (``block_shape``)."""

    quotes: int
    crlf: int  # \r\n
    lf: int  # \n, with or without \r before it
    cr: int  # \r
    nul: int
    high: int  # bytes over 127
    cyrillic: int  # a D0 or D1 byte before a continuation byte: UTF-8 Cyrillic
    longest: int  # the longest line, split at \n (without it)


@cache
def block_shape() -> Callable[[bytes], BlockShape] | None:
    """bytes → their ``BlockShape``, counted in one pass; None when not available."""
    lib = _library()
    if isinstance(lib, str):
        return None
    fn = lib.kontingent_shape

    def shape(raw: bytes) -> BlockShape:
        out = (ctypes.c_int64 * 8)()
        fn(raw, len(raw), out)
        return BlockShape(*out)

    return shape


class Coded(NamedTuple):
    """A column of fields as its distinct fields and, per row, which of them it holds (``Cells.coded``)."""

    values: list[str]
    codes: array  # array("i")


class Text(NamedTuple):
    """A column's cells joined by NUL (``Cells.text``), how long its longest cell is in UTF-8 bytes and how many
    cells ``str.strip`` would change or leave empty."""

    text: str
    longest: int
    unstripped: int


class Cells:
    """A block cut into cells by C (``cutter``): each column as one text (``text``) or dictionary-encoded
    (``coded``: its distinct cells in order of first appearance and, per row, which of them it holds)."""

    def __init__(self, lib, data: bytes, rows: int, width: int, starts: array, lens: array) -> None:
        self._lib, self._data, self.rows, self.width = lib, data, rows, width
        self._starts, self._lens = starts, lens
        self._out = bytearray(len(data) + rows + 1)  # any column's bytes and a NUL after each cell fit

    def _text(self, fn, col: int, *extra) -> str:
        """What ``fn`` (``kontingent_gather`` or ``_encode``) writes for column ``col``, as text."""
        out = self._out
        written = fn(
            self._data,
            self._starts.buffer_info()[0],
            self._lens.buffer_info()[0],
            self.width,
            col,
            self.rows,
            *extra,
            (ctypes.c_char * len(out)).from_buffer(out),
            len(out),
        )
        if written < 0:
            raise RuntimeError(f"{fn.__name__} failed")
        return memoryview(out)[:written].tobytes().decode("utf-8")

    def text(self, col: int) -> Text:
        stats = (ctypes.c_int64 * 2)()
        return Text(self._text(self._lib.kontingent_gather, col, ctypes.addressof(stats)), *stats)

    def coded(self, col: int) -> Coded:
        codes = array("i", bytes(4 * self.rows))
        distinct = self._text(self._lib.kontingent_encode, col, codes.buffer_info()[0]).split("\0")
        distinct.pop()  # each value is followed by NUL: nothing comes after the last
        return Coded(distinct, codes)


def cutter() -> Callable[[bytes, int, str, bool, int], Cells | None] | None:
    """(``rows`` records as UTF-8, ``rows``, ``delimiter``, ``crlf``, ``width``) → the block's ``Cells``, or None
    when some record has not ``width`` cells (or the block not ``rows`` records); None when not available. The
    records are separated by ``\\n`` (``\\r\\n`` with ``crlf``), their cells by ``delimiter`` (ASCII); a cell
    cannot hold NUL (the caller's block has none)."""
    lib = _library()
    if isinstance(lib, str):
        return None

    def cut(data: bytes, rows: int, delimiter: str, crlf: bool, width: int) -> Cells | None:
        delim = _delimiter_byte(delimiter)
        starts, lens = array("I", bytes(4 * rows * width)), array("I", bytes(4 * rows * width))
        got = lib.kontingent_cells(
            data, len(data), delim, int(crlf), width, rows, starts.buffer_info()[0], lens.buffer_info()[0]
        )
        return None if got != rows else Cells(lib, data, rows, width, starts, lens)

    return cut


CopyLines = Callable[[list[list[str] | bytes | Coded], str, array, array], bytes]


def copy_lines() -> CopyLines | None:
    """(columns of COPY text fields, ``meta``, row numbers, row hashes) → the COPY text of the block, a line per
    row: its fields, ``meta``, its number and its hash, joined by tabs (UTF-8); None when not available. A
    column is a list of fields, bytes with the fields separated by NUL (``HmacTokens.column``) or ``Coded``.

    Raises ``ValueError`` when a field holds a NUL character (the C side splits on it)."""
    lib = _library()
    if isinstance(lib, str):
        return None
    fn = lib.kontingent_copy_lines

    def lines(columns: list[list[str] | bytes | Coded], meta: str, ns: array, hashes: array) -> bytes:
        rows = len(ns)
        if not rows:
            return b""
        if len(columns) > 256:
            raise ValueError("more than 256 columns")
        buffers, codes, cap = [], [], 0
        for c in columns:
            if isinstance(c, Coded):
                data = joined(c.values).data  # joined: no NUL in a field
                if len(c.codes) != rows:
                    raise RuntimeError("a column is not as long as the others")
                buffers.append(data)
                codes.append(c.codes.buffer_info()[0])
                cap += rows * max(map(len, data.split(b"\0")))
                continue
            data = c if isinstance(c, bytes) else joined(c).data  # how many fields: checked by the C side
            buffers.append(data)
            codes.append(None)
            cap += len(data)
        encoded = meta.encode()
        cap += rows * (len(columns) + len(encoded) + 48)
        if len(space[0]) < cap:
            space[0] = bytearray(cap)  # kept for the next block: no zeroing of megabytes each time
        out = space[0]
        written = fn(
            rows,
            len(buffers),
            (ctypes.c_char_p * len(buffers))(*buffers),
            (ctypes.c_size_t * len(buffers))(*map(len, buffers)),
            (ctypes.c_void_p * len(codes))(*codes),
            encoded,
            len(encoded),
            ns.buffer_info()[0],
            hashes.buffer_info()[0],
            (ctypes.c_char * cap).from_buffer(out),
            cap,
        )
        if written < 0:
            raise RuntimeError("kontingent_copy_lines failed: columns of other lengths than the rows?")
        return bytes(memoryview(out)[:written])

    space = [bytearray()]
    return lines


def main() -> int:
    """``python -m pipelines.native``: build the helper now (``make env`` does) and say which path ingestion takes."""
    try:
        path = build()
        ctypes.CDLL(str(path))
    except (Unavailable, OSError) as exc:
        print(
            f"ingestion hashes in pure Python (the same values, at about 60 % of the speed): {exc}",
            file=sys.stderr,
        )
        return 1
    print(f"compiled ingestion helpers in use: {path}")
    return 0
