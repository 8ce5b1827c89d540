# The pipeline image: Dagster code location, webserver and daemon (one image, three commands in
# docker-compose.yml), with dbt, ingestion and the generator. Built from the repository:
#   docker compose build   (context: the repository root)
# No secret is baked in: connection URLs, passwords and the pseudonym key come from the environment at run time.
# Superset's own environment, for the provisioning step (dashboards.superset runs `python -m
# dashboards.superset_metadata` in it, as locally with .venv-superset). Same path in both stages.
FROM python:3.11-slim-bookworm AS superset-env
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}" && uv venv /opt/superset-venv
COPY dashboards/superset_env/requirements.lock /tmp/requirements.lock
RUN uv pip sync --python /opt/superset-venv/bin/python /tmp/requirements.lock

# The compiled ingestion helper (pipelines/native: cutting blocks, HMAC tokens, row hashes, COPY lines in C), built with a
# compiler and OpenSSL's headers that the final image does without; it loads there against the libcrypto Python's
# own ssl module uses. `python -m pipelines.native` fails the build if it cannot compile.
FROM python:3.11-slim-bookworm AS native
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
COPY pipelines/__init__.py /build/pipelines/__init__.py
COPY pipelines/native /build/pipelines/native
WORKDIR /build
RUN KONTINGENT_NATIVE_DIR=/opt/kontingent-native python -m pipelines.native

FROM python:3.11-slim-bookworm

ARG UV_VERSION=0.13.9
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
 && useradd --system --create-home --uid 10001 kontingent

COPY --from=superset-env /opt/superset-venv /opt/superset-venv
COPY --from=native /opt/kontingent-native /opt/kontingent-native
WORKDIR /app
# Dependencies first (cached while only source changes), exactly as locked.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

COPY kontingent ./kontingent
COPY pipelines ./pipelines
COPY orchestration ./orchestration
COPY expectations ./expectations
COPY dashboards ./dashboards
COPY dbt_project ./dbt_project
COPY docker/dagster ./docker/dagster
RUN uv sync --frozen --no-dev \
 && mkdir -p /opt/dagster/home /var/lib/kontingent /srv/kontingent/landing /srv/kontingent/outbox \
 && chown -R kontingent /opt/dagster /var/lib/kontingent /srv/kontingent /app/dbt_project

ENV DAGSTER_HOME=/opt/dagster/home \
    KONTINGENT_STATE_DIR=/var/lib/kontingent \
    KONTINGENT_LANDING_DIR=/srv/kontingent/landing \
    KONTINGENT_OUTBOX_DIR=/srv/kontingent/outbox \
    KONTINGENT_DBT_TARGET_DIR=/opt/dagster/dbt_target \
    KONTINGENT_SUPERSET_VENV=/opt/superset-venv \
    KONTINGENT_NATIVE_DIR=/opt/kontingent-native

USER kontingent
# Parse the dbt project at build time (STACK.md: the manifest must exist before definitions load). The URL only
# names a host for profile rendering; dbt parse does not connect and it is no credential.
RUN KONTINGENT_DATABASE_URL=postgresql://parse@localhost:5432/parse python -m orchestration.dbt_project

ENTRYPOINT ["/app/docker/dagster/entrypoint.sh"]
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "orchestration.definitions"]
