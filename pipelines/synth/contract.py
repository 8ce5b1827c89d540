"""The exchange contract (pipelines/contract/sources/*.yaml) as the generator reads it: headers and code lists."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when libyaml is present
CONTRACT_DIR = Path(__file__).resolve().parent.parent / "contract"


@dataclass(frozen=True)
class Field:
    name: str
    header: str
    type: str
    required: bool
    codes: dict | None
    min: object
    max: object
    pii: str | None

    def encode(self, canonical) -> str:
        """File value of a canonical code (first listed file value wins)."""
        for k, v in (self.codes or {}).items():
            if v == canonical or str(v) == str(canonical):
                return str(k)
        raise KeyError(f"{self.name}: no file value for {canonical!r}")


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    fields: tuple[Field, ...]
    persons: tuple[tuple[str, str], ...]  # (role, prefix)
    sheet: str | None
    header_row: int | None
    title_ru: str = ""

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class Source:
    name: str
    format: str
    encoding: str | None
    delimiter: str | None
    date_format: str
    period: str
    entities: dict[str, Entity]
    title_ru: str


@cache
def source(name: str) -> Source:
    d = yaml.load((CONTRACT_DIR / "sources" / f"{name}.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    ents = {}
    for en, e in d["entities"].items():
        fields = tuple(
            Field(
                f["name"],
                f["header"],
                f["type"],
                bool(f.get("required")),
                f.get("codes"),
                f.get("min"),
                f.get("max"),
                f.get("pii"),
            )
            for f in e["fields"]
        )
        persons = tuple((p["role"], p["prefix"]) for p in e.get("persons", []))
        ents[en] = Entity(name, en, fields, persons, e.get("sheet"), e.get("header_row"), e["title"]["ru"])
    return Source(
        name,
        d["format"],
        d.get("encoding"),
        d.get("delimiter"),
        d["date_format"],
        d["period"],
        ents,
        d["title"]["ru"],
    )


@cache
def faults() -> dict[str, dict]:
    d = yaml.safe_load((CONTRACT_DIR / "faults.yaml").read_text(encoding="utf-8"))
    return {f["fault"]: f for f in d["faults"]}
