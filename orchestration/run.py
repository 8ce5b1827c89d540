"""The Python face of orchestration for ``kontingent demo``: run the demo job, serve the Dagster UI.

``run_pipeline`` executes the same graph the nightly schedule runs (plus generating the synthetic region) in this
process, against the persistent Dagster instance, so the run appears in the UI afterwards.
``serve_ui`` starts ``dagster-webserver`` and ``dagster-daemon`` (schedules and the landing sensor) as
subprocesses on the same ``DAGSTER_HOME`` and workspace.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from orchestration.instance import dagster_home, ensure_dagster_home
from pipelines import settings
from pipelines.errors import KontingentError

LOCATION_NAME = "kontingent"
DBT_KEEP = ("Done. PASS", "ERROR", "FAIL ", "WARN ", "Finished running")
DEFINITIONS_MODULE = "orchestration.definitions"


class OrchestrationError(KontingentError):
    """A problem starting or running the pipeline, phrased for the person who has to fix it."""


def workspace_file(code_server_port: int | None = None) -> Path:
    """``workspace.yaml`` in the Dagster home: the one code location.

    With ``code_server_port`` the webserver and the daemon share one running code server (as in
    docker-compose.yml), so the definitions load once; without it each process loads the module itself."""
    home = ensure_dagster_home()
    path = home / "workspace.yaml"
    if code_server_port:
        entry = {
            "grpc_server": {"host": "127.0.0.1", "port": code_server_port, "location_name": LOCATION_NAME}
        }
    else:
        entry = {
            "python_module": {
                "module_name": DEFINITIONS_MODULE,
                "working_directory": str(settings.PROJECT_DIR),
                "executable_path": sys.executable,
                "location_name": LOCATION_NAME,
            }
        }
    text = "# Written by orchestration/run.py.\n" + yaml.safe_dump({"load_from": [entry]}, sort_keys=False)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def _progress_logger():
    """A Dagster logger printing one Russian line per finished step and asset check (not Dagster's debug log)."""
    from dagster import logger

    def say(text: str) -> None:
        print(text, file=sys.__stdout__, flush=True)  # the terminal, even while step output goes to a file

    class StepLines(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.DEBUG)
            self.started: dict[str, float] = {}

        def emit(self, record: logging.LogRecord) -> None:
            meta = getattr(record, "dagster_meta", None) or {}
            event = meta.get("dagster_event")
            step = meta.get("step_key")
            if event is None:
                message = str(meta.get("orig_message", record.getMessage()))
                # dbt logs every node; keep its summary and problems, and every line of our own assets.
                noisy = step and step.startswith("dbt_") and not any(m in message for m in DBT_KEEP)
                if record.levelno >= logging.INFO and step and not noisy:
                    say(f"    {step}: {message.strip()[:400]}")
                return
            kind = event.event_type_value
            if kind == "STEP_START":
                self.started[step] = time.monotonic()
                say(f"  → {step}")
            elif kind == "STEP_SUCCESS":
                took = time.monotonic() - self.started.get(step, time.monotonic())
                say(f"  ✓ {step} ({took:.0f} с)")
            elif kind == "STEP_FAILURE":
                error = event.event_specific_data.error
                say(f"  ✗ {step}: {error.message.strip() if error else 'ошибка'}")
            elif kind == "STEP_UP_FOR_RETRY":
                say(f"  ↻ {step}: повтор после временной ошибки")
            elif kind == "ASSET_CHECK_EVALUATION":
                data = event.event_specific_data
                if not data.passed:
                    say(
                        f"  ! проверка {data.check_name} на {data.asset_key.to_user_string()} не пройдена "
                        f"({data.severity.value})"
                    )

    @logger(description="Progress lines for the terminal")
    def progress(_init_context):
        log = logging.getLogger("kontingent.progress")
        log.handlers = [StepLines()]
        log.setLevel(logging.DEBUG)
        log.propagate = False
        return log

    return progress


def load_definitions():
    """The project's Definitions (parses dbt first if its manifest is stale)."""
    from orchestration.definitions import defs

    return defs


def execute_job(
    name: str,
    run_config: dict | None = None,
    asset_selection: list | None = None,
    tags: dict[str, str] | None = None,
    progress: bool = True,
    asset_check_selection: list | None = None,
):
    """Execute one job of the code location in this process on the persistent instance; return its result.

    ``asset_selection``/``asset_check_selection`` run a subset (as a sensor's RunRequest names it). A job with the
    facts partitioned by school year runs all their years unless ``tags`` name a partition or a range."""
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_START_TAG, PARTITION_NAME_TAG

    from orchestration.defs.automation.jobs import job_range_tags
    from orchestration.instance import get_instance

    instance = get_instance()
    job = load_definitions().resolve_job_def(name)
    if not {PARTITION_NAME_TAG, ASSET_PARTITION_RANGE_START_TAG} & set(tags or {}):
        tags = {**job_range_tags(job), **(tags or {})}
    if asset_selection is not None or asset_check_selection is not None:
        job = job.get_subset(
            asset_selection=set(asset_selection or []),
            asset_check_selection=set(asset_check_selection) if asset_check_selection is not None else None,
        )
    config = dict(run_config or {})
    if progress:
        job = job.with_logger_defs({"progress": _progress_logger()})
        config["loggers"] = {"progress": {}}
    if not progress:
        return job.execute_in_process(run_config=config, instance=instance, raise_on_error=False, tags=tags)
    # dagster-dbt echoes every dbt log line to stdout: keep the terminal to one line per step, the rest in a file.
    log_path = ensure_dagster_home() / "service_logs" / f"{name}.stdout.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "w") as out, contextlib.redirect_stdout(out):
        return job.execute_in_process(run_config=config, instance=instance, raise_on_error=False, tags=tags)


def check_evaluations(result) -> list:
    """Every asset check evaluated in a run (``AssetCheckEvaluation``: passed, severity, check name, key)."""
    from dagster import DagsterEventType

    return [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    ]


def demo_run_config(scale: str, seed: int, as_of: dt.date | None) -> dict:
    as_of_text = (as_of or dt.date.today()).isoformat()
    return {
        "ops": {
            "landing__synthetic_region": {"config": {"scale": scale, "seed": int(seed), "as_of": as_of_text}}
        }
    }


def run_pipeline(scale: str = "demo", seed: int = 2026, as_of: dt.date | None = None) -> bool:
    """Generate the synthetic region and run the whole pipeline through Dagster; True when the run succeeded."""
    ensure_dagster_home()
    print(f"Dagster: состояние в {dagster_home()}; собираю определения конвейера…", flush=True)
    load_definitions()
    started = time.monotonic()
    result = execute_job("demo_job", demo_run_config(scale, seed, as_of))
    checks = check_evaluations(result)
    failed = [c for c in checks if not c.passed]
    print(
        f"Dagster: запуск {result.run_id[:8]} {'успешен' if result.success else 'НЕ УДАЛСЯ'} за "
        f"{time.monotonic() - started:.0f} с; проверок {len(checks)}, не пройдено {len(failed)}. "
        "Подробности — в интерфейсе Dagster.",
        flush=True,
    )
    return result.success


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _executable(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        raise OrchestrationError(f"{path} не найден: выполните `make env`, чтобы установить Dagster.")
    return str(path)


def _tail(path: Path, lines: int = 5) -> str:
    if not path.exists():
        return "журнал пуст"
    return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _code_server_ready(port: int) -> bool:
    from dagster._grpc.client import DagsterGrpcClient

    try:
        DagsterGrpcClient(port=port, host="127.0.0.1").ping("ok")
    except Exception:  # not listening yet
        return False
    return True


class _Services:
    """Child processes started by serve_ui, with their logs; stops all of them on a failed start."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, {}

    def start(self, name: str, command: list[str]) -> None:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps writing after we return
        self.procs[name] = subprocess.Popen(
            command, env=self.env, cwd=settings.PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT
        )

    def fail(self, message: str) -> OrchestrationError:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        return OrchestrationError(message)

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                log = self.logs / f"{name}.log"
                raise self.fail(
                    f"Dagster {name} остановился при запуске (код {proc.returncode}): {_tail(log)}; "
                    f"полный журнал: {log}."
                )


def serve_ui(port: int = 3000, wait_seconds: float = 300.0) -> list[subprocess.Popen]:
    """Start the code server, the Dagster UI on ``port`` and the daemon; return the processes (the caller stops
    them). The definitions load once, in the code server, which the UI and the daemon (sensor, schedules) share."""
    if not _port_is_free(port):
        raise OrchestrationError(
            f"Порт {port} для интерфейса Dagster уже занят: остановите процесс, который его слушает "
            f"(`ss -ltnp 'sport = :{port}'`), или выберите другой порт."
        )
    from orchestration import dbt_project

    home = ensure_dagster_home()
    logs = home / "service_logs"
    logs.mkdir(exist_ok=True)
    dbt_project.ensure_manifest()  # parse here, before any process loads the definitions
    services = _Services({**os.environ, **dbt_project.dbt_env(), "DAGSTER_HOME": str(home)}, logs)
    grpc_port = _free_port()
    services.start(
        "code_server",
        [_executable("dagster"), "code-server", "start", "-h", "127.0.0.1", "-p", str(grpc_port),
         "-m", DEFINITIONS_MODULE, "--working-directory", str(settings.PROJECT_DIR)],
    )  # fmt: skip
    workspace = workspace_file(code_server_port=grpc_port)
    deadline = time.monotonic() + wait_seconds
    while not _code_server_ready(grpc_port):
        services.check_alive()
        if time.monotonic() > deadline:
            raise services.fail(
                f"Определения Dagster не загрузились за {wait_seconds:.0f} с: смотрите {logs / 'code_server.log'}."
            )
        time.sleep(1)
    services.start(
        "webserver",
        [_executable("dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", str(workspace)],
    )
    services.start("daemon", [_executable("dagster-daemon"), "run", "-w", str(workspace)])
    url = f"http://127.0.0.1:{port}/server_info"
    while time.monotonic() < deadline:
        services.check_alive()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return list(services.procs.values())
        except OSError:
            time.sleep(1)
    raise services.fail(
        f"Интерфейс Dagster не ответил на {url} за {wait_seconds:.0f} с: смотрите {logs / 'webserver.log'}."
    )
