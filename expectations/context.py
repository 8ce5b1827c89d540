"""The Great Expectations file context of the project and its one data source, the warehouse.

Everything under ``expectations/gx/`` is generated from the suite factories in this room (``add_or_update``
everywhere, so reruns are idempotent) and is git-ignored; Data Docs land in ``gx/uncommitted/data_docs``.
The connection string is never written to disk: the config holds ``${KONTINGENT_GX_DATABASE_URL}``, which
``get_context`` sets from the warehouse setting.
"""

from __future__ import annotations

import os
from pathlib import Path

GX_ROOT = Path(__file__).resolve().parent
DATASOURCE = "warehouse"
URL_VARIABLE = "KONTINGENT_GX_DATABASE_URL"


def get_context():
    """A file context rooted in ``expectations/`` with the ``warehouse`` SQL data source registered."""
    import great_expectations as gx

    from pipelines.warehouse.connection import sqlalchemy_url

    os.environ[URL_VARIABLE] = sqlalchemy_url("psycopg2")
    context = gx.get_context(mode="file", project_root_dir=str(GX_ROOT))
    # add_sql, not add_postgres: the embedded server is a Unix socket, which add_postgres rejects.
    context.data_sources.add_or_update_sql(DATASOURCE, connection_string="${" + URL_VARIABLE + "}")
    # Checks run inside Dagster steps and the CLI, which report their own progress: no tqdm bar per metric.
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context
