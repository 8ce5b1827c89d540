#!/bin/sh
# First start of the PostgreSQL container only: one server, three databases with their own owners —
# the warehouse (kontingent), Dagster's run storage (dagster) and Superset's metadata (superset).
# Passwords come from the environment (.env), never from this file.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v warehouse_pw="$KONTINGENT_DB_PASSWORD" -v dagster_pw="$DAGSTER_DB_PASSWORD" \
  -v superset_pw="$SUPERSET_DB_PASSWORD" <<'SQL'
create role kontingent login password :'warehouse_pw';
create role dagster login password :'dagster_pw';
create role superset login password :'superset_pw';
-- The warehouse owner bootstraps schemas and the loader/transformer/analyst roles (pipelines/warehouse/bootstrap.py).
alter role kontingent createrole;
create database kontingent owner kontingent;
create database dagster owner dagster;
create database superset owner superset;
SQL
