"""One module per dataset, each exposing ``build_suite()`` (or, for raw tables, a factory per contract entity)."""
