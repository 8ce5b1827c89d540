# Superset 6.1 in its own environment (its pins clash with the pipeline stack; ../shared/STACK.md), with the
# project's configuration and dashboards-as-code. Built from the repository root. No secret is baked in.
FROM python:3.11-slim-bookworm

ARG UV_VERSION=0.13.9
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    VIRTUAL_ENV=/opt/superset-venv \
    PATH=/opt/superset-venv/bin:$PATH

RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
 && useradd --system --create-home --uid 10002 superset \
 && uv venv /opt/superset-venv

WORKDIR /app
COPY dashboards/superset_env/requirements.lock ./dashboards/superset_env/requirements.lock
RUN uv pip sync --python /opt/superset-venv/bin/python dashboards/superset_env/requirements.lock

COPY pipelines/__init__.py pipelines/settings.py ./pipelines/
COPY dashboards ./dashboards
COPY docker/superset ./docker/superset
RUN mkdir -p /var/lib/kontingent && chown superset /var/lib/kontingent

ENV PYTHONPATH=/app \
    KONTINGENT_STATE_DIR=/var/lib/kontingent \
    SUPERSET_CONFIG_PATH=/app/docker/superset/superset_config_docker.py \
    FLASK_APP="superset.app:create_app()"

USER superset
EXPOSE 8088
CMD ["gunicorn", "-w", "2", "-k", "gthread", "--threads", "4", "--timeout", "120", "-b", "0.0.0.0:8088", "superset.app:create_app()"]
