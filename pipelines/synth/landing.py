"""Writes landing files exactly as senders deliver them, plants faults, and records the ground truth of every row.

A table arrives here as canonical columns (codes as canonical values, dates as datetime64, numbers as ints) plus,
for each person role, the true person id of every row. The writer formats it by the contract (headers, code
lists, date format, encoding), plants row- and file-level faults at the configured rates and appends
``record_links.csv`` and ``faults.csv``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.synth import contract
from pipelines.synth.identifiers import corrupt_snils_checksum, valid_other_snils
from pipelines.synth.names import cp1251_safe, name_variant

ROW_FAULTS = (
    "missing_required",
    "bad_type",
    "unknown_code",
    "impossible_date",
    "out_of_range",
    "duplicate_row",
)
IDENTITY_FAULTS = ("name_variant", "swapped_day_month", "snils_missing", "snils_mistyped", "snils_checksum")
FILE_FAULTS = (
    "wrong_encoding",
    "encoding_detected",
    "truncated_file",
    "missing_columns",
    "duplicate_file",
    "resubmission",
    "late_submission",
    "missing_submission",
)
SNILS_DIGITS_ONLY = {"school_vendor_b", "gosuslugi"}  # these systems store СНИЛС as 11 bare digits
EXT = {"csv": "csv", "jsonl": "jsonl", "xlsx": "xlsx"}
FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def default_rates() -> dict[str, float]:
    return {k: float(v["rate"]) for k, v in contract.faults().items() if v.get("rate") is not None}


@dataclass
class Table:
    cols: dict[str, np.ndarray]  # canonical name -> values
    persons: dict[str, np.ndarray]  # role -> person id per row

    def __len__(self) -> int:
        for v in self.cols.values():
            return len(v)
        return 0


_DAY0 = np.datetime64("1900-01-01", "D")
_NDAYS = int((np.datetime64("2101-01-01", "D") - _DAY0).astype(int))
_DAY_STRINGS: dict[str, np.ndarray] = {}


def _fmt_dates(values: np.ndarray, fmt: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = pd.to_datetime(pd.Series(arr), errors="coerce").to_numpy().astype("datetime64[D]")
    arr = arr.astype("datetime64[D]")
    nat = np.isnat(arr)
    # days of 1900–2100 come from a table of their strings, made once per format
    off = np.where(nat, 0, (arr - _DAY0).astype(np.int64))
    if len(off) and 0 <= off.min() and off.max() < _NDAYS:
        table = _DAY_STRINGS.get(fmt)
        if table is None:
            table = _DAY_STRINGS[fmt] = _fmt_days(_DAY0 + np.arange(_NDAYS), np.zeros(_NDAYS, bool), fmt)
        out = table[off]
        out[nat] = ""
        return out
    return _fmt_days(arr, nat, fmt)


def _fmt_days(arr: np.ndarray, nat: np.ndarray, fmt: str) -> np.ndarray:
    safe, inverse = np.unique(np.where(nat, np.datetime64("2000-01-01"), arr), return_inverse=True)
    y = (safe.astype("datetime64[Y]").astype(int) + 1970).tolist()
    mo = (safe.astype("datetime64[M]").astype(int) % 12 + 1).tolist()
    d = ((safe - safe.astype("datetime64[M]")).astype(int) + 1).tolist()
    if fmt in ("iso", "%Y-%m-%d"):
        out = [f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y, mo, d, strict=True)]
    elif fmt == "%d.%m.%Y":
        out = [f"{c:02d}.{b:02d}.{a:04d}" for a, b, c in zip(y, mo, d, strict=True)]
    else:
        out = [dt.date(a, b, c).strftime(fmt) for a, b, c in zip(y, mo, d, strict=True)]
    out = np.array(out, dtype=object)[inverse.ravel()]
    out[nat] = ""
    return out


def format_column(f: contract.Field, values, date_format: str) -> np.ndarray:
    v = np.asarray(values)
    if f.type == "date":
        return _fmt_dates(v, date_format)
    if f.type in ("code", "bool") and f.codes:
        inv = {}
        for k, c in f.codes.items():
            inv.setdefault(str(c), str(k))
        inv[""] = ""
        inv["None"] = ""
        inv["nan"] = ""
        if v.dtype == object:
            v = np.where(v == None, "", v)  # noqa: E711 - elementwise test on an object array
        codes, uniq = pd.factorize(v, use_na_sentinel=False)  # by hashing: no sort of the strings
        return np.array([inv[str(x)] for x in uniq.tolist()], dtype=object)[codes]
    if v.dtype.kind in "iu":
        return v.astype(str).astype(object)
    if v.dtype.kind == "f":
        out = np.where(np.isnan(v), "", np.char.mod("%g", np.nan_to_num(v))).astype(object)
        return out
    if v.dtype.kind == "b":
        return np.where(v, "1", "0").astype(object)
    if v.dtype == object:
        out = v.copy()
        out[v == None] = ""  # noqa: E711 - elementwise test on an object array
        return out
    return v.astype(str).astype(object)


def _swap_day_month(s: str, date_format: str) -> str | None:
    try:
        d = dt.date.fromisoformat(s) if date_format == "iso" else dt.datetime.strptime(s, date_format).date()
        if d.day > 12 or d.day == d.month:
            return None
        nd = dt.date(d.year, d.day, d.month)
    except ValueError:
        return None
    return nd.isoformat() if date_format == "iso" else nd.strftime(date_format)


@dataclass
class Landing:
    out: Path
    seed: int
    rates: dict[str, float]
    as_of: dt.date
    faults_enabled: bool = True
    counts: dict[str, int] = field(default_factory=dict)
    fault_counts: dict[str, int] = field(default_factory=dict)
    eligible: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self.landing = self.out / "landing"
        self.truth = self.out / "ground_truth"
        self.landing.mkdir(parents=True, exist_ok=True)
        self.truth.mkdir(parents=True, exist_ok=True)
        self._links = open(self.truth / "record_links.csv", "w", encoding="utf-8", newline="")
        self._links.write("file,row,person_id,role\n")
        self._faults = open(self.truth / "faults.csv", "w", encoding="utf-8", newline="")
        self._faults_w = csv.writer(self._faults, lineterminator="\n")
        self._faults_w.writerow(["fault", "file", "row", "field", "rule", "action"])
        self._fdef = contract.faults()
        self.files: list[dict] = []

    def close(self):
        self._links.close()
        self._faults.close()

    # ---- parts: a worker process writes its bookkeeping apart; the parent appends the parts in a fixed order
    def flush(self) -> None:
        """Empty the write buffers (before forking workers, so that no child inherits and re-writes them)."""
        self._links.flush()
        self._faults.flush()

    def begin_part(self, stem: Path) -> None:
        """In a worker: send ``record_links`` and ``faults`` rows and the counts to part files of ``stem``."""
        stem.parent.mkdir(parents=True, exist_ok=True)
        self._inherited = (self._links, self._faults)  # the parent's handles: never closed here
        self._part = stem
        self._links = open(f"{stem}.links", "w", encoding="utf-8", newline="")
        self._faults = open(f"{stem}.faults", "w", encoding="utf-8", newline="")
        self._faults_w = csv.writer(self._faults, lineterminator="\n")
        self.counts, self.fault_counts, self.files = {}, {}, []

    def end_part(self) -> dict:
        self._links.close()
        self._faults.close()
        return {
            "stem": str(self._part),
            "counts": self.counts,
            "fault_counts": self.fault_counts,
            "files": self.files,
        }

    def merge_part(self, part: dict) -> None:
        """Append a worker's part (see ``begin_part``) as if this process had written it."""
        for suffix, fh in ((".links", self._links), (".faults", self._faults)):
            path = Path(part["stem"] + suffix)
            fh.flush()  # then the bytes go straight to the file under the text layer, in order
            with open(path, "rb") as src:
                shutil.copyfileobj(src, fh.buffer, 1 << 20)
            fh.buffer.flush()
            path.unlink()
        for key, n in part["counts"].items():
            self.counts[key] = self.counts.get(key, 0) + n
        for key, n in part["fault_counts"].items():
            self.fault_counts[key] = self.fault_counts.get(key, 0) + n
        self.files.extend(part["files"])

    # ---- faults bookkeeping
    def _fault(self, fault: str, file: str, row: int | str = "", fld: str = ""):
        d = self._fdef[fault]
        self._faults_w.writerow([fault, file, row, fld, d["rule"] or "", d["action"]])
        self.fault_counts[fault] = self.fault_counts.get(fault, 0) + 1

    def _rng(self, *key) -> np.random.Generator:
        import zlib

        return np.random.default_rng([self.seed, zlib.crc32("|".join(map(str, key)).encode())])

    def sent_at(self, source: str, sender: str, period: str, entity: str, due: dt.date) -> dt.datetime:
        """When the sender sent the file: a few days after the period, sometimes late (deterministic per file)."""
        r = self._rng("sent", source, sender, period, entity)
        late = self.faults_enabled and r.random() < self.rates.get("late_submission", 0)
        days = int(r.integers(6, 40)) if late else int(r.integers(0, 4))
        secs = int(r.integers(8 * 3600, 19 * 3600))
        return dt.datetime.combine(due + dt.timedelta(days=days), dt.time()) + dt.timedelta(seconds=secs)

    # ---- the main entry
    def write(
        self,
        source: str,
        sender: str,
        period: str,
        entity: str,
        due: dt.date,
        table: Table,
        allow_faults: bool = True,
        sent_at: dt.datetime | None = None,
        notes: list[tuple[str, int]] | None = None,
    ) -> str | None:
        """Write one file; ``notes`` are faults of the content itself (fault, 0-based row) recorded with the file."""
        src = contract.source(source)
        ent = src.entities[entity]
        r = self._rng("file", source, sender, period, entity)
        faults_on = self.faults_enabled and allow_faults
        sent = sent_at or self.sent_at(source, sender, period, entity, due)
        rel_dir = f"{source}/{sender}/{period}"
        if faults_on and r.random() < self.rates.get("missing_submission", 0) and sent_at is None:
            self._fault("missing_submission", f"{rel_dir}/{entity}")
            return None
        if sent.date() > self.as_of:
            return None  # not sent yet
        rows, links, row_faults = self._format(src, ent, table, r, faults_on, notes or [])
        file_faults: list[str] = []
        # an earlier, incomplete version that a corrected resubmission supersedes
        if faults_on and len(rows) > 3 and r.random() < self.rates.get("resubmission", 0):
            keep = r.random(len(rows)) > 0.05
            keep[0] = True
            earlier_rows = [row for row, k in zip(rows, keep, strict=True) if k]
            earlier_links = {role: ids[keep] for role, ids in links.items()}
            early_sent = sent - dt.timedelta(days=int(r.integers(1, 6)), seconds=int(r.integers(0, 3600)))
            new_pos = np.cumsum(keep) - 1
            # a kept copy whose original was dropped is no longer a duplicate
            earlier_faults = [
                (fa, int(new_pos[i]), fl)
                for fa, i, fl in row_faults
                if keep[i] and not (fa == "duplicate_row" and not keep[i - 1])
            ]
            rel = self._emit(
                src, ent, rel_dir, entity, early_sent, earlier_rows, earlier_links, earlier_faults, [], r
            )
            self._fault("resubmission", rel)
        if faults_on and r.random() < self.rates.get("missing_columns", 0):
            file_faults.append("missing_columns")
        enc_roll = r.random()
        if faults_on and src.format != "xlsx":
            if enc_roll < self.rates.get("wrong_encoding", 0):
                file_faults.append("wrong_encoding")
            elif enc_roll < self.rates.get("wrong_encoding", 0) + self.rates.get("encoding_detected", 0):
                file_faults.append("encoding_detected")
            if len(rows) > 1 and r.random() < self.rates.get("truncated_file", 0):
                file_faults.append("truncated_file")
        rel = self._emit(src, ent, rel_dir, entity, sent, rows, links, row_faults, file_faults, r)
        if faults_on and r.random() < self.rates.get("duplicate_file", 0):
            data = (self.landing / rel).read_bytes()
            dup_sent = sent + dt.timedelta(hours=int(r.integers(1, 72)))
            if dup_sent.date() <= self.as_of:
                rel2 = f"{rel_dir}/{entity}__{dup_sent:%Y%m%dT%H%M%S}.{EXT[src.format]}"
                (self.landing / rel2).write_bytes(data)
                self._links_for(rel2, links)
                self._fault("duplicate_file", rel2)
                for fa, i, fl in row_faults:  # the copy carries the same row faults
                    self._fault(fa, rel2, i + 1, fl)
                self.counts[f"{source}__{entity}"] = self.counts.get(f"{source}__{entity}", 0) + len(rows)
        if sent.date() > due + dt.timedelta(days=5):
            self._fault("late_submission", rel)
        return rel

    # ---- formatting with row-level faults
    def _format(
        self,
        src: contract.Source,
        ent: contract.Entity,
        table: Table,
        r: np.random.Generator,
        faults_on: bool,
        notes=(),
    ):
        n = len(table)
        cols = []
        for f in ent.fields:
            v = table.cols.get(f.name)
            cols.append(
                format_column(f, v, src.date_format) if v is not None else np.full(n, "", dtype=object)
            )
        if src.encoding == "cp1251":
            for i, f in enumerate(ent.fields):
                if f.type == "string":
                    if len(cols[i]):
                        joined = cp1251_safe("\x1f".join(map(str, cols[i].tolist())))
                        cols[i] = np.array(joined.split("\x1f"), dtype=object)
        mat = np.empty((n, len(ent.fields)), dtype=object)
        for i, c in enumerate(cols):
            mat[:, i] = c
        links = {role: np.asarray(ids, dtype=object) for role, ids in table.persons.items()}
        row_faults: list[tuple[str, int, str]] = [
            (fa, i, "") for fa, i in notes
        ]  # (fault, 0-based row, field)
        if not faults_on or n == 0:
            if src.name in SNILS_DIGITS_ONLY:
                for j, f in enumerate(ent.fields):
                    if f.type == "snils":
                        mat[:, j] = [v.replace("-", "").replace(" ", "") for v in mat[:, j].tolist()]
            return mat.tolist(), links, row_faults
        idx = {f.name: i for i, f in enumerate(ent.fields)}
        # identity faults, per person role in the row
        for _role, prefix in ent.persons:
            fl, ff, fm = (
                idx.get(prefix + "last_name"),
                idx.get(prefix + "first_name"),
                idx.get(prefix + "middle_name"),
            )
            fb, fs = idx.get(prefix + "birth_date"), idx.get(prefix + "snils")
            u = r.random(n)
            acc = 0.0
            for fault in IDENTITY_FAULTS:
                rate = self.rates.get(fault, 0.0)
                sel = np.where((u >= acc) & (u < acc + rate))[0]
                acc += rate
                for i in sel.tolist():
                    if fault == "name_variant" and fl is not None and mat[i, fl]:
                        a, b, c, which = name_variant(
                            mat[i, fl], mat[i, ff], mat[i, fm] if fm is not None else "", r
                        )
                        mat[i, fl], mat[i, ff] = a, b
                        if fm is not None:
                            mat[i, fm] = c
                        row_faults.append((fault, i, prefix + which))
                    elif fault == "swapped_day_month" and fb is not None and mat[i, fb]:
                        sw = _swap_day_month(mat[i, fb], src.date_format)
                        if sw:
                            mat[i, fb] = sw
                            row_faults.append((fault, i, prefix + "birth_date"))
                    elif fs is not None and mat[i, fs]:
                        if fault == "snils_missing":
                            mat[i, fs] = ""
                        elif fault == "snils_mistyped":
                            mat[i, fs] = valid_other_snils(mat[i, fs], r)
                        elif fault == "snils_checksum":
                            mat[i, fs] = corrupt_snils_checksum(mat[i, fs], r)
                        row_faults.append((fault, i, prefix + "snils"))
        # validation faults
        req = [i for i, f in enumerate(ent.fields) if f.required]
        ints = [i for i, f in enumerate(ent.fields) if f.type == "int"]
        codes = [i for i, f in enumerate(ent.fields) if f.type == "code"]
        dates = [i for i, f in enumerate(ent.fields) if f.type == "date"]
        ranged = [i for i, f in enumerate(ent.fields) if f.type == "int" and f.max is not None]
        u = r.random(n)
        acc = 0.0
        dup_rows = []
        for fault in ROW_FAULTS:
            rate = self.rates.get(fault, 0.0)
            sel = np.where((u >= acc) & (u < acc + rate))[0]
            acc += rate
            for i in sel.tolist():
                if fault == "duplicate_row":
                    dup_rows.append(i)
                    continue
                pool = {
                    "missing_required": req,
                    "bad_type": ints,
                    "unknown_code": codes,
                    "impossible_date": dates,
                    "out_of_range": ranged,
                }[fault]
                pool = [j for j in pool if mat[i, j] != ""]
                if not pool:
                    continue
                j = pool[int(r.integers(0, len(pool)))]
                f = ent.fields[j]
                if fault == "missing_required":
                    mat[i, j] = ""
                elif fault == "bad_type":
                    mat[i, j] = mat[i, j] + "а" if r.random() < 0.5 else "н/д"
                elif fault == "unknown_code":
                    mat[i, j] = "??" if r.random() < 0.3 else ("Х" if src.encoding == "cp1251" else "X9")
                elif fault == "impossible_date":
                    y = str(mat[i, j])
                    year = y[:4] if src.date_format in ("iso", "%Y-%m-%d") else y[-4:]
                    bad = r.choice(["02-31", "13-05", "04-31", "00-10"])
                    mm, dd = bad.split("-")
                    mat[i, j] = (
                        f"{year}-{mm}-{dd}" if src.date_format in ("iso", "%Y-%m-%d") else f"{dd}.{mm}.{year}"
                    )
                elif fault == "out_of_range":
                    mat[i, j] = str(
                        int(f.max) + 1
                        if r.random() < 0.7
                        else int(f.min) - 1
                        if f.min is not None
                        else int(f.max) + 1
                    )
                row_faults.append((fault, i, f.name))
        if src.name in SNILS_DIGITS_ONLY:
            for j, f in enumerate(ent.fields):
                if f.type == "snils":
                    mat[:, j] = [v.replace("-", "").replace(" ", "") for v in mat[:, j].tolist()]
        rows = mat.tolist()
        if dup_rows:
            # insert a copy after each chosen row; shift the recorded row numbers
            dup_set = np.unique(dup_rows)
            reps = np.ones(len(rows), int)
            reps[dup_set] = 2
            ni = np.repeat(np.arange(len(rows)), reps)
            first = np.cumsum(reps) - reps  # new position of each original row
            row_faults = [(fa, int(first[i]), fl) for fa, i, fl in row_faults]
            copies = (first[dup_set] + 1).tolist()
            row_faults += [("duplicate_row", k, "") for k in copies]
            rows = [rows[i] for i in ni.tolist()]
            for k in copies:
                rows[k] = list(rows[k])
            links = {role: ids[ni] for role, ids in links.items()}
        return rows, links, row_faults

    def _links_for(self, rel: str, links: dict[str, np.ndarray]):
        roles = list(links.items())
        if not roles:
            return
        if len(roles) == 1:
            role, ids = roles[0]
            tail = f",{role}\n"
            self._links.write(
                "".join([f"{rel},{i},{pid}{tail}" for i, pid in enumerate(ids.tolist(), start=1) if pid])
            )
            return
        n = len(roles[0][1])
        cols = [(role, ids.tolist()) for role, ids in roles]
        out = []
        for i in range(n):
            for role, ids in cols:
                pid = ids[i]
                if pid:
                    out.append(f"{rel},{i + 1},{pid},{role}\n")
        self._links.write("".join(out))

    def _emit(self, src, ent, rel_dir, entity, sent, rows, links, row_faults, file_faults, r) -> str:
        rel = f"{rel_dir}/{entity}__{sent:%Y%m%dT%H%M%S}.{EXT[src.format]}"
        path = self.landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = list(ent.fields)
        cut_row = None  # the row a truncation cuts in half
        if "missing_columns" in file_faults:
            cand = [i for i, f in enumerate(fields) if f.required and i > 0]
            drop = cand[int(r.integers(0, len(cand)))] if cand else len(fields) - 1
            fields = [f for i, f in enumerate(fields) if i != drop]
            rows = [[v for i, v in enumerate(row) if i != drop] for row in rows]
            self._fault("missing_columns", rel, "", ent.fields[drop].name)
        if src.format == "csv":
            data = self._csv(src, fields, rows)
        elif src.format == "jsonl":
            data = self._jsonl(src, fields, rows)
        else:
            data = self._xlsx(src, ent, fields, rows, rel_dir)
        if src.format != "xlsx":
            enc = src.encoding or "utf-8"
            if "encoding_detected" in file_faults:
                other = "utf-8" if enc == "cp1251" else "cp1251"
                data_b = data.encode(other, errors="replace")
                self._fault("encoding_detected", rel)
            else:
                data_b = data.encode(enc, errors="replace")
            if "wrong_encoding" in file_faults:
                lines = data.split("\n")
                other = "utf-8" if enc == "cp1251" else "cp1251"
                mixed = [
                    ln.encode(other if k % 2 == 1 else enc, errors="replace") for k, ln in enumerate(lines)
                ]
                # what the bytes show is what the truth lists: both encodings among the lines with letters outside
                # ASCII is a mixed file; only re-encoded ones is a file wholly in the other encoding; none is clean
                parity = {k % 2 for k, ln in enumerate(lines) if not ln.isascii()}
                if parity:
                    data_b = b"\n".join(mixed)
                if parity == {0, 1}:
                    self._fault("wrong_encoding", rel)
                elif parity == {1}:
                    self._fault("encoding_detected", rel)
            if "truncated_file" in file_faults:
                cut_row = len(rows)
                body = data_b.rstrip(b"\n").rstrip(b"\r")
                last_nl = body.rfind(b"\n")
                last = body[last_nl + 1 :]
                cut = max(1, len(last) // 2)
                data_b = body[: last_nl + 1] + last[:cut]
                self._fault("truncated_file", rel, len(rows), "")
            path.write_bytes(data_b)
        else:
            path.write_bytes(data)
        self._links_for(rel, links)
        for fault, i, fld in row_faults:
            if i + 1 == cut_row:
                continue  # planted in the row the truncation cut: all a reader can see of it is a truncated row
            self._fault(fault, rel, i + 1, fld)
        key = f"{src.name}__{entity}"
        self.counts[key] = self.counts.get(key, 0) + len(rows)
        self.files.append({"file": rel, "rows": len(rows)})
        return rel

    def _csv(self, src, fields, rows) -> str:
        buf = io.StringIO()
        w = csv.writer(
            buf,
            delimiter=src.delimiter,
            lineterminator="\r\n" if src.encoding == "cp1251" else "\n",
            quoting=csv.QUOTE_MINIMAL,
        )
        w.writerow([f.header for f in fields])
        if len(fields) > 1 and rows and all(type(v) is str for v in rows[0]):
            term = "\r\n" if src.encoding == "cp1251" else "\n"
            try:
                cols = ["".join(col) for col in zip(*rows, strict=True)]
                if not any(ch in col for col in cols for ch in (src.delimiter, '"', "\r", "\n")):
                    # nothing to quote: what the csv module would write, joined directly
                    buf.write(term.join([src.delimiter.join(r) for r in rows]) + term)
                    return buf.getvalue()
            except TypeError:  # a value that is not a string: let the csv module format it
                pass
        w.writerows(rows)
        return buf.getvalue()

    def _jsonl(self, src, fields, rows) -> str:
        # one JSON object per row, keys in contract order; numbers and booleans unquoted, blanks as null
        kinds = []
        for f in fields:
            if f.type == "int":
                kinds.append(1)
            elif f.type == "bool" and f.codes and set(map(str, f.codes)) == {"true", "false"}:
                kinds.append(2)
            else:
                kinds.append(0)
        keys = [json.dumps(f.header, ensure_ascii=False) + ": " for f in fields]
        enc = json.JSONEncoder(ensure_ascii=False).encode
        if not rows:
            return "\n"
        # column by column: a column that needs no per-value decision goes into the row template as it is; the
        # others become ready fragments (one comprehension each); then one %-format per row
        parts, pieces = [], []
        for key, k, col in zip(keys, kinds, zip(*rows, strict=True), strict=True):
            null, q = key + "null", key + '"'
            joined = "".join(col)
            plain = '"' not in joined and "\\" not in joined
            if "" not in col and ((k == 1 and joined.isdigit()) or (k == 0 and plain)):
                pieces.append(key.replace("%", "%%") + ("%s" if k == 1 else '"%s"'))
                parts.append(col)
                continue
            pieces.append("%s")
            if k == 1 and (joined.isdigit() or not joined):
                parts.append([null if v == "" else key + v for v in col])
            elif k == 1:
                parts.append(
                    [
                        null
                        if v == ""
                        else key + v
                        if v.lstrip("-").isdigit()
                        else key + enc(v)
                        if '"' in v or "\\" in v
                        else q + v + '"'
                        for v in col
                    ]
                )
            elif k == 2:
                parts.append(
                    [
                        null
                        if v == ""
                        else key + v
                        if v == "true" or v == "false"
                        else key + enc(v)
                        if '"' in v or "\\" in v
                        else q + v + '"'
                        for v in col
                    ]
                )
            elif plain:
                parts.append([null if v == "" else q + v + '"' for v in col])
            else:
                parts.append(
                    [null if v == "" else key + enc(v) if '"' in v or "\\" in v else q + v + '"' for v in col]
                )
        template = "{" + ", ".join(pieces) + "}\n"
        return "".join([template % t for t in zip(*parts, strict=True)])

    def _xlsx(self, src, ent, fields, rows, rel_dir) -> bytes:
        title = f"{ent.title_ru or ent.name} ({src.title_ru}), период {rel_dir.split('/')[-1]}"
        header_row = ent.header_row or 1
        sheet_rows = [[title] if k == 1 else [] for k in range(1, header_row)]
        sheet_rows.append([f.header for f in fields])
        ints = {j for j, f in enumerate(fields) if f.type == "int"}
        return xlsx_bytes(ent.sheet or "Лист1", sheet_rows, data=rows, int_columns=ints)


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _esc(v: str) -> str:
    if "&" in v or "<" in v or ">" in v or '"' in v:
        return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return v


def _data_rows_xml(rows: list[list[str]], first: int, letters: list[str], int_columns: set[int]) -> list[str]:
    """Sheet rows of formatted strings, built column by column; digits of an int column become numbers."""
    if not rows:
        return []
    rns = range(first, first + len(rows))
    cols = []
    for j, col in enumerate(zip(*rows, strict=True)):
        joined = "".join(col)
        if "&" in joined or "<" in joined or ">" in joined or '"' in joined:
            col = [_esc(v) for v in col]
        a, b = f'<c r="{letters[j]}', '" t="inlineStr"><is><t>'
        if j in int_columns and (joined.isdigit() or not joined):
            cols.append(
                ["" if v == "" else f'{a}{rn}"><v>{int(v)}</v></c>' for rn, v in zip(rns, col, strict=True)]
            )
        elif j in int_columns:
            cols.append(
                [
                    ""
                    if v == ""
                    else f'{a}{rn}"><v>{int(v)}</v></c>'
                    if v.lstrip("-").isdigit()
                    else f"{a}{rn}{b}{v}</t></is></c>"
                    for rn, v in zip(rns, col, strict=True)
                ]
            )
        else:
            cols.append(
                ["" if v == "" else f"{a}{rn}{b}{v}</t></is></c>" for rn, v in zip(rns, col, strict=True)]
            )
    return [f'<row r="{rn}">{"".join(t)}</row>' for rn, t in zip(rns, zip(*cols, strict=True), strict=True)]


def xlsx_bytes(
    sheet: str, rows: list[list], data: list[list[str]] | None = None, int_columns: set[int] = frozenset()
) -> bytes:
    """A minimal, deterministic .xlsx (inline strings, no styles): what a ministry's Excel export amounts to.

    ``rows`` are written as they are (ints as numbers); ``data`` rows of strings follow them.
    """
    width = max([len(r) for r in rows] + [len(r) for r in (data or [])[:1]] + [1])
    letters = [_col_letter(i) for i in range(width)]
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    ]
    for rn, row in enumerate(rows, start=1):
        cells = "".join(
            [
                f'<c r="{letters[ci]}{rn}"><v>{v}</v></c>'
                if isinstance(v, int)
                else f'<c r="{letters[ci]}{rn}" t="inlineStr"><is><t>{_esc(str(v))}</t></is></c>'
                for ci, v in enumerate(row)
                if v is not None and v != ""
            ]
        )
        out.append(f'<row r="{rn}">{cells}</row>')
    out += _data_rows_xml(data or [], len(rows) + 1, letters, int_columns)
    out.append("</sheetData></worksheet>")
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>",
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{_esc(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": "".join(out),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(
                zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME),
                text.encode("utf-8"),
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return buf.getvalue()
