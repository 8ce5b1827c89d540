"""The landing folder: which file is which submission.

Convention (TEAM.md): ``landing/<source>/<sender_id>/<period>/<entity>__<sent_at:%Y%m%dT%H%M%S>.<ext>``.
A later ``sent_at`` for the same (source, sender_id, period, entity) is a corrected resubmission.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.readers import FileRejected

_NAME = re.compile(r"^(?P<entity>[a-z][a-z0-9_]*?)__(?P<sent>\d{8}T\d{6})\.(?P<ext>[A-Za-z0-9]+)$")
_PERIOD = re.compile(r"^(\d{4}(-\d{2})?|\d{4}-Q[1-4]|\d{4}-\d{2}-Q[1-4]|\d{4}-\d{2}|\d{4}-campaign)$")
REGISTER_SOURCE = "school_register"


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative: str  # relative to the landing folder, with forward slashes
    source: str
    sender_id: str
    period: str
    entity: str
    sent_at: dt.datetime
    ext: str

    @property
    def group(self) -> tuple[str, str, str, str]:
        """Submissions of the same group supersede each other."""
        return (self.source, self.sender_id, self.period, self.entity)


def parse_landing_path(root: Path, path: Path) -> LandingFile:
    """Read source, sender, period, entity and sending time from where the file lies and its name."""
    rel = path.resolve().relative_to(root.resolve())
    parts = rel.parts
    relative = rel.as_posix()
    if len(parts) != 4:
        raise FileRejected(
            "bad_path",
            f"файл лежит не по правилу «<источник>/<отправитель>/<период>/<сущность>__<ГГГГММДДTччммсс>.<расш>»: "
            f"{relative}. Положите его в папку своего источника и периода.",
        )
    source, sender, period, name = parts
    m = _NAME.match(name)
    if not m:
        raise FileRejected(
            "bad_path",
            f"имя файла «{name}» не по правилу «<сущность>__<ГГГГММДДTччммсс>.<расширение>», например "
            "«students__20240920T101500.csv».",
        )
    try:
        sent_at = dt.datetime.strptime(m["sent"], "%Y%m%dT%H%M%S")
    except ValueError:
        raise FileRejected("bad_path", f"в имени файла «{name}» невозможное время отправки.") from None
    return LandingFile(path, relative, source, sender, period, m["entity"], sent_at, m["ext"].lower())


def landing_files(root: Path) -> list[Path]:
    """Every candidate file under the landing folder, register first, then by group and sending time."""
    files = [
        p
        for p in root.rglob("*")
        if p.is_file() and not any(x.startswith(".") for x in p.relative_to(root).parts)
    ]

    def order(p: Path):
        parts = p.relative_to(root).parts
        m = _NAME.match(p.name)
        sent = m["sent"] if m else ""
        return (parts[0] != REGISTER_SOURCE, parts[:-1], m["entity"] if m else p.name, sent)

    return sorted(files, key=order)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
