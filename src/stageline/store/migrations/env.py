"""Alembic environment: runs on the connection handed in by ``Store.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from stageline.store.models import SQLITE_ONLY_KEYS, Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as owned:
            _run_on(owned)
        return
    _run_on(connection)


def _run_on(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def _include_object(
    item: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """What autogenerate compares: everything but the keys that exist only on SQLite."""
    return not (reflected and type_ == "unique_constraint" and name in SQLITE_ONLY_KEYS)


run()
