"""Chaos: a scripted lifecycle of a few hundred subscriptions reaches Stageline through shuffled,
duplicated and dropped webhooks, same-second bursts, 429/500 storms on every read, a backfill
running while the script changes things, and a worker killed mid-batch. In the end the
mirror and the facts equal a clean backfill of the same sandbox, and every event was applied
exactly once.

The sandbox runs in its own process (:mod:`tests.sync.sandbox_process`). One Stageline per
configured database (SQLite, and PostgreSQL when configured) follows the same script at the
same time: its web app receives the deliveries on a real port, its worker runs in a thread.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import stripe
from sqlalchemy import select

from stageline.config import Settings
from stageline.connecting import connect_stripe
from stageline.errors import StripeError
from stageline.facts import recompute_facts
from stageline.operations import import_accounts
from stageline.store.db import Store
from stageline.store.locks import lock_workspace
from stageline.store.models import (
    Account,
    AccountFacts,
    FactChange,
    StripeEvent,
    StripeObject,
    Workspace,
)
from stageline.store.workspaces import create_workspace
from stageline.stripe_api.client import StripeGateway
from stageline.sync.backfill import run_backfill
from stageline.sync.catch_up import catch_up_events
from stageline.sync.process import process_inbox
from stageline.sync.sweep import SweepResult, fingerprint, run_sweep
from stageline.web import create_app
from stageline_sandbox import SANDBOX_API_KEY
from tests.conftest import HANG_LIMIT
from tests.sync.conftest import SEED_NOW, sandbox_gateway
from tests.sync.lifecycle import Clock, Lifecycle
from tests.sync.sandbox_process import SandboxProcess, sandbox_process
from tests.sync.servers import serve_in_thread

T = TypeVar("T")
CUSTOMERS = 220
KILL_AFTER = 60  # events applied (in this worker's life) before it is killed mid-batch
CATCH_UP_EVERY = 4.0  # seconds of real time between the worker's events catch-ups
WEBHOOK_FAULTS = {
    "webhook_drop_rate": 0.1,
    "webhook_duplicate_rate": 0.2,
    "webhook_reorder": True,
    "random_seed": 7,
}
STORMS = {"error_rate": 0.1, "rate_limit_rate": 0.1, "random_seed": 8}


def _at(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock.now, tz=UTC)


class Killed(BaseException):
    """The worker process dies: nothing in Stageline catches this."""


class ChaosWorker(threading.Thread):
    """The worker: events catch-up and inbox in a loop; killed once mid-batch, restarted."""

    def __init__(
        self, store: Store, gateway: StripeGateway, clock: Clock, ids: tuple[str, str]
    ) -> None:
        super().__init__(name="chaos-worker", daemon=True)
        self.store, self.gateway, self.clock = store, gateway, clock
        self.workspace_id, self.connection_id = ids
        self.stopping = threading.Event()
        self.applies = 0
        self.kills = 0
        self.errors: list[BaseException] = []
        self._last_catch_up = 0.0

    def after_apply(self, _row: StripeEvent) -> None:
        self.applies += 1
        if self.applies == KILL_AFTER:
            raise Killed

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                if time.monotonic() - self._last_catch_up > CATCH_UP_EVERY:
                    self._last_catch_up = time.monotonic()
                    self.catch_up()
                self.apply(after_apply=self.after_apply)
            except Killed:
                self.kills += 1  # a new worker starts where the old one died
            except BaseException as exc:
                self.errors.append(exc)
            self.stopping.wait(1.0)

    def catch_up(self) -> None:
        with contextlib.suppress(StripeError):  # a storm: the next turn lists again
            catch_up_events(
                self.store,
                workspace_id=self.workspace_id,
                connection_id=self.connection_id,
                gateway=self.gateway,
                now=_at(self.clock),
            )

    def apply(self, after_apply: Any = None) -> None:
        process_inbox(
            self.store,
            now=_at(self.clock),
            gateway_for=lambda _c: self.gateway,
            after_apply=after_apply,
        )


def _backfill_until_done(store: Store, ids: tuple[str, str], url: str, now: datetime) -> None:
    _until_through(
        lambda: run_backfill(  # each run resumes from the checkpoint
            store,
            workspace_id=ids[0],
            connection_id=ids[1],
            gateway=[sandbox_gateway(url), sandbox_gateway(url)],
            now=now,
        )
    )


def _pending(store: Store) -> int:
    with store.session() as session:
        return len(
            list(session.scalars(select(StripeEvent.id).where(StripeEvent.status == "pending")))
        )


def _until_through(run: Callable[[], T]) -> T:
    """``run`` again while a storm outlasts its retries (each run starts over or resumes)."""
    for _attempt in range(5):
        with contextlib.suppress(StripeError):
            return run()
    raise AssertionError("never got through the storm")


def _until_each_worker_was_killed(deployments: list[Deployment]) -> None:
    """Wait for every worker to reach its kill (after ``KILL_AFTER`` applied events), however
    slowly a loaded machine lets it work through the deliveries."""
    deadline = time.monotonic() + HANG_LIMIT
    while not all(d.worker and d.worker.kills for d in deployments):
        assert time.monotonic() < deadline, "a worker never reached its kill"
        time.sleep(0.1)


def _mirror(store: Store, workspace_id: str) -> dict[str, str]:
    with store.session() as session:
        rows = session.scalars(
            select(StripeObject).where(StripeObject.workspace_id == workspace_id)
        )
        # Stripe keeps only a stub of a deleted object: its deletion is what both can know
        return {
            f"{r.object_type}:{r.stripe_id}": "deleted"
            if r.deleted
            else fingerprint(r.object_type, r.data)
            for r in rows
        }


def _facts(store: Store, workspace_id: str, now: datetime) -> dict[str, tuple[Any, ...]]:
    with store.session() as session:  # computed at the same moment in both workspaces
        lock_workspace(session, workspace_id=workspace_id)
        recompute_facts(
            session,
            workspace=session.get_one(Workspace, workspace_id),
            now=now,
            cause="test-compare",
        )
        rows = session.execute(
            select(Account.external_id, AccountFacts)
            .join(AccountFacts, AccountFacts.account_id == Account.id)
            .where(Account.workspace_id == workspace_id)
        )
        return {
            ext: (
                f.mrr_amount,
                f.mrr_currency,
                f.stage,
                f.renewal_date,
                f.ends_at,
                tuple(f.customer_ids),
            )
            for ext, f in rows
        }


def _workspace(store: Store, name: str, now: datetime) -> str:
    with store.session() as session:
        workspace_id = create_workspace(session, name=name).workspace.id
    csv = "external_id,name\n" + "".join(f"acct-{n},Account {n}\n" for n in range(CUSTOMERS))
    import_accounts(store, workspace_ref=name, csv_text=csv, now=now)
    return workspace_id


@dataclass
class Deployment:
    """One Stageline (its store, web app and worker) following the scripted sandbox."""

    store: Store
    settings: Settings
    workspace_id: str = ""
    connection_id: str = ""
    worker: ChaosWorker | None = None

    def start(self, sandbox: SandboxProcess, servers: contextlib.ExitStack) -> None:
        web_url = servers.enter_context(
            serve_in_thread(create_app(self.settings, store=self.store))
        )
        self.workspace_id = _workspace(self.store, "Chaos", _at(sandbox.clock))
        connected = connect_stripe(
            self.store,
            self.settings.model_copy(update={"public_url": web_url}),
            workspace_ref="Chaos",
            api_key=SANDBOX_API_KEY,
            api_base=sandbox.scripted_url,
            now=_at(sandbox.clock),
        )
        assert connected.webhook_endpoint_id and connected.webhook_error is None
        self.connection_id = connected.connection_id
        self.worker = ChaosWorker(
            self.store,
            sandbox_gateway(sandbox.stormy_url),
            sandbox.clock,
            (self.workspace_id, self.connection_id),
        )
        self.worker.start()

    def backfill_meanwhile(self, sandbox: SandboxProcess) -> threading.Thread:
        ids = (self.workspace_id, self.connection_id)
        thread = threading.Thread(
            target=_backfill_until_done,
            args=(self.store, ids, sandbox.stormy_url, _at(sandbox.clock)),
        )
        thread.start()
        return thread

    def stop_worker(self) -> ChaosWorker:
        assert self.worker is not None
        self.worker.stopping.set()
        self.worker.join(HANG_LIMIT)
        assert not self.worker.is_alive() and not self.worker.errors, self.worker.errors
        return self.worker

    def settle(self, sandbox: SandboxProcess, now: datetime) -> SweepResult:
        """The last catch-up (dropped deliveries), the inbox emptied, then a sweep."""
        worker = self.stop_worker()
        _until_through(
            lambda: catch_up_events(
                self.store,
                workspace_id=self.workspace_id,
                connection_id=self.connection_id,
                gateway=worker.gateway,
                now=now,
            )
        )
        for _turn in range(10):  # a storm defers a batch to the next turn
            worker.apply()
            if not _pending(self.store):
                break
        assert _pending(self.store) == 0
        return _until_through(
            lambda: run_sweep(
                self.store,
                workspace_id=self.workspace_id,
                connection_id=self.connection_id,
                gateway=sandbox_gateway(sandbox.stormy_url),
                now=now,
            )
        )

    def applied_once(self, emitted: set[str]) -> None:
        """Every event emitted since connecting is held once and was applied exactly once."""
        with self.store.session() as session:
            rows = list(
                session.scalars(
                    select(StripeEvent).where(StripeEvent.workspace_id == self.workspace_id)
                )
            )
            causes = Counter(
                (c.account_id, c.kind, c.cause)
                for c in session.scalars(
                    select(FactChange).where(
                        FactChange.workspace_id == self.workspace_id, FactChange.cause.like("evt_%")
                    )
                )
            )
        held = Counter(r.event_id for r in rows)
        assert emitted <= set(held) and max(held.values()) == 1
        assert {(r.status, r.attempts) for r in rows} <= {("applied", 1), ("ignored", 1)}
        assert causes and max(causes.values()) == 1


def test_chaos_ends_equal_to_a_clean_backfill(every_store: list[Store], tmp_path: Path) -> None:
    """One script, followed at once by a Stageline on each configured database."""
    deployments = [
        Deployment(
            store,
            Settings.load(
                data_dir=tmp_path / f"data-{store.dialect}",
                database_url=store.engine.url.render_as_string(hide_password=False),
            ),
        )
        for store in every_store
    ]
    with sandbox_process(
        start=SEED_NOW, scripted_faults=WEBHOOK_FAULTS, stormy_faults=STORMS
    ) as sandbox:
        clock = sandbox.clock
        client = stripe.StripeClient(
            SANDBOX_API_KEY, max_network_retries=2, base_addresses={"api": sandbox.scripted_url}
        )
        life = Lifecycle(client, clock)
        life.catalog()
        with contextlib.ExitStack() as servers:
            for deployment in deployments:
                deployment.start(sandbox, servers)
            life.subscribe(0, CUSTOMERS // 2)
            clock.now += 1
            backfills = [d.backfill_meanwhile(sandbox) for d in deployments]
            life.subscribe(CUSTOMERS // 2, CUSTOMERS - CUSTOMERS // 2)
            life.churn(100)  # ... while the backfills run
            for backfill in backfills:
                backfill.join()
            life.delete_customers(5)
            life.advance(35)  # trials end, renewals, dunning, cancellations at period end
            life.churn(40)
            # Most deliveries land while the endpoints are up; whatever has not by then (a
            # loaded machine delivers slowly) the catch-up brings in after they go down.
            sandbox.wait_idle(10)
            _until_each_worker_was_killed(deployments)
        # the endpoints are down from here: the catch-up does the rest
        assert [d.worker.kills for d in deployments if d.worker] == [1] * len(deployments)

        now = _at(clock)
        sweeps = [d.settle(sandbox, now) for d in deployments]
        reference_store = deployments[0].store
        clean_id = _workspace(reference_store, "Clean", now)
        clean = connect_stripe(
            reference_store,
            deployments[0].settings,
            workspace_ref="Clean",
            api_key=SANDBOX_API_KEY,
            api_base=sandbox.scripted_url,
            register_webhook=False,
            now=now,
        )
        run_backfill(
            reference_store,
            workspace_id=clean_id,
            connection_id=clean.connection_id,
            gateway=sandbox_gateway(sandbox.scripted_url),
            now=now,
        )
        reference = _mirror(reference_store, clean_id)
        reference_facts = _facts(reference_store, clean_id, now)
        emitted = {
            e.id
            for e in client.v1.events.list(
                {"created": {"gte": SEED_NOW}, "limit": 100}
            ).auto_paging_iter()
        }

        for deployment, sweep in zip(deployments, sweeps, strict=True):
            chaotic = _mirror(deployment.store, deployment.workspace_id)
            assert chaotic.keys() == reference.keys()
            assert {k for k in chaotic if chaotic[k] != reference[k]} == set()
            assert _facts(deployment.store, deployment.workspace_id, now) == reference_facts
            assert sweep.total_drift == 0, sweep.drift
            deployment.applied_once(emitted)
        attempts = sandbox.attempts()
        assert any(status is None for _e, _a, status in attempts), "some deliveries dropped"
        assert len(attempts) > len({(e, a) for e, a, _s in attempts}), "some duplicated"
        assert len(life.subs) >= 250
