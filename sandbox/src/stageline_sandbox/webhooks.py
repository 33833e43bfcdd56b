"""Signed webhook delivery: each event POSTed to every listening endpoint, retried.

Signatures are Stripe's: ``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"{t}.{body}" keyed with the endpoint's whsec_ secret>``, so ``stripe.Webhook.construct_event``
accepts them.

>>> header = signature_header('{"id": "evt_1"}', "whsec_test", timestamp=1700000000)
>>> header.startswith("t=1700000000,v1=")
True
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from stageline_sandbox.config import FaultConfig, SandboxConfig
from stageline_sandbox.guards import FaultInjector
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import SandboxStore
from stageline_sandbox.versions import event_for_version

if TYPE_CHECKING:
    from stageline_sandbox.events import EventLog

log = logging.getLogger(__name__)


def signature_header(payload: str, secret: str, *, timestamp: int) -> str:
    """The ``Stripe-Signature`` header value for ``payload`` signed at ``timestamp``."""
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(order=True)
class Delivery:
    due: float
    order: int
    event_id: str = field(compare=False)
    endpoint_id: str = field(compare=False)
    attempt: int = field(default=0, compare=False)
    connect: bool = field(default=False, compare=False)
    """The endpoint is the platform's Connect endpoint (it lives in the platform's store)."""


@dataclass(frozen=True)
class Attempt:
    """One POST the dispatcher made (for inspection in tests and logs)."""

    event_id: str
    endpoint_id: str
    attempt: int
    status: int | None


class WebhookDispatcher:
    """A background thread that sends queued deliveries when they are due."""

    def __init__(
        self,
        config: SandboxConfig,
        store: SandboxStore,
        *,
        platform_store: SandboxStore | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.platform_store = platform_store
        """Where the platform's Connect endpoints live (for a connected account's events)."""
        self.events: EventLog | None = None
        self.attempts: list[Attempt] = []
        faults = config.faults
        self._faults = FaultInjector(
            FaultConfig(**{**faults.__dict__, "random_seed": faults.random_seed + 1})
        )
        self._staged: list[Delivery] = []
        self._queue: list[Delivery] = []
        self._busy = 0
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._closed = False
        self._threads: list[threading.Thread] = []
        self._client: httpx.Client | None = None
        """Made with the first delivery (loading TLS roots costs time every account would pay)."""

    def enqueue(self, event: Obj, endpoints: list[Obj], connect: list[Obj] | None = None) -> None:
        """Stage deliveries of ``event`` to this account's ``endpoints`` and the platform's
        ``connect`` ones; they go out after the write commits (:meth:`wake`)."""
        now = time.monotonic()
        with self._cond:
            for endpoint in endpoints:
                self._staged.append(Delivery(now, next(self._order), event["id"], endpoint["id"]))
            for endpoint in connect or ():
                self._staged.append(
                    Delivery(now, next(self._order), event["id"], endpoint["id"], connect=True)
                )

    def discard_staged(self) -> None:
        """Drop deliveries staged by a write that was rolled back."""
        with self._cond:
            self._staged.clear()
            self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            if not self._staged:
                return
            batch, self._staged = self._staged, []
            ids = [f"{d.event_id}/{d.endpoint_id}" for d in batch]
            self._faults.shuffle(ids)
            by_id = {f"{d.event_id}/{d.endpoint_id}": d for d in batch}
            for key in ids:
                delivery = by_id[key]
                delivery.order = next(self._order)
                heapq.heappush(self._queue, delivery)
            if not self._threads:
                self._client = httpx.Client(timeout=self.config.webhook_timeout)
                for n in range(max(1, self.config.webhook_concurrency)):
                    thread = threading.Thread(
                        target=self._run, name=f"stageline-sandbox-webhooks-{n}", daemon=True
                    )
                    thread.start()
                    self._threads.append(thread)
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued (retries included) or in flight; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy or self._staged:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(2.0)
        if self._client is not None:
            self._client.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (
                    not self._queue or self._queue[0].due > time.monotonic()
                ):
                    wait = self._queue[0].due - time.monotonic() if self._queue else None
                    self._cond.wait(wait)
                if self._closed:
                    return
                delivery = heapq.heappop(self._queue)
                self._busy += 1
            try:
                self._deliver(delivery)
            except Exception:  # a delivery must never kill the dispatcher
                log.exception("webhook delivery failed")
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _deliver(self, delivery: Delivery) -> None:
        event = self.store.get("event", delivery.event_id)
        endpoints = self.platform_store if delivery.connect else self.store
        endpoint = endpoints.get("webhook_endpoint", delivery.endpoint_id) if endpoints else None
        if event is None or endpoint is None or endpoint.get("status") != "enabled":
            return
        if self._faults.drop_delivery():
            self.attempts.append(Attempt(event["id"], endpoint["id"], delivery.attempt, None))
            return
        payload = json.dumps(
            event_for_version(event, endpoint.get("api_version"), self.store), indent=2
        )
        copies = 2 if self._faults.duplicate_delivery() else 1
        ok = False
        for _ in range(copies):
            ok = self._post(endpoint, payload, event["id"], delivery.attempt) or ok
        if ok:
            if self.events is not None:
                self.events.delivered(event["id"])
            return
        delays = self.config.webhook_retry_delays
        if delivery.attempt < len(delays):
            retry = Delivery(
                time.monotonic() + delays[delivery.attempt],
                next(self._order),
                delivery.event_id,
                delivery.endpoint_id,
                delivery.attempt + 1,
                delivery.connect,
            )
            with self._cond:
                heapq.heappush(self._queue, retry)

    def _post(self, endpoint: Obj, payload: str, event_id: str, attempt: int) -> bool:
        header = signature_header(payload, endpoint["_secret"], timestamp=int(time.time()))
        status: int | None = None
        client = self._client  # made by wake() before any delivery thread starts
        if client is None:
            return False
        try:
            response = client.post(
                endpoint["url"],
                content=payload.encode(),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": header,
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                },
                follow_redirects=False,
            )
            status = response.status_code
        except httpx.HTTPError as error:
            log.info("webhook to %s failed: %s", endpoint["url"], error)
        self.attempts.append(Attempt(event_id, endpoint["id"], attempt, status))
        return status is not None and 200 <= status < 300
