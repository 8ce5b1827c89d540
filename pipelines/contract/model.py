"""Typed model of the exchange contract and its loader.

One YAML per source (``sources/<source>.yaml``) describes the file format, the entities it carries and
every field; ``faults.yaml`` lists the planted faults and the ingestion rule that must catch each one.
The loader checks the YAML strictly and names the file and key of any mistake, because vendors' IT staff
and the generator both write against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONTRACT_DIR = Path(__file__).resolve().parent
SOURCES_DIR = CONTRACT_DIR / "sources"

FORMATS = ("csv", "jsonl", "xlsx")
FIELD_TYPES = ("string", "int", "decimal", "date", "bool", "code", "snils", "inn")
PII_KINDS = (
    "snils",
    "last_name",
    "first_name",
    "middle_name",
    "birth_date",
    "birth_certificate",
    "address",
    "phone",
)
PERIODS = ("month", "quarter", "school_year", "year", "campaign")
SENDER_KINDS = ("school", "agency")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


CONTRACT_WARNINGS: list[str] = []
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader reads the contract 10× faster


class ContractError(ValueError):
    """The contract YAML itself is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Text:
    ru: str
    en: str

    @classmethod
    def parse(cls, value: Any, where: str) -> Text:
        if value is None:
            return cls("", "")
        if isinstance(value, str):
            return cls(value, value)
        if not isinstance(value, dict):
            raise ContractError(f"{where}: ожидается {{ru: …, en: …}}, получено {value!r}")
        return cls(
            str(value.get("ru") or value.get("en") or ""), str(value.get("en") or value.get("ru") or "")
        )


@dataclass(frozen=True)
class Field:
    name: str
    header: str
    type: str
    required: bool = False
    codes: dict[str, str] | None = None
    min: Any = None
    max: Any = None
    pii: str | None = None
    description: Text = Text("", "")
    max_length: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def person_prefix(self) -> str:
        """``guardian_`` for ``guardian_last_name`` (pii last_name); empty for the main person of a row."""
        if self.pii and self.name.endswith(self.pii):
            return self.name[: -len(self.pii)]
        return ""


@dataclass(frozen=True)
class Entity:
    name: str
    title: Text
    fields: tuple[Field, ...]
    sheet: str | None = None
    header_row: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def field_by_name(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class Source:
    source: str
    version: int
    title: Text
    sender_kind: str
    format: str
    encoding: str
    delimiter: str
    date_format: str
    period: str
    entities: dict[str, Entity]
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self, entity: str) -> str:
        """Name of the raw table (without schema) for one entity."""
        return f"{self.source}__{entity}"


@dataclass(frozen=True)
class Fault:
    fault: str
    rule: str | None
    action: str
    description: Text


def _require(mapping: dict, key: str, where: str) -> Any:
    if key not in mapping or mapping[key] is None:
        raise ContractError(f"{where}: нет обязательного ключа «{key}»")
    return mapping[key]


def _parse_field(raw: Any, where: str) -> Field:
    if not isinstance(raw, dict):
        raise ContractError(f"{where}: описание поля должно быть словарём")
    known = {"name", "header", "type", "required", "codes", "min", "max", "pii", "description", "max_length"}
    name = str(_require(raw, "name", where))
    where = f"{where} (поле {name})"
    if not _NAME.match(name):
        raise ContractError(f"{where}: имя поля должно быть в snake_case латиницей")
    ftype = _require(raw, "type", where)
    if ftype is True and raw.get("pii") in ("last_name", "first_name", "middle_name"):
        # Seen in generated YAML: ``type: true`` for name fields. A name is text; say so instead of failing.
        CONTRACT_WARNINGS.append(f"{where}: «type: true» прочитан как string")
        ftype = "string"
    ftype = str(ftype)
    if ftype not in FIELD_TYPES:
        raise ContractError(f"{where}: тип «{ftype}» не из списка {', '.join(FIELD_TYPES)}")
    codes = raw.get("codes")
    if ftype == "code":
        if not isinstance(codes, dict) or not codes:
            raise ContractError(f"{where}: для типа code нужен непустой словарь codes")
        codes = {str(k): str(v) for k, v in codes.items()}
    pii = raw.get("pii")
    if pii is not None and pii not in PII_KINDS:
        raise ContractError(f"{where}: pii «{pii}» не из списка {', '.join(PII_KINDS)}")
    if ftype == "snils" and pii is None:
        pii = "snils"
    return Field(
        name=name,
        header=str(raw.get("header") or name),
        type=ftype,
        required=bool(raw.get("required", False)),
        codes={str(k): str(v) for k, v in codes.items()}
        if ftype in ("code", "bool") and isinstance(codes, dict)
        else None,
        min=raw.get("min"),
        max=raw.get("max"),
        pii=pii,
        description=Text.parse(raw.get("description"), where),
        max_length=raw.get("max_length"),
        extra={k: v for k, v in raw.items() if k not in known},
    )


