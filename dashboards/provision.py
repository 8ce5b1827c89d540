"""``provision()``: the warehouse login, Superset's metadata and the dashboards bundle, idempotently.

Run it twice and the second run changes nothing: the import is skipped when neither the bundle, the
connection nor the provisioned objects changed since the last run, and it is an overwrite by UUID otherwise.
Superset need not be running (the import works on its metadata database directly).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from dashboards import superset
from dashboards.warehouse_login import ensure_login

BUNDLE_DIR = Path(__file__).resolve().parent / "bundle"


@dataclass(frozen=True)
class ProvisionResult:
    changed: bool
    imported: bool
    counts: dict[str, int] = field(default_factory=dict)
    warehouse_user: str = ""
    seconds: float = 0.0


def provision(bundle_dir: Path = BUNDLE_DIR) -> ProvisionResult:
    """Create the read-only warehouse login, bootstrap Superset and import the bundle with that connection."""
    started = time.monotonic()
    if not (bundle_dir / "metadata.yaml").exists():
        raise superset.SupersetError(
            f"Нет файла {bundle_dir / 'metadata.yaml'}: пакет дашбордов должен быть распакованным экспортом Superset."
        )
    login = ensure_login()
    result = superset.run_metadata_task(
        ["provision", str(bundle_dir)],
        {
            "KONTINGENT_SUPERSET_WAREHOUSE_URI": login.sqlalchemy_uri,
            "KONTINGENT_SUPERSET_WAREHOUSE_PASSWORD": login.password,
            "KONTINGENT_SUPERSET_PROVISION_STATE": str(superset.superset_state_dir() / "provisioned.json"),
        },
    )
    return ProvisionResult(
        changed=bool(result.get("changed")),
        imported=bool(result.get("imported")),
        counts=result.get("counts", {}),
        warehouse_user=login.user,
        seconds=time.monotonic() - started,
    )
