"""The store: SQLAlchemy tables, queries and migrations, on SQLite and PostgreSQL."""

from stageline.store.db import Store

__all__ = ["Store"]
