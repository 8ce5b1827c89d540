"""docker-compose.yml and the Dockerfiles, checked without a Docker engine: structure, secrets, and that they use
the same commands and settings as the code (a renamed variable or module must break this test, not production)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from orchestration import instance, run
from pipelines.warehouse import connection

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DAGSTER_SERVICES = ("dagster-code", "dagster-webserver", "dagster-daemon")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY\b|TOKEN", re.I)


def _env(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment") or {}
    return {str(k): str(v) for k, v in env.items()}


def _variables_in(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))


def _dockerfile(service: str) -> Path:
    build = SERVICES[service]["build"]
    return ROOT / build.get("context", ".") / build["dockerfile"]


def test_every_service_of_a_real_deployment_is_there():
    assert set(SERVICES) >= {
        "postgres",
        "redis",
        "dagster-code",
        "dagster-webserver",
        "dagster-daemon",
        "superset",
        "superset-init",
    }


def test_long_running_services_have_health_checks_and_start_after_their_dependencies_are_healthy():
    for name, service in SERVICES.items():
        if name == "superset-init":
            assert service.get("restart") == "no"
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in SERVICES
            assert condition["condition"] in ("service_healthy", "service_completed_successfully")


def test_the_ui_ports_are_published_and_the_database_is_not():
    def published(name: str) -> list[str]:
        return [str(p).split(":")[-1] for p in SERVICES[name].get("ports", [])]

    assert published("dagster-webserver") == ["3000"]
    assert published("superset") == ["8088"]
    assert not SERVICES["postgres"].get("ports"), "the warehouse must not be exposed to the host"


def test_images_are_built_from_the_repository_dockerfiles():
    built = {}
    for name, service in SERVICES.items():
        if "build" in service:
            dockerfile = _dockerfile(name)
            assert dockerfile.exists(), dockerfile
            assert dockerfile.parent == ROOT / "docker"
            assert service["build"]["context"] == "."
            built[service.get("image")] = dockerfile
    for name in (*DAGSTER_SERVICES, "superset"):
        assert SERVICES[name]["image"] in built, f"{name} does not run an image built from this repository"
    for name in ("postgres", "redis"):
        assert "build" not in SERVICES[name]


def test_data_lives_in_named_volumes():
    volumes = set(COMPOSE["volumes"])
    assert any(v.split(":")[0] == "pgdata" and v.split(":")[1] == "/var/lib/postgresql/data" for v in
               SERVICES["postgres"]["volumes"])  # fmt: skip
    for name, service in SERVICES.items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert source.startswith("./") or source in volumes, f"{name}: {source} is not a named volume"
    code_mounts = {m.split(":")[1] for m in SERVICES["dagster-code"]["volumes"]}
    env = _env("dagster-code")
    assert {
        env["KONTINGENT_LANDING_DIR"],
        env["KONTINGENT_OUTBOX_DIR"],
        env["KONTINGENT_STATE_DIR"],
    } <= code_mounts


def test_pipeline_services_use_the_settings_the_code_reads():
    for name in DAGSTER_SERVICES:
        env = _env(name)
        assert env[connection.ENV_VAR].startswith("postgresql://kontingent:${")
        assert env[connection.ENV_VAR].endswith("@postgres:5432/kontingent")
        assert env[instance.STORAGE_URL_ENV].endswith("@postgres:5432/dagster")
        assert "KONTINGENT_PSEUDONYM_KEY" in env
        assert env["DAGSTER_HOME"] == "/opt/dagster/home"
        # Provisioning runs in the code location against the same Superset metadata database.
        assert env["SUPERSET_DATABASE_URI"] == _env("superset")["SUPERSET_DATABASE_URI"]
        assert env["SUPERSET_SECRET_KEY"] == _env("superset")["SUPERSET_SECRET_KEY"]
    settings_source = (ROOT / "pipelines" / "settings.py").read_text()
    for variable in (
        "KONTINGENT_PSEUDONYM_KEY",
        "KONTINGENT_STATE_DIR",
        "KONTINGENT_LANDING_DIR",
        "KONTINGENT_OUTBOX_DIR",
    ):
        assert f'"{variable}"' in settings_source, f"pipelines/settings.py no longer reads {variable}"
    superset_config = (ROOT / "dashboards" / "superset_config.py").read_text()
    overlay = (ROOT / "docker" / "superset" / "superset_config_docker.py").read_text()
    for name in ("superset", "superset-init"):
        env = _env(name)
        for variable in ("SUPERSET_SECRET_KEY", "SUPERSET_DATABASE_URI"):
            assert variable in env and variable in superset_config
        assert "SUPERSET_REDIS_URL" in env and "SUPERSET_REDIS_URL" in overlay
        assert env["SUPERSET_REDIS_URL"].startswith("redis://redis:")
        assert env["SUPERSET_DATABASE_URI"].endswith("@postgres:5432/superset")
    # The one-shot init runs the module the local demo runs (dashboards/superset.py), with the variables it reads.
    init = SERVICES["superset-init"]["command"]
    assert init[:2] == ["python", "-m"]
    module = ROOT / (init[2].replace(".", "/") + ".py")
    assert f'"-m", "{init[2]}"' in (ROOT / "dashboards" / "superset.py").read_text()
    bootstrap = module.read_text()
    assert f'"{init[3]}"' in bootstrap
    for variable in _env("superset-init"):
        if variable.startswith("KONTINGENT_SUPERSET_"):
            assert variable in bootstrap


def test_dagster_processes_run_the_code_location_the_project_defines():
    code = SERVICES["dagster-code"]["command"]
    code_text = " ".join(code)
    assert f"-m {run.DEFINITIONS_MODULE}" in code_text
    port = re.search(r"-p (\d+)", code_text).group(1)
    assert SERVICES["dagster-code"]["healthcheck"]["test"][-1] == port
    workspace = yaml.safe_load((ROOT / "docker" / "dagster" / "workspace.yaml").read_text())
    grpc = workspace["load_from"][0]["grpc_server"]
    assert (grpc["host"], str(grpc["port"]), grpc["location_name"]) == (
        "dagster-code",
        port,
        run.LOCATION_NAME,
    )
    for name in ("dagster-webserver", "dagster-daemon"):
        command = SERVICES[name]["command"]
        path = command[command.index("-w") + 1]
        assert path == "/app/docker/dagster/workspace.yaml"
    assert SERVICES["dagster-webserver"]["command"][0] == "dagster-webserver"
    assert SERVICES["dagster-daemon"]["command"][:2] == ["dagster-daemon", "run"]
    entrypoint = (ROOT / "docker" / "dagster" / "entrypoint.sh").read_text()
    assert "python -m orchestration.instance" in entrypoint
    dockerfile = (ROOT / "docker" / "pipeline.Dockerfile").read_text()
    assert 'ENTRYPOINT ["/app/docker/dagster/entrypoint.sh"]' in dockerfile
    assert "python -m orchestration.dbt_project" in dockerfile, (
        "the dbt manifest must be parsed into the image"
    )


def test_no_secret_is_in_git_an_image_or_a_build_argument():
    text = (ROOT / "docker-compose.yml").read_text()
    for name, service in SERVICES.items():
        for variable, value in _env(name).items():
            if SECRET_NAME.search(variable) or "://" in value and "@" in value:
                assert "${" in value, f"{name}: {variable} holds a literal secret"
        for arg in (service.get("build") or {}).get("args", {}) or {}:
            assert not SECRET_NAME.search(str(arg)), f"{name}: secret build argument {arg}"
    # Every variable compose needs is documented in .env.example with a placeholder, and .env is ignored.
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    required = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", text))
    assert required <= set(example)
    assert all(example[v] == "change-me" for v in required if SECRET_NAME.search(v))
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    for dockerfile in (ROOT / "docker").glob("*.Dockerfile"):
        content = dockerfile.read_text()
        for line in content.splitlines():
            if line.startswith(("ARG", "ENV")):
                assert not SECRET_NAME.search(line.split("#")[0]), f"{dockerfile.name}: {line}"
        ignore = (ROOT / "docker" / f"{dockerfile.name}.dockerignore").read_text().splitlines()
        assert "**" in ignore and ".env" in ignore, "the build context must exclude local state and .env"
        assert "!.state/**" not in ignore


def test_images_install_exactly_what_the_project_locks():
    makefile = (ROOT / "Makefile").read_text()
    uv_version = re.search(r"UV_VERSION := (\S+)", makefile).group(1)
    pipeline = (ROOT / "docker" / "pipeline.Dockerfile").read_text()
    superset = (ROOT / "docker" / "superset.Dockerfile").read_text()
    for dockerfile in (pipeline, superset):
        assert f"ARG UV_VERSION={uv_version}" in dockerfile
    assert "uv sync --frozen --no-dev" in pipeline
    assert (
        "dashboards/superset_env/requirements.lock" in superset
        and "dashboards/superset_env/requirements.lock" in makefile
    )
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"][
        "wheel"
    ]["packages"]
    for package in packages:
        assert f"COPY {package} ./{package}" in pipeline, f"the pipeline image lacks the {package} package"
    assert "COPY dbt_project ./dbt_project" in pipeline


@pytest.mark.parametrize("storage_url", [None, "postgresql://dagster:x@postgres:5432/dagster"])
def test_one_setting_chooses_between_local_and_postgres_dagster_storage(storage_url, tmp_path, monkeypatch):
    monkeypatch.setenv("KONTINGENT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    if storage_url:
        monkeypatch.setenv(instance.STORAGE_URL_ENV, storage_url)
    else:
        monkeypatch.delenv(instance.STORAGE_URL_ENV, raising=False)
    home = instance.ensure_dagster_home()
    assert home == (tmp_path / "state" / "dagster").resolve()
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    if storage_url:
        assert config["storage"] == {"postgres": {"postgres_url": {"env": instance.STORAGE_URL_ENV}}}
        assert storage_url not in (home / "dagster.yaml").read_text(), (
            "the URL (with its password) stays in the env"
        )
    else:
        assert "storage" not in config  # Dagster's SQLite storage inside the home folder


def test_the_pipeline_image_carries_the_compiled_ingestion_helper():
    """Built in a stage with a compiler (the final image has none) and found through KONTINGENT_NATIVE_DIR: the
    helper's cache name depends on the compiler's name, so the stage must leave CC unset, as the image does."""
    pipeline = (ROOT / "docker" / "pipeline.Dockerfile").read_text()
    stage = pipeline[pipeline.index("AS native") : pipeline.index("FROM", pipeline.index("AS native"))]
    assert "libssl-dev" in stage and "gcc" in stage
    assert "KONTINGENT_NATIVE_DIR=/opt/kontingent-native python -m pipelines.native" in stage
    assert "CC=" not in pipeline
    final = pipeline[pipeline.rindex("FROM python") :]
    assert "COPY --from=native /opt/kontingent-native /opt/kontingent-native" in final
    assert "KONTINGENT_NATIVE_DIR=/opt/kontingent-native" in final
