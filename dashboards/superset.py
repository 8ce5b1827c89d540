"""Run Superset from the main environment: bootstrap its metadata, start and stop gunicorn, wait for health.

Superset lives in ``.venv-superset`` (its pins clash with the pipeline stack), so everything here talks to it
through subprocesses and HTTP. The server outlives the Python process that started it; ``stop()`` ends it.

Environment
    SUPERSET_PORT               port on 127.0.0.1 (default 8088)
    SUPERSET_ADMIN_PASSWORD     the demo admin's password (else generated once under ``<state>/secrets``)
    SUPERSET_SECRET_KEY, SUPERSET_DATABASE_URI   read by ``dashboards/superset_config.py``
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from pipelines import settings

DASHBOARDS_DIR = Path(__file__).resolve().parent
CONFIG_PATH = DASHBOARDS_DIR / "superset_config.py"
ADMIN_USERNAME = "admin"
# gunicorn masters started by this Python process (so that their exit status can be collected).
_started: dict[int, subprocess.Popen] = {}


class SupersetError(RuntimeError):
    """A problem starting or reaching Superset, phrased for the person who has to fix it."""


@dataclass(frozen=True)
class SupersetLogin:
    url: str
    username: str
    password: str


def venv_dir() -> Path:
    return Path(os.environ.get("KONTINGENT_SUPERSET_VENV", settings.PROJECT_DIR / ".venv-superset"))


def port() -> int:
    return int(os.environ.get("SUPERSET_PORT", "8088"))


def base_url() -> str:
    return f"http://127.0.0.1:{port()}"


def superset_state_dir() -> Path:
    path = settings.state_dir() / "superset"
    path.mkdir(parents=True, exist_ok=True)
    return path


def admin_credentials() -> tuple[str, str]:
    """(login, password) of the demo admin, as ``make demo`` prints them."""
    login = admin_login()
    return login.username, login.password


def admin_login() -> SupersetLogin:
    password = settings.read_or_create_secret("superset_admin.password", "SUPERSET_ADMIN_PASSWORD", nbytes=12)
    return SupersetLogin(base_url(), ADMIN_USERNAME, password)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SUPERSET_CONFIG_PATH=str(CONFIG_PATH),
        KONTINGENT_STATE_DIR=str(settings.state_dir()),
        PYTHONPATH=str(settings.PROJECT_DIR),
        FLASK_APP="superset.app:create_app()",
        SUPERSET_LOAD_EXAMPLES="no",
        # superset_config.py reads secrets through pipelines.settings: make sure both processes agree on them.
        SUPERSET_SECRET_KEY=settings.read_or_create_secret(
            "superset_secret.key", "SUPERSET_SECRET_KEY", nbytes=48
        ),
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def _executable(name: str) -> Path:
    path = venv_dir() / "bin" / name
    if not path.exists():
        raise SupersetError(
            f"В окружении Superset нет {path}: выполните `make env`, чтобы создать .venv-superset, и повторите."
        )
    return path


def run_metadata_task(args: list[str], extra_env: dict[str, str] | None = None) -> dict:
    """Run ``dashboards.superset_metadata <args>`` in Superset's environment; return its JSON result."""
    login = admin_login()
    env = _env() | {
        "KONTINGENT_SUPERSET_ADMIN": login.username,
        "KONTINGENT_SUPERSET_ADMIN_PASSWORD": login.password,
        **(extra_env or {}),
    }
    log = superset_state_dir() / f"{args[0]}.log"
    with log.open("w") as out:
        done = subprocess.run(
            [str(_executable("python")), "-m", "dashboards.superset_metadata", *args],
            env=env,
            cwd=settings.PROJECT_DIR,
            stdout=subprocess.PIPE,
            stderr=out,
            text=True,
        )
    if done.returncode != 0:
        tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
        raise SupersetError(f"Superset не смог выполнить «{args[0]}» ({tail}); полный журнал: {log}.")
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def bootstrap() -> str:
    """Upgrade the metadata database, sync permissions, ensure the admin; return what happened to the admin."""
    action = run_metadata_task(["bootstrap"]).get("admin", "unknown")
    record_state(bootstrap=bootstrap_record())
    return action


def state_file() -> Path:
    """What the last successful bootstrap and provisioning left behind (hashes only, no secrets)."""
    return superset_state_dir() / "provisioned.json"


def read_state() -> dict:
    try:
        return json.loads(state_file().read_text())
    except (FileNotFoundError, ValueError):
        return {}


def record_state(**entries) -> None:
    state_file().write_text(json.dumps(read_state() | entries, indent=1, sort_keys=True))


def superset_version() -> str:
    found = sorted((venv_dir() / "lib").glob("python*/site-packages/apache_superset-*.dist-info"))
    return found[-1].name if found else "unknown"


def bootstrap_record() -> dict[str, str | None]:
    from dashboards import metadata_db

    return {
        "alembic": metadata_db.alembic_revision(),
        "admin": hashlib.sha256(admin_login().password.encode()).hexdigest(),
        "superset": superset_version(),
        "metadata": hashlib.sha256(metadata_db.metadata_uri().encode()).hexdigest(),
    }


