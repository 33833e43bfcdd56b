"""Backfill from the sandbox: complete (canceled and deleted too), concurrent, resumable."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from stageline.config import Settings
from stageline.errors import StripeError, StripeUnavailable
from stageline.store.db import Store
from stageline.store.models import AccountFacts, StripeObject
from stageline.sync.backfill import CHECKPOINT, LAST_BACKFILL, run_backfill
from stageline.sync.catch_up import EVENTS_CURSOR, load_cursor
from stageline.sync.progress import BackfillProgress
from stageline_sandbox import SandboxConfig, SandboxHandle, SandboxStore, run_sandbox_in_thread
from stageline_sandbox.config import FaultConfig
from tests.sync.conftest import (
    BIG,
    NOW,
    SEED_NOW,
    Linked,
    link_workspace,
    sandbox_gateway,
)

Mirror = dict[str, dict[str, Any]]


def _mirror(store: Store, workspace_id: str) -> Mirror:
    with store.session() as session:
        rows = session.scalars(
            select(StripeObject).where(StripeObject.workspace_id == workspace_id)
        )
        return {f"{r.object_type}:{r.stripe_id}": {**r.data, "_deleted": r.deleted} for r in rows}


def _backfill(linked: Linked, url: str, workers: int = 1, **kwargs: Any) -> Any:
    gateways = [sandbox_gateway(url) for _ in range(workers)]
    return run_backfill(
        linked.store,
        workspace_id=linked.workspace_id,
        connection_id=linked.connection_id,
        gateway=gateways,
        now=NOW,
        **kwargs,
    )


def test_a_concurrent_backfill_holds_all_the_sdk_lists_and_deleted_customers(
    store: Store, settings: Settings, big_sandbox: SandboxHandle, big_expected: Mirror
) -> None:
    linked = link_workspace(store, settings, api_base=big_sandbox.url, seeded=BIG)
    result = _backfill(linked, big_sandbox.url, workers=3)
    held = _mirror(store, linked.workspace_id)
    assert held == big_expected
    deleted = {k for k, v in held.items() if v["_deleted"]}
    assert deleted and all(k.startswith("customer:") for k in deleted)
    assert any(v.get("status") == "canceled" for k, v in held.items() if k.startswith("sub"))
    assert result.total == len(big_expected)
    assert result.objects_per_second > 0
    with store.session() as session:
        facts = list(session.scalars(select(AccountFacts)))
        assert any(f.mrr_amount > 0 for f in facts)
        assert load_cursor(session, connection_id=linked.connection_id, name=CHECKPOINT).value == {}
        last = load_cursor(session, connection_id=linked.connection_id, name=LAST_BACKFILL)
        assert last is not None and last.value["counts"] == result.counts


def test_progress_reports_rate_and_eta_as_pages_are_written(
    store: Store, settings: Settings, big_sandbox: SandboxHandle, big_expected: Mirror
) -> None:
    linked = link_workspace(store, settings, api_base=big_sandbox.url)
    reports: list[BackfillProgress] = []
    _backfill(linked, big_sandbox.url, workers=1, on_progress=reports.append)
    assert _mirror(store, linked.workspace_id) == big_expected
    assert [r.fetched for r in reports] == sorted(r.fetched for r in reports)
    assert reports[-1].fetched == sum(r.page_objects for r in reports)
    assert any(r.eta_seconds is not None for r in reports)
    assert all(r.objects_per_second > 0 for r in reports)
    assert reports[-1].fraction == 1.0


class Interrupted(BaseException):
    """Ctrl-C in the middle of the backfill."""


def test_an_interrupted_backfill_resumes_where_it_stopped(
    store: Store, settings: Settings, big_sandbox: SandboxHandle, big_expected: Mirror
) -> None:
    linked = link_workspace(store, settings, api_base=big_sandbox.url)
    pages: list[BackfillProgress] = []

    def interrupt_after_five(update: BackfillProgress) -> None:
        pages.append(update)
        if len(pages) == 5:
            raise Interrupted

    with pytest.raises(Interrupted):
        _backfill(linked, big_sandbox.url, workers=2, on_progress=interrupt_after_five)
    with store.session() as session:
        events = load_cursor(session, connection_id=linked.connection_id, name=EVENTS_CURSOR)
        checkpoint = load_cursor(session, connection_id=linked.connection_id, name=CHECKPOINT)
    assert events is not None and events.value["since"] == SEED_NOW  # set before any listing
    assert checkpoint is not None and checkpoint.value["started_at"] == SEED_NOW
    partial = _mirror(store, linked.workspace_id)
    assert 0 < len(partial) < len(big_expected)

    result = _backfill(linked, big_sandbox.url, workers=2)
    assert result.resumed
    assert result.total < len(big_expected)
    assert _mirror(store, linked.workspace_id) == big_expected


def test_429_and_500_storms_are_retried_until_the_backfill_completes(
    store: Store, settings: Settings, big_sandbox: SandboxHandle, big_expected: Mirror
) -> None:
    faults = FaultConfig(error_rate=0.2, rate_limit_rate=0.2, random_seed=4)
    flaky = run_sandbox_in_thread(
        SandboxConfig(rate_limit=None, faults=faults), port=0, store=big_sandbox.app.state.store
    )
    try:
        linked = link_workspace(store, settings, api_base=flaky.url)
        for _run in range(5):  # a storm longer than the retries stops a run; the next resumes
            try:
                _backfill(linked, flaky.url, workers=3)
                break
            except StripeError:
                continue
        else:
            raise AssertionError("the backfill never got through the storm")
    finally:
        flaky.stop()
    assert _mirror(store, linked.workspace_id) == big_expected


def test_a_stripe_that_stays_down_fails_and_keeps_the_checkpoint(
    store: Store, settings: Settings
) -> None:
    down = run_sandbox_in_thread(
        SandboxConfig(rate_limit=None, faults=FaultConfig(error_rate=1.0)),
        port=0,
        store=SandboxStore(),
    )
    try:
        linked = link_workspace(store, settings, api_base=down.url)
        with pytest.raises(StripeUnavailable):
            _backfill(linked, down.url)
    finally:
        down.stop()
    with store.session() as session:
        checkpoint = load_cursor(session, connection_id=linked.connection_id, name=CHECKPOINT)
    assert checkpoint is not None and checkpoint.value["started_at"] == SEED_NOW
