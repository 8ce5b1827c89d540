"""The tiny and demo regions, each generated once per session, and readers for their landing files.

Statistical tests take ``region`` and run on both scales (DOMAIN.md's rates must hold on the small region and on the
one ``make demo`` shows); determinism and command tests take ``tiny`` only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from pipelines.synth import generate
from pipelines.synth.contract import source

AS_OF = dt.date(2026, 11, 28)
FILE_FAULTS = {"wrong_encoding", "encoding_detected", "truncated_file", "missing_columns"}
# The session's tiny region is written by this many processes (a reused KONTINGENT_SYNTH_TINY_DIR: unknown).
TINY_WORKERS = 2


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> Path:
    reuse = os.environ.get(
        "KONTINGENT_SYNTH_TINY_DIR"
    )  # a tiny region generated with seed 7 (speeds up reruns)
    if reuse:
        return Path(reuse)
    out = tmp_path_factory.mktemp("tiny")
    generate("tiny", 7, AS_OF, out, workers=TINY_WORKERS)
    return out


@pytest.fixture(scope="session", params=["tiny", "demo"])
def region(request, tmp_path_factory) -> Path:
    """The region of one scale (seed 7); pytest groups the tests by scale, so each is generated once."""
    if request.param == "tiny":
        return request.getfixturevalue("tiny")
    reuse = os.environ.get("KONTINGENT_SYNTH_DEMO_DIR")  # a demo region generated with seed 7
    if reuse:
        return Path(reuse)
    out = tmp_path_factory.mktemp("demo")
    generate("demo", 7, AS_OF, out)
    return out


@pytest.fixture(scope="session")
def faults(region) -> pd.DataFrame:
    return pd.read_csv(region / "ground_truth" / "faults.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def links(region) -> pd.DataFrame:
    return pd.read_csv(
        region / "ground_truth" / "record_links.csv", dtype={"row": int}, keep_default_na=False
    )


def read_rows(path: Path, src_name: str, entity: str) -> list[dict]:
    """Data rows of one landing file as dicts keyed by canonical field name (raw strings)."""
    src = source(src_name)
    ent = src.entities[entity]
    by_header = {f.header: f.name for f in ent.fields}
    if src.format == "csv":
        text = path.read_bytes().decode(src.encoding)
        reader = csv.reader(io.StringIO(text), delimiter=src.delimiter)
        header = next(reader)
        return [{by_header[h]: v for h, v in zip(header, row, strict=False)} for row in reader]
    if src.format == "jsonl":
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            out.append(
                {
                    by_header[k]: ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v))
                    for k, v in d.items()
                }
            )
        return out
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = rows[ent.header_row - 1]
    data = rows[ent.header_row :]
    return [
        {
            by_header[h]: ("" if v == "" else str(int(v)) if isinstance(v, float) and v == int(v) else str(v))
            for h, v in zip(header, r, strict=False)
        }
        for r in data
    ]


def landing_files(root: Path, src_name: str, entity: str) -> list[Path]:
    return sorted((root / "landing" / src_name).glob(f"*/*/{entity}__*"))


def clean_rows(root: Path, faults: pd.DataFrame, src_name: str, entity: str) -> pd.DataFrame:
    """All rows of an entity from files without file-level faults, minus rows with a row-level fault."""
    bad_files = set(
        faults.loc[faults["fault"].isin(FILE_FAULTS | {"duplicate_file", "resubmission"}), "file"]
    )
    bad_rows = set(
        zip(
            faults.loc[faults["row"] != "", "file"],
            faults.loc[faults["row"] != "", "row"].astype(int),
            strict=True,
        )
    )
    frames = []
    for p in landing_files(root, src_name, entity):
        rel = str(p.relative_to(root / "landing"))
        if rel in bad_files:
            continue
        rows = [
            r | {"_file": rel, "_row": i}
            for i, r in enumerate(read_rows(p, src_name, entity), start=1)
            if (rel, i) not in bad_rows
        ]
        frames.append(pd.DataFrame(rows))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