def needs_bootstrap() -> bool:
    """True unless the metadata database is exactly as the last bootstrap left it (same revision, admin, version)."""
    recorded = read_state().get("bootstrap")
    return not recorded or recorded.get("alembic") is None or recorded != bootstrap_record()


def _pid_file() -> Path:
    return superset_state_dir() / "gunicorn.pid"


def running_pid() -> int | None:
    """The pid of the gunicorn master this project started, if it is alive."""
    try:
        pid = int(_pid_file().read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    except PermissionError:
        return pid
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists() and b"gunicorn" not in cmdline.read_bytes():
        return None  # a stale pid file (after a reboot) now naming some other process
    return pid


def is_healthy(timeout: float = 2.0) -> bool:
    try:
        return requests.get(f"{base_url()}/health", timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def _port_is_free(number: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", number))
        except OSError:
            return False
    return True


def start(wait_seconds: float = 180.0) -> int:
    """Start gunicorn in the background (no-op if ours already runs) and wait until /health answers."""
    pid = running_pid()
    if pid is None:
        if not _port_is_free(port()):
            raise SupersetError(
                f"Порт {port()} уже занят другой программой: остановите её или задайте свободный порт в SUPERSET_PORT."
            )
        log = superset_state_dir() / "gunicorn.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [
                    str(_executable("gunicorn")),
                    "--workers",
                    os.environ.get("SUPERSET_WORKERS", "2"),
                    "--worker-class",
                    "gthread",
                    "--threads",
                    "4",
                    "--timeout",
                    "120",
                    "--preload",
                    # gunicorn 27 opens a control socket at one fixed path per user: several servers
                    # (demo, tests) would fight over it, and nothing here uses it.
                    "--no-control-socket",
                    "--bind",
                    f"127.0.0.1:{port()}",
                    "superset.app:create_app()",
                ],
                env=_env(),
                cwd=settings.PROJECT_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _pid_file().write_text(f"{process.pid}\n")
        _started[process.pid] = process
        pid = process.pid
    wait_healthy(wait_seconds)
    return pid


def wait_healthy(wait_seconds: float = 180.0) -> None:
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if is_healthy():
            return
        # A gunicorn this process started is judged by its own handle: the pid file and /proc are only for one
        # started elsewhere (a start under heavy load was once reported stopped while it booted normally).
        ours = [p for p in _started.values() if p.poll() is None]
        if not ours and running_pid() is None:
            log = superset_state_dir() / "gunicorn.log"
            tail = (
                " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:]) if log.exists() else ""
            )
            codes = (
                ", ".join(f"pid {pid}: код {p.returncode}" for pid, p in _started.items())
                or "запущен не нами"
            )
            raise SupersetError(
                f"Superset остановился во время запуска ({codes}; {tail or 'журнал пуст'}); полный журнал: {log}."
            )
        time.sleep(1.0)
    raise SupersetError(
        f"Superset не ответил на {base_url()}/health за {wait_seconds:.0f} с: "
        f"смотрите журнал {superset_state_dir() / 'gunicorn.log'}."
    )


def stop(wait_seconds: float = 30.0) -> bool:
    """Stop the gunicorn this project started; return False when none was running."""
    pid = running_pid()
    if pid is None:
        _pid_file().unlink(missing_ok=True)
        return False
    # SIGINT is gunicorn's quick shutdown; SIGTERM waits up to 30 s for idle keep-alive connections.
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline and running_pid() is not None:
        _reap(pid)
        time.sleep(0.2)
    if running_pid() is not None:
        os.kill(pid, signal.SIGKILL)
        _reap(pid)
    _pid_file().unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    # When this process started gunicorn itself, collect the zombie so kill(pid, 0) stops succeeding.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


class SupersetProcess:
    """The running gunicorn master, with the part of ``subprocess.Popen``'s interface a supervisor needs.

    It also works when the server was started by an earlier command (then it is not our child).
    """

    def __init__(self, pid: int, popen: subprocess.Popen | None = None):
        self.pid = pid
        self._popen = popen

    def poll(self) -> int | None:
        if self._popen is not None:
            return self._popen.poll()
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return 0
        except PermissionError:
            return None
        return None

    def terminate(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"superset pid {self.pid}", timeout)
            time.sleep(0.2)
        _pid_file().unlink(missing_ok=True)
        return code


def serve(bootstrap_first: bool = True) -> SupersetProcess:
    """Bootstrap (idempotent) and start Superset unless ours already answers; return its process handle.

    The URL is ``base_url()``; the admin's login is ``admin_credentials()``. ``provision()`` bootstraps too, so
    right after it ``bootstrap_first=False`` saves one app start.
    """
    if bootstrap_first and needs_bootstrap():
        bootstrap()
    pid = start()
    return SupersetProcess(pid, _started.get(pid))
