"""``export_bundle()``: bring dashboards changed in Superset's UI back into ``dashboards/bundle/`` as YAML.

Superset exports a zip per dashboard with its charts, datasets and connection. Files are matched to the
bundle's by UUID (an object keeps its file name), new objects get a file named after their title, and the
connection URI is replaced by the placeholder: what is in git never names an instance or a password.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import yaml

from dashboards.superset_api import SupersetApi

BUNDLE_DIR = Path(__file__).resolve().parent / "bundle"
PLACEHOLDER_URI = "postgresql+psycopg2://kontingent_superset:XXXXXXXXXX@warehouse:5432/kontingent"
KINDS = ("databases", "datasets", "charts", "dashboards")


def _existing_paths(bundle_dir: Path) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    for path in bundle_dir.rglob("*.yaml"):
        kind = path.relative_to(bundle_dir).parts[0]
        if kind in KINDS:
            paths[str(yaml.safe_load(path.read_text(encoding="utf-8"))["uuid"])] = path
    return paths


def _file_name(config: dict) -> str:
    title = config.get("slice_name") or config.get("dashboard_title") or config.get("table_name") or "object"
    return re.sub(r"[^\w]+", "_", title, flags=re.UNICODE).strip("_").lower() + ".yaml"


def _normalise(kind: str, config: dict) -> None:
    """Drop what names this instance (URI, numeric ids the importer remaps anyway) so diffs show real changes."""
    if kind == "databases":
        config["sqlalchemy_uri"] = PLACEHOLDER_URI
        config.pop("password", None)
    if kind == "charts":
        config["params"]["datasource"] = "0__table"
        if config.get("query_context"):
            context = json.loads(config["query_context"])
            context["datasource"] = {"id": 0, "type": "table"}
            context.get("form_data", {})["datasource"] = "0__table"
            for query in context.get("queries", []):
                query.pop("datasource", None)
            config["query_context"] = json.dumps(context, ensure_ascii=False)
    if kind == "dashboards":
        for native_filter in config.get("metadata", {}).get("native_filter_configuration", []):
            native_filter.pop("chartsInScope", None)  # provisioning recomputes it from scope.excluded


def export_bundle(dashboard: str = "region-overview", bundle_dir: Path = BUNDLE_DIR) -> list[Path]:
    """Export one dashboard (slug or id) from the running Superset into ``bundle_dir``; return the files written."""
    api = SupersetApi()
    dashboard_id = api.dashboard(dashboard)["id"]
    response = api.session.get(
        f"{api.base_url}/api/v1/dashboard/export/", params={"q": f"!({dashboard_id})"}, timeout=120
    )
    response.raise_for_status()
    existing = _existing_paths(bundle_dir)
    written: list[Path] = []
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        for name in archive.namelist():
            inner = Path(*Path(name).parts[1:])  # drop the export's top folder
            kind = inner.parts[0] if inner.parts else ""
            if kind not in KINDS:
                continue
            config = yaml.safe_load(archive.read(name).decode("utf-8"))
            _normalise(kind, config)
            target = existing.get(str(config["uuid"]))
            if target is None:
                target = bundle_dir / inner.parent / _file_name(config)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(
                yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8"
            )
            written.append(target)
    return written
