"""The ``kontingent`` command: a thin face over the rooms (pipelines, dbt_project, dashboards, orchestration)."""
