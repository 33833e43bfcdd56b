"""The sandbox in a child process, so that its work does not share a GIL with Stageline's.

Two servers share one store: ``scripted`` takes the script's writes and delivers webhooks
(with the webhook faults); ``stormy`` answers Stageline's reads (with 429/500 storms). Their
time of day is a :class:`SharedClock` the test moves.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from tests.conftest import HANG_LIMIT


class SharedClock:
    """Seconds since the epoch, shared with the child process; ``now`` can be moved."""

    def __init__(self, value: Any) -> None:
        self._value = value

    @property
    def now(self) -> int:
        return int(self._value.value)

    @now.setter
    def now(self, seconds: int) -> None:
        self._value.value = seconds

    def __call__(self) -> int:
        return self.now


def _serve(
    conn: Connection,
    clock_value: Any,
    scripted_faults: dict[str, Any],
    stormy_faults: dict[str, Any],
) -> None:
    from stageline_sandbox import FaultConfig, SandboxConfig, SandboxStore, run_sandbox_in_thread

    clock = SharedClock(clock_value)
    store = SandboxStore()
    scripted = run_sandbox_in_thread(
        SandboxConfig(
            rate_limit=None,
            clock=clock,
            faults=FaultConfig(**scripted_faults),
            webhook_retry_delays=(0.05, 0.1, 0.2),
        ),
        port=0,
        store=store,
    )
    stormy = run_sandbox_in_thread(
        SandboxConfig(rate_limit=None, clock=clock, faults=FaultConfig(**stormy_faults)),
        port=0,
        store=store,
    )
    conn.send((scripted.url, stormy.url))
    webhooks = scripted.app.state.engine.webhooks
    while True:
        command, argument = conn.recv()
        if command == "idle":
            conn.send(webhooks.wait_idle(argument))
        elif command == "attempts":
            conn.send([(a.event_id, a.attempt, a.status) for a in webhooks.attempts])
        else:
            scripted.stop()
            stormy.stop()
            conn.send(True)
            return


@dataclass
class SandboxProcess:
    scripted_url: str
    stormy_url: str
    clock: SharedClock
    _conn: Connection

    def wait_idle(self, timeout: float) -> bool:
        """Whether every webhook delivery (retries included) is done within ``timeout``."""
        self._conn.send(("idle", timeout))
        return bool(self._conn.recv())

    def attempts(self) -> list[tuple[str, int, int | None]]:
        """``(event id, attempt, HTTP status or None if dropped)`` of every delivery."""
        self._conn.send(("attempts", None))
        return list(self._conn.recv())


@contextmanager
def sandbox_process(
    *, start: int, scripted_faults: dict[str, Any], stormy_faults: dict[str, Any]
) -> Iterator[SandboxProcess]:
    context = multiprocessing.get_context("spawn")
    clock_value = context.Value("q", start)
    parent, child = context.Pipe()
    process = context.Process(
        target=_serve, args=(child, clock_value, scripted_faults, stormy_faults), daemon=True
    )
    process.start()
    try:
        if not parent.poll(HANG_LIMIT):
            raise RuntimeError("the sandbox process did not start")
        scripted_url, stormy_url = parent.recv()
        yield SandboxProcess(scripted_url, stormy_url, SharedClock(clock_value), parent)
        parent.send(("stop", None))
        parent.poll(HANG_LIMIT)
    finally:
        process.join(HANG_LIMIT)
        if process.is_alive():
            process.kill()
            process.join(5)
