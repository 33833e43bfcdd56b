"""Background work: periodic jobs run by ``stageline worker`` (or inside ``serve`` in the demo).

Jobs are plain callables ``job(store, settings, now)``; each runs on its own interval and an
error in one is logged and retried at its next turn, never stopping the others.

Example::

    worker = Worker(store, settings)
    worker.run_once(now=datetime.now(UTC))
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from stageline.config import Settings
from stageline.errors import StagelineError
from stageline.facts import recompute_facts
from stageline.store.db import Store
from stageline.store.locks import lock_workspace
from stageline.store.models import Workspace
from stageline.store.workspaces import list_workspaces

log = logging.getLogger("stageline.worker")

Job = Callable[[Store, Settings, datetime], object]


def refresh_time_based_facts(store: Store, settings: Settings, now: datetime) -> object:
    """Facts that move with the clock (days to renewal, cancellations that took effect): one
    transaction per workspace, under the workspace lock like every writer of facts."""
    with store.session() as session:
        workspace_ids = [workspace.id for workspace in list_workspaces(session)]
    for workspace_id in workspace_ids:
        with store.session() as session:
            lock_workspace(session, workspace_id=workspace_id)
            workspace = session.get_one(Workspace, workspace_id)
            recompute_facts(session, workspace=workspace, now=now, cause="scheduled-refresh")
    return None


@dataclass
class ScheduledJob:
    name: str
    run: Job
    every_seconds: float
    last_run: float = float("-inf")


class Worker:
    """Runs its jobs until ``stop()``; ``run_once`` runs every due job now (for tests)."""

    def __init__(self, store: Store, settings: Settings, jobs: list[ScheduledJob] | None = None):
        self.store = store
        self.settings = settings
        self.jobs = jobs if jobs is not None else default_jobs(settings)
        self._stop = threading.Event()

    def run_once(self, *, now: datetime, force: bool = True) -> dict[str, str]:
        outcome: dict[str, str] = {}
        for job in self.jobs:
            tick = now.timestamp()
            if not force and tick - job.last_run < job.every_seconds:
                continue
            job.last_run = tick
            try:
                job.run(self.store, self.settings, now)
                outcome[job.name] = "ok"
            except StagelineError as exc:
                log.warning("job %s failed: %s", job.name, exc.one_line())
                outcome[job.name] = f"error: {exc.one_line()}"
            except Exception:
                log.exception("job %s crashed", job.name)
                outcome[job.name] = "crashed"
        return outcome

    def run_forever(self, *, poll_seconds: float = 1.0) -> None:
        while not self._stop.is_set():
            self.run_once(now=datetime.now(UTC), force=False)
            self._stop.wait(poll_seconds)

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="stageline-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()


def default_jobs(settings: Settings) -> list[ScheduledJob]:
    """Events catch-up, inbox, reconciliation sweep, then the time-based facts refresh."""
    from stageline.sync import jobs

    return [
        ScheduledJob(
            "events-catch-up", jobs.catch_up_all, every_seconds=settings.events_catch_up_seconds
        ),
        ScheduledJob("inbox", jobs.apply_inbox, every_seconds=jobs.INBOX_EVERY_SECONDS),
        ScheduledJob("reconcile", jobs.sweep_due, every_seconds=jobs.SWEEP_CHECK_EVERY_SECONDS),
        ScheduledJob("refresh-facts", refresh_time_based_facts, every_seconds=600),
    ]
