"""One pass over one file: read, validate and shape each row; shared by ``validate`` and ``ingest``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.contract import Entity, Source
from pipelines.ingest.readers import BrokenRow, FileRejected, Opened, open_file
from pipelines.ingest.validation import Checked, Issue, RowChecker

EXTENSIONS = {"csv": ("csv", "txt"), "jsonl": ("jsonl", "json", "ndjson"), "xlsx": ("xlsx",)}


@dataclass
class Scan:
    source: Source
    entity: Entity
    opened: Opened
    checker: RowChecker

    def rows(self) -> Iterator[tuple[int, Checked, dict[str, Any]]]:
        for n, cells in self.opened.rows:
            if isinstance(cells, BrokenRow):
                issue = Issue(n, None, None, cells.rule, "reject_row", "", cells.message)
                yield n, Checked(None, [issue]), cells.cells
                continue
            checked = self.checker.check(n, cells)
            if checked.values is not None or checked.anonymous is not None:
                checked.row_hash = self.checker.row_hash(cells)
            yield n, checked, cells


def resolve_entity(
    sources: dict[str, Source], source_name: str, entity_name: str, ext: str
) -> tuple[Source, Entity]:
    source = sources.get(source_name)
    if source is None:
        raise FileRejected(
            "unknown_source",
            f"источник «{source_name}» не описан в формате обмена (известны: {', '.join(sorted(sources))}). "
            "Положите файл в папку своего источника.",
        )
    entity = source.entities.get(entity_name)
    if entity is None:
        raise FileRejected(
            "unknown_entity",
            f"в источнике «{source_name}» нет таблицы «{entity_name}» (есть: {', '.join(source.entities)}). "
            "Назовите файл по шаблону «<таблица>__<время отправки>».",
        )
    if ext not in EXTENSIONS[source.format]:
        raise FileRejected(
            "bad_format",
            f"источник «{source_name}» присылает файлы {source.format.upper()}, а получен «.{ext}». "
            f"Выгрузите данные в формате {source.format.upper()}.",
        )
    return source, entity


def start_scan(path: Path, source: Source, entity: Entity, key: bytes) -> Scan:
    """Open the file and check its header; raises FileRejected for file-level problems."""
    opened = open_file(path, source, entity)
    return Scan(source, entity, opened, RowChecker(source, entity, key))
