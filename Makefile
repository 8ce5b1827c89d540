# Two commands matter: `make demo` and `make test`. Everything else is a step they call.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
# uv from PATH, else a private copy installed from PyPI into .tools/
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
SUPERSET_VENV := .venv-superset
K := $(VENV)/bin/kontingent

.PHONY: help env demo demo-headless test bench stop clean lint

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

.tools/bin/uv:
	@$(PYTHON) -m venv .tools || { echo "Ошибка: cannot create .tools/ with '$(PYTHON) -m venv': install Python 3.11 with venv." >&2; exit 1; }
	@.tools/bin/pip install -q uv==$(UV_VERSION) || { echo "Ошибка: uv is missing and could not be installed from PyPI: install uv (https://docs.astral.sh/uv/) or allow access to PyPI, then rerun." >&2; exit 1; }

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@$(VENV)/bin/python -m pipelines.native || echo "(ingestion still works, on its pure-Python paths)"
	@touch $@

$(SUPERSET_VENV)/.synced: dashboards/superset_env/requirements.lock | $(UV)
	@test -x $(SUPERSET_VENV)/bin/python || $(UV) venv -q --python $(PYTHON) $(SUPERSET_VENV)
	$(UV) pip sync -q --compile-bytecode --python $(SUPERSET_VENV)/bin/python dashboards/superset_env/requirements.lock
	@touch $@

env: $(VENV)/.synced $(SUPERSET_VENV)/.synced ## Create both Python environments (a no-op when nothing changed)

demo: env ## Run the whole system on the demo region and serve Superset and Dagster (Ctrl-C stops)
	$(K) demo

demo-headless: env ## The same pipeline without serving (what tests and CI run)
	$(K) demo --no-serve

test: env ## Run the whole test suite
	$(VENV)/bin/pytest

bench: env ## Print speed and memory figures
	$(K) bench

lint: env ## ruff and sqlfluff (the dbt templater compiles the models: it needs the warehouse, not built tables)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pipelines.warehouse.sql_lint

stop: ## Stop the embedded PostgreSQL and demo services
	@test -x $(K) && $(K) stop || echo "Nothing to stop: the environment does not exist."

clean: stop ## Remove generated data and the embedded database (never source files)
	rm -rf .state dbt_project/target dbt_project/logs expectations/gx/uncommitted