def _parse_entity(name: str, raw: Any, where: str) -> Entity:
    where = f"{where} (сущность {name})"
    if not isinstance(raw, dict):
        raise ContractError(f"{where}: описание сущности должно быть словарём")
    fields = tuple(_parse_field(f, where) for f in _require(raw, "fields", where))
    names = [f.name for f in fields]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ContractError(f"{where}: повторяются имена полей {sorted(dup)}")
    headers = [f.header for f in fields]
    dup = {h for h in headers if headers.count(h) > 1}
    if dup:
        raise ContractError(f"{where}: повторяются заголовки {sorted(dup)}")
    known = {"title", "fields", "sheet", "header_row"}
    return Entity(
        name=name,
        title=Text.parse(raw.get("title"), where),
        fields=fields,
        sheet=raw.get("sheet"),
        header_row=int(raw.get("header_row") or 1),
        extra={k: v for k, v in raw.items() if k not in known},
    )


def load_source(path: Path) -> Source:
    """Read and check one ``sources/<source>.yaml``."""
    where = str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise ContractError(f"{where}: YAML не читается ({exc})") from exc
    if not isinstance(raw, dict):
        raise ContractError(f"{where}: ожидается словарь")
    source = str(_require(raw, "source", where))
    fmt = str(_require(raw, "format", where))
    if fmt not in FORMATS:
        raise ContractError(f"{where}: format «{fmt}» не из списка {', '.join(FORMATS)}")
    sender_kind = str(raw.get("sender_kind") or "school")
    if sender_kind not in SENDER_KINDS:
        raise ContractError(f"{where}: sender_kind «{sender_kind}» не из списка {', '.join(SENDER_KINDS)}")
    period = str(raw.get("period") or "")
    if period and period not in PERIODS:
        raise ContractError(f"{where}: period «{period}» не из списка {', '.join(PERIODS)}")
    entities_raw = _require(raw, "entities", where)
    if not isinstance(entities_raw, dict) or not entities_raw:
        raise ContractError(f"{where}: entities должен быть непустым словарём")
    known = {
        "source",
        "version",
        "title",
        "sender_kind",
        "format",
        "encoding",
        "delimiter",
        "date_format",
        "period",
        "entities",
    }
    return Source(
        source=source,
        version=int(raw.get("version") or 1),
        title=Text.parse(raw.get("title"), where),
        sender_kind=sender_kind,
        format=fmt,
        encoding=str(raw.get("encoding") or "utf-8").lower(),
        delimiter=str(raw.get("delimiter") or ","),
        date_format=str(raw.get("date_format") or "iso"),
        period=period,
        entities={str(k): _parse_entity(str(k), v, where) for k, v in entities_raw.items()},
        path=path,
        extra={k: v for k, v in raw.items() if k not in known},
    )


def load_sources(directory: Path | None = None) -> dict[str, Source]:
    """Every source of the contract, by name."""
    directory = directory or SOURCES_DIR
    sources: dict[str, Source] = {}
    for path in sorted(directory.glob("*.yaml")):
        src = load_source(path)
        if src.source in sources:
            raise ContractError(f"{path}: источник «{src.source}» уже описан в {sources[src.source].path}")
        sources[src.source] = src
    return sources


def load_faults(path: Path | None = None) -> list[Fault]:
    """The planted fault kinds and the rule each must trip (``faults.yaml``)."""
    path = path or CONTRACT_DIR / "faults.yaml"
    if not path.exists():
        return []
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(raw, dict):
        raw = raw.get("faults", [])
    faults = []
    for i, item in enumerate(raw, 1):
        where = f"{path} (запись {i})"
        faults.append(
            Fault(
                fault=str(_require(item, "fault", where)),
                rule=item.get("rule"),
                action=str(item.get("action") or "none"),
                description=Text.parse(item.get("description"), where),
            )
        )
    return faults
