"""Connection health for people reads as words, and for programs every moment is ISO 8601."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from stageline.config import Settings
from stageline.store.db import Store
from stageline.store.models import StripeConnection
from stageline.sync.catch_up import catch_up_events, ensure_events_cursor
from stageline.sync.status import connection_status
from stageline.sync.status_text import describe_connection
from stageline.sync.sweep import run_sweep
from stageline_sandbox import SandboxHandle
from tests.sync.conftest import link_workspace, sandbox_gateway

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _status(**changes: Any) -> dict[str, Any]:
    status: dict[str, Any] = {
        "id": "conn_1",
        "mode": "test",
        "api_base": "https://api.stripe.com",
        "api_key": "sk_test_…abcd",
        "stripe_account_id": "acct_1",
        "status": "connected",
        "last_error": None,
        "backfill": {
            "last_at": "2026-12-01T09:30:00Z",
            "objects": {"customer": 200, "subscription": 196},
            "objects_per_second": 220.4,
            "resumable": False,
        },
        "webhook": {
            "url": "https://sl.example/webhooks/stripe/conn_1",
            "endpoint_id": "we_1",
            "signing_secret": True,
            "last_received_at": "2026-12-01T11:57:00Z",
            "rejected": {"bad_signature": 2},
            "failed_events": 1,
            "unreadable_events": 0,
        },
        "events": {
            "last_event_at": "2026-12-01T11:57:00Z",
            "last_catch_up_at": "2026-12-01T11:59:18Z",
            "lag_seconds": 42,
            "pending": 3,
            "oldest_pending_seconds": 10,
            "warning": None,
        },
        "drift": {
            "swept_at": "2026-12-01T06:00:00Z",
            "checked": 612,
            "counts": {
                "subscription": {"missing": 2, "changed": 1, "deleted": 0},
                "customer": {"missing": 0, "changed": 0, "deleted": 0},
            },
        },
    }
    status.update(changes)
    return status


def test_a_healthy_connection_in_words() -> None:
    assert describe_connection(_status(), now=NOW) == [
        "connected in test mode to https://api.stripe.com with key sk_test_…abcd "
        "(Stripe account acct_1)",
        "last backfill 2026-12-01 09:30 UTC: 200 customers, 196 subscriptions at 220 objects/s",
        "webhooks to https://sl.example/webhooks/stripe/conn_1: last received 3 minutes ago; "
        "refused 2 (bad signature); 1 events failed to apply",
        "events catch-up 42 seconds ago; 3 events waiting to apply, oldest received 10 seconds ago",
        "last sweep 2026-12-01 06:00 UTC checked 612 objects; repairs: subscriptions: "
        "2 missing, 1 changed",
    ]


def test_a_new_failing_connection_in_words() -> None:
    status = _status(
        status="failing",
        last_error="Stripe rejected the API key",
        backfill={"last_at": None, "objects": None, "objects_per_second": None, "resumable": True},
        drift={"swept_at": None, "checked": None, "counts": None},
    )
    status["webhook"].update(last_received_at=None, rejected={}, failed_events=0)
    status["events"].update(lag_seconds=None, pending=0, warning="no events catch-up for 31 days")
    lines = describe_connection(status, now=NOW)
    assert lines[1] == "last error: Stripe rejected the API key"
    assert lines[2] == (
        "no backfill yet (run `stageline sync`); an interrupted backfill will resume where it "
        "stopped"
    )
    assert lines[3].endswith(": none yet")
    assert lines[4] == "events catch-up: not run yet; warning: no events catch-up for 31 days"
    assert lines[5] == "no reconciliation sweep yet"
    assert not any("{" in line or "None" in line for line in lines)


@pytest.fixture
def linked_status(
    store: Store, settings: Settings, seeded_sandbox: SandboxHandle
) -> dict[str, Any]:
    """The status of a connection that ran an events catch-up and a sweep."""
    linked = link_workspace(store, settings, api_base=seeded_sandbox.url)
    now = datetime.now(UTC)
    with store.session() as session:
        ensure_events_cursor(session, connection_id=linked.connection_id, now=now)
    for run in (catch_up_events, run_sweep):
        run(
            store,
            workspace_id=linked.workspace_id,
            connection_id=linked.connection_id,
            gateway=sandbox_gateway(seeded_sandbox.url),
            now=now,
        )
    with store.session() as session:
        connection = session.get_one(StripeConnection, linked.connection_id)
        return connection_status(session, connection=connection, now=now, public_url="https://x")


def _moments(data: Any, path: str = "") -> dict[str, Any]:
    """Every value under a key ending in ``_at``, by its path."""
    found: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if key.endswith("_at"):
                found[f"{path}.{key}"] = value
            found.update(_moments(value, f"{path}.{key}"))
    return found


def test_every_moment_in_the_json_is_iso_8601(linked_status: dict[str, Any]) -> None:
    moments = _moments(linked_status)
    assert {".backfill.last_at", ".events.last_catch_up_at", ".drift.swept_at"} <= set(moments)
    assert all(value is None or ISO.match(value) for value in moments.values()), moments
    assert moments[".events.last_catch_up_at"] is not None
    assert moments[".drift.swept_at"] is not None
