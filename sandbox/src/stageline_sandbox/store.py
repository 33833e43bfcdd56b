"""The sandbox's own state: one SQLite database, objects stored as JSON.

Each object is one row: its Stripe JSON (only what differs from the resource's defaults,
see :mod:`stageline_sandbox.shapes`) plus the indexed columns lists and filters need. A
million-customer account is paged straight from disk; nothing holds it in memory.

>>> store = SandboxStore()
>>> store.put("customer", {"id": "cus_1", "object": "customer", "created": 10, "email": "a@b.c"})
>>> store.get("customer", "cus_1")["email"]
'a@b.c'
>>> store.page("customer", Filter(), limit=10).items[0]["id"]
'cus_1'
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from stageline_sandbox.rows import Filter, Page, dumps, store_row

__all__ = ["CursorNotFound", "Filter", "Page", "SandboxStore", "dumps", "store_row"]

_SELECT = "SELECT data FROM objects JOIN bodies USING (pk) WHERE"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    pk INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    created INTEGER NOT NULL,
    customer TEXT,
    status TEXT,
    parent TEXT,
    email TEXT,
    test_clock TEXT,
    livemode INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS bodies (
    pk INTEGER PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refs (
    ref TEXT PRIMARY KEY,
    owner TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idempotency (
    api_key TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (api_key, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""

_INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS ix_objects_type_id ON objects (type, id);
CREATE INDEX IF NOT EXISTS ix_objects_created ON objects (type, created, pk);
CREATE INDEX IF NOT EXISTS ix_objects_customer ON objects (type, customer, created, pk);
CREATE INDEX IF NOT EXISTS ix_objects_status ON objects (type, status, created, pk);
CREATE INDEX IF NOT EXISTS ix_objects_parent ON objects (type, parent, created, pk);
CREATE INDEX IF NOT EXISTS ix_objects_email ON objects (type, email) WHERE email IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_objects_clock ON objects (test_clock) WHERE test_clock IS NOT NULL;
"""

_INDEX_NAMES = (
    "ix_objects_type_id",
    "ix_objects_created",
    "ix_objects_customer",
    "ix_objects_status",
    "ix_objects_parent",
    "ix_objects_email",
    "ix_objects_clock",
)


class CursorNotFound(LookupError):
    """A ``starting_after``/``ending_before`` id that names no object of the listed type."""


