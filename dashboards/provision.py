"""``provision()``: the warehouse login, Superset's metadata and the dashboards bundle, idempotently.

Run it twice and the second run changes nothing and starts nothing: when the bundle, the connection, the admin
and the provisioned objects in Superset's metadata are exactly as the last run left them, it returns at once;
otherwise it bootstraps Superset and imports the bundle by UUID with overwrite. Superset need not be running.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dashboards import metadata_db, superset
from dashboards.warehouse_login import ensure_login

BUNDLE_DIR = Path(__file__).resolve().parent / "bundle"
KINDS = ("databases", "datasets", "charts", "dashboards")


@dataclass(frozen=True)
class ProvisionResult:
    changed: bool
    imported: bool
    counts: dict[str, int] = field(default_factory=dict)
    warehouse_user: str = ""
    seconds: float = 0.0


def bundle_uuids(bundle_dir: Path = BUNDLE_DIR) -> dict[str, list[str]]:
    uuids: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for path in sorted(bundle_dir.rglob("*.yaml")):
        kind = path.relative_to(bundle_dir).parts[0]
        if kind in uuids:
            uuids[kind].append(str(yaml.safe_load(path.read_text(encoding="utf-8"))["uuid"]))
    return uuids


def _inputs_hash(bundle_dir: Path, uri: str, password: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(bundle_dir.rglob("*.yaml")):
        digest.update(path.relative_to(bundle_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(uri.encode() + b"\0" + hashlib.sha256(password.encode()).digest())
    return digest.hexdigest()


def provision(bundle_dir: Path = BUNDLE_DIR) -> ProvisionResult:
    """Create the read-only warehouse login, bootstrap Superset and import the bundle with that connection."""
    started = time.monotonic()
    if not (bundle_dir / "metadata.yaml").exists():
        raise superset.SupersetError(
            f"Нет файла {bundle_dir / 'metadata.yaml'}: пакет дашбордов должен быть распакованным экспортом Superset."
        )
    login = ensure_login()
    uuids = bundle_uuids(bundle_dir)
    counts = {kind: len(values) for kind, values in uuids.items()}
    inputs = _inputs_hash(bundle_dir, login.sqlalchemy_uri, login.password)
    before = metadata_db.objects_fingerprint(uuids)
    state = superset.read_state()
    bootstrapped = not superset.needs_bootstrap()
    if before and state.get("inputs") == inputs and state.get("objects") == before and bootstrapped:
        return ProvisionResult(False, False, counts, login.user, time.monotonic() - started)

    superset.run_metadata_task(
        ["provision", str(bundle_dir)],
        {
            "KONTINGENT_SUPERSET_WAREHOUSE_URI": login.sqlalchemy_uri,
            "KONTINGENT_SUPERSET_WAREHOUSE_PASSWORD": login.password,
            "KONTINGENT_SUPERSET_BUNDLE_DASHBOARDS": json.dumps(uuids["dashboards"]),
            "KONTINGENT_SUPERSET_BOOTSTRAPPED": "1" if bootstrapped else "0",
        },
    )
    after = metadata_db.objects_fingerprint(uuids)
    if after is None:
        raise superset.SupersetError(
            f"После импорта пакета {bundle_dir} в Superset нет всех его объектов: "
            f"смотрите журнал {superset.superset_state_dir() / 'provision.log'}."
        )
    superset.record_state(bootstrap=superset.bootstrap_record(), inputs=inputs, objects=after)
    return ProvisionResult(after != before, True, counts, login.user, time.monotonic() - started)
