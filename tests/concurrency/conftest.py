"""Races between writers of one workspace, on PostgreSQL.

Two transactions writing the same rows at once is what PostgreSQL allows and SQLite does not
(SQLite has one writer at a time, and its lock can only be waited for), so these tests are
collected only when ``STAGELINE_TEST_DATABASE_URL`` names a PostgreSQL database; the summary
line of every run says whether PostgreSQL was used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stageline.config import Settings
from stageline.store.db import Store
from tests.conftest import POSTGRES_URL, _truncate

collect_ignore_glob = [] if POSTGRES_URL else ["test_*.py"]


@pytest.fixture
def pg_store(postgres_store: Store) -> Iterator[Store]:
    """The migrated PostgreSQL store, emptied before and after the test."""
    _truncate(postgres_store)
    yield postgres_store
    _truncate(postgres_store)


@pytest.fixture
def pg_settings(tmp_path: Path, pg_store: Store) -> Settings:
    return Settings.load(
        data_dir=tmp_path / "data",
        database_url=pg_store.engine.url.render_as_string(hide_password=False),
    )
