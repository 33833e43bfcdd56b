"""Shared fixtures: the store on every configured database, settings in a temp data dir.

Store tests run on SQLite always, and on PostgreSQL when ``STAGELINE_TEST_DATABASE_URL`` is
set. When it is set and PostgreSQL is unreachable, those tests fail: they never skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from stageline.config import Settings
from stageline.store.db import Store
from stageline.store.models import Base
from tests.checkout_guard import CheckoutGuard

# Nothing beside the checkout may be opened: a clone has nothing there (see checkout_guard).
CHECKOUT_GUARD = CheckoutGuard.for_checkout(Path(__file__).resolve().parents[1])
CHECKOUT_GUARD.install()

# Property tests are judged by what they find, not by how fast a loaded CI machine runs them.
hypothesis_settings.register_profile("stageline", deadline=None)
hypothesis_settings.load_profile("stageline")

HANG_LIMIT = 300.0
"""Seconds a test waits for something that must happen (a server start, an idle delivery
queue, a thread's end) before calling it hung: a bound on a hang, far above what a loaded
machine needs, never a timing expectation. Timing belongs in ``bench/``."""

POSTGRES_URL = os.environ.get("STAGELINE_TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def _worker_schema() -> str:
    """One schema per test process, so parallel workers and parallel runs never collide."""
    return f"stageline_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def _drop_schema(schema: str) -> None:
    admin = Store.connect(POSTGRES_URL)
    try:
        with admin.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


def _postgres_url_with_schema(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def postgres_store() -> Iterator[Store]:
    schema = _worker_schema()
    admin = Store.connect(POSTGRES_URL)
    try:
        with admin.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        pytest.fail(f"STAGELINE_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}")
    finally:
        admin.dispose()
    store = Store.connect(_postgres_url_with_schema(POSTGRES_URL, schema))
    store.migrate()
    yield store
    store.dispose()
    _drop_schema(schema)


def _truncate(store: Store) -> None:
    tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with store.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store on each configured backend."""
    if request.param == "sqlite":
        sqlite_store = Store.connect(f"sqlite:///{tmp_path / 'stageline.db'}")
        sqlite_store.migrate()
        yield sqlite_store
        sqlite_store.dispose()
        return
    pg: Store = request.getfixturevalue("postgres_store")
    _truncate(pg)
    yield pg
    _truncate(pg)


@contextmanager
def blank_database(backend: str, directory: Path) -> Iterator[Store]:
    """An empty database without any table, for migration tests: a SQLite file in
    ``directory``, or on PostgreSQL a schema of its own, dropped afterwards."""
    if backend == "sqlite":
        sqlite_store = Store.connect(f"sqlite:///{directory / 'blank.db'}")
        yield sqlite_store
        sqlite_store.dispose()
        return
    schema = f"{_worker_schema()}_blank"
    admin = Store.connect(POSTGRES_URL)
    try:
        with admin.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()
    pg = Store.connect(_postgres_url_with_schema(POSTGRES_URL, schema))
    yield pg
    pg.dispose()
    _drop_schema(schema)


@pytest.fixture
def settings(tmp_path: Path, store: Store) -> Settings:
    """Settings in a temp data dir, pointing at the test store's database; Stripe calls are
    retried within the production budget, only with a shorter first wait."""
    return Settings.load(
        data_dir=tmp_path / "data",
        database_url=store.engine.url.render_as_string(hide_password=False),
        stripe_retry_first_delay_seconds=0.01,
    )


def pytest_report_header() -> str:
    return CHECKOUT_GUARD.describe()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if POSTGRES_URL:
        line = "store tests ran on SQLite and PostgreSQL"
    else:
        line = (
            "store tests ran on SQLite only "
            "(set STAGELINE_TEST_DATABASE_URL=postgresql+psycopg://... to add PostgreSQL)"
        )
    terminalreporter.write_sep("-", line)
