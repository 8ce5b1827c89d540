#!/bin/sh
# Every Dagster process (code location, webserver, daemon) writes the same dagster.yaml from the environment
# (orchestration/instance.py: KONTINGENT_DAGSTER_STORAGE_URL selects PostgreSQL storage), then runs its command.
set -eu
python -m orchestration.instance >/dev/null
exec "$@"
