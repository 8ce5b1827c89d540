"""Configuration every room reads: paths, the warehouse URL, secrets.

All of it comes from the environment with defaults that work on a fresh clone; nothing secret is in git.
Local state (embedded database, Superset metadata, Dagster storage, generated data, keys) lives under
``.state/`` in the project, which git ignores.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def state_dir() -> Path:
    """Root of all local state; ``KONTINGENT_STATE_DIR`` moves it (tests use a temporary one)."""
    path = Path(os.environ.get("KONTINGENT_STATE_DIR", PROJECT_DIR / ".state")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Where generated demo regions live: ``<data_dir>/landing`` (sources) and ``<data_dir>/ground_truth``."""
    return Path(os.environ.get("KONTINGENT_DATA_DIR", state_dir() / "region")).resolve()


def landing_dir() -> Path:
    return Path(os.environ.get("KONTINGENT_LANDING_DIR", data_dir() / "landing")).resolve()


def outbox_dir() -> Path:
    """Rejection reports for senders."""
    return Path(os.environ.get("KONTINGENT_OUTBOX_DIR", state_dir() / "outbox")).resolve()


def dbt_project_dir() -> Path:
    return PROJECT_DIR / "dbt_project"


def secret_file(name: str) -> Path:
    return state_dir() / "secrets" / name


def read_or_create_secret(name: str, env_var: str, nbytes: int = 32) -> str:
    """A secret from ``env_var``; else from ``.state/secrets/<name>``, created on first use (demo only)."""
    value = os.environ.get(env_var)
    if value:
        return value
    path = secret_file(name)
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    value = secrets.token_urlsafe(nbytes)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def pseudonym_key() -> bytes:
    """The HMAC key for person tokens: ``KONTINGENT_PSEUDONYM_KEY`` or a local secret file outside git."""
    return read_or_create_secret("pseudonym.key", "KONTINGENT_PSEUDONYM_KEY").encode()