class SandboxStore:
    """Thread-safe object store on one SQLite connection (``path=None``: in memory)."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None
        )
        self._depth = 0
        self._bulk = False
        self._conn.execute("PRAGMA cache_size=-262144")
        self._conn.execute("PRAGMA temp_store=MEMORY")
        if path:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA + _INDEXES)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block atomically; nested blocks join the outer transaction."""
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._conn.execute("COMMIT")

    def _row(self, obj_type: str, obj: dict[str, Any]) -> tuple[Any, ...]:
        return store_row(obj_type, obj)

    def put_rows(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert rows made by :func:`store_row` (inside :meth:`bulk_load` only)."""
        if not self._bulk:
            raise RuntimeError("put_rows is for bulk loading")
        with self._lock:
            self._insert_bulk(rows)

    def _insert_bulk(self, rows: list[tuple[Any, ...]]) -> None:
        start = self._conn.execute("SELECT coalesce(max(pk), 0) + 1 FROM objects").fetchone()[0]
        self._conn.executemany(
            "INSERT INTO objects (pk, type, id, created, customer, status, parent, email,"
            " test_clock, livemode) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [(start + n, *row[:-1]) for n, row in enumerate(rows)],
        )
        self._conn.executemany(
            "INSERT INTO bodies (pk, data) VALUES (?, ?)",
            [(start + n, row[-1]) for n, row in enumerate(rows)],
        )

    def put(self, obj_type: str, obj: dict[str, Any]) -> None:
        """Insert ``obj``, or replace the stored object with the same id (keeping its place)."""
        self.put_many(obj_type, [obj])

    def put_many(self, obj_type: str, objs: Iterable[dict[str, Any]]) -> None:
        rows = [self._row(obj_type, obj) for obj in objs]
        with self._lock:
            if self._bulk:
                self._insert_bulk(rows)
                return
            for row in rows:
                pk = self._conn.execute(
                    "INSERT INTO objects (type, id, created, customer, status, parent, email,"
                    " test_clock, livemode) VALUES (?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT (type, id) DO UPDATE SET created=excluded.created,"
                    " customer=excluded.customer, status=excluded.status, parent=excluded.parent,"
                    " email=excluded.email, test_clock=excluded.test_clock,"
                    " livemode=excluded.livemode RETURNING pk",
                    row[:-1],
                ).fetchone()[0]
                self._conn.execute(
                    "INSERT OR REPLACE INTO bodies (pk, data) VALUES (?, ?)", (pk, row[-1])
                )

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Load many new objects fast: drop the indexes, insert plainly, rebuild them.

        Only for objects whose ids are not stored yet (seeding); within the block,
        :meth:`put_many` inserts without checking for an existing id.
        """
        with self._lock:
            for name in _INDEX_NAMES:
                self._conn.execute(f"DROP INDEX IF EXISTS {name}")
            self._bulk = True
            if self.path:
                self._conn.execute("PRAGMA journal_mode=MEMORY")
                self._conn.execute("PRAGMA synchronous=OFF")
            try:
                with self.transaction():
                    yield
            finally:
                self._bulk = False
                self._conn.executescript(_INDEXES)
                if self.path:
                    self._conn.execute("PRAGMA journal_mode=WAL")
                    self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute("PRAGMA analysis_limit=2000")
                self._conn.execute("ANALYZE")

    def get(self, obj_type: str, obj_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT data FROM objects JOIN bodies USING (pk) WHERE type = ? AND id = ?",
                (obj_type, obj_id),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def get_many(self, obj_type: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT id, data FROM objects JOIN bodies USING (pk) WHERE type = ? AND id IN"
                    f" ({','.join('?' * len(chunk))})",
                    (obj_type, *chunk),
                ).fetchall()
            found.update((row[0], json.loads(row[1])) for row in rows)
        return found

    def delete(self, obj_type: str, obj_id: str) -> None:
        with self._lock:
            row = self._conn.execute(
                "DELETE FROM objects WHERE type = ? AND id = ? RETURNING pk", (obj_type, obj_id)
            ).fetchone()
            if row is not None:
                self._conn.execute("DELETE FROM bodies WHERE pk = ?", (row[0],))

    def _position(self, obj_type: str, obj_id: str) -> tuple[int, int]:
        with self._lock:
            row = self._conn.execute(
                "SELECT created, pk FROM objects WHERE type = ? AND id = ?", (obj_type, obj_id)
            ).fetchone()
        if row is None:
            raise CursorNotFound(obj_id)
        return int(row[0]), int(row[1])

    def page(
        self,
        obj_type: str,
        where: Filter,
        *,
        limit: int,
        starting_after: str | None = None,
        ending_before: str | None = None,
    ) -> Page:
        """One page, newest first, the way Stripe's cursors page (raises CursorNotFound)."""
        sql, args = where.where(obj_type)
        backwards = ending_before is not None and starting_after is None
        cursor = ending_before if backwards else starting_after
        if cursor is not None:
            created, pk = self._position(obj_type, cursor)
            op = ">" if backwards else "<"
            sql += f" AND (created {op} ? OR (created = ? AND pk {op} ?))"
            args += [created, created, pk]
        order = "ASC" if backwards else "DESC"
        query = f"{_SELECT} {sql} ORDER BY created {order}, pk {order} LIMIT ?"
        with self._lock:
            rows = self._conn.execute(query, (*args, limit + 1)).fetchall()
        items = [json.loads(row[0]) for row in rows[:limit]]
        if backwards:
            items.reverse()
        return Page(items=items, has_more=len(rows) > limit)

    def slice(self, obj_type: str, where: Filter, *, limit: int, offset: int) -> Page:
        """A page by position, newest first (the Search API's pages)."""
        sql, args = where.where(obj_type)
        query = f"{_SELECT} {sql} ORDER BY created DESC, pk DESC LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._conn.execute(query, (*args, limit + 1, offset)).fetchall()
        return Page(items=[json.loads(row[0]) for row in rows[:limit]], has_more=len(rows) > limit)

    def find(
        self, obj_type: str, where: Filter, *, oldest_first: bool = False
    ) -> list[dict[str, Any]]:
        """Every object matching ``where`` (for small sets: a customer's subscriptions...)."""
        sql, args = where.where(obj_type)
        order = "ASC" if oldest_first else "DESC"
        with self._lock:
            rows = self._conn.execute(
                f"{_SELECT} {sql} ORDER BY created {order}, pk {order}",
                args,
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def count(self, obj_type: str, where: Filter | None = None) -> int:
        sql, args = (where or Filter()).where(obj_type)
        with self._lock:
            source = "objects JOIN bodies USING (pk)" if (where and where.sql) else "objects"
            row = self._conn.execute(f"SELECT COUNT(*) FROM {source} WHERE {sql}", args).fetchone()
        return int(row[0])

    def set_refs(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Remember which object owns an embedded one (subscription item → subscription)."""
        with self._lock:
            self._conn.executemany(
                "INSERT OR REPLACE INTO refs (ref, owner) VALUES (?, ?)", list(pairs)
            )

    def owner_of(self, ref: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT owner FROM refs WHERE ref = ?", (ref,)).fetchone()
        return str(row[0]) if row else None

    def setting(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value)
            )

    def idempotent_response(self, api_key: str, key: str) -> tuple[str, int, str] | None:
        """The fingerprint, status and body first answered for an idempotency key."""
        with self._lock:
            row = self._conn.execute(
                "SELECT fingerprint, status, body FROM idempotency WHERE api_key = ? AND key = ?",
                (api_key, key),
            ).fetchone()
        return (str(row[0]), int(row[1]), str(row[2])) if row else None

    def save_idempotent_response(
        self, api_key: str, key: str, fingerprint: str, status: int, body: str, created: int
    ) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
                (api_key, key, fingerprint, status, body, created),
            )
