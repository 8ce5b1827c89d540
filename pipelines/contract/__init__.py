"""The exchange contract: what each source sends, read from ``pipelines/contract/sources/*.yaml``."""

from pipelines.contract.model import (
    CONTRACT_DIR,
    ContractError,
    Entity,
    Fault,
    Field,
    Source,
    Text,
    load_faults,
    load_source,
    load_sources,
)

__all__ = [
    "CONTRACT_DIR",
    "ContractError",
    "Entity",
    "Fault",
    "Field",
    "Source",
    "Text",
    "load_faults",
    "load_source",
    "load_sources",
]
