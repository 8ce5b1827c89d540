"""The warehouse: which PostgreSQL, how to reach it, and what must exist in it."""

from pipelines.warehouse.connection import WarehouseError, connect, database_url

__all__ = ["WarehouseError", "connect", "database_url"]
