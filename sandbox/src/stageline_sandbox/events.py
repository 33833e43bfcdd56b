"""Events: every change to a Stripe object becomes an ``event`` with its snapshot.

``data.object`` is the object as it stands after the change, rendered at the sandbox's
API version; ``data.previous_attributes`` (on ``*.updated``) holds the old values of what
changed, nested as Stripe nests them.

>>> previous_attributes({"status": "trialing", "metadata": {"a": "1"}},
...                     {"status": "active", "metadata": {"a": "1"}})
{'status': 'trialing'}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stageline_sandbox.ids import new_id
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import Filter, SandboxStore

API_VERSION = "2026-10-28.endive"
"""The version the sandbox renders objects at (the ``stripe`` SDK's pinned version)."""

EVENT_RETENTION = 30 * 86_400
"""Stripe lists events of the last 30 days only."""


def previous_attributes(old: Obj, new: Obj) -> Obj:
    """The old values of the fields that differ, recursing into nested objects."""
    changed: Obj = {}
    for key in old.keys() | new.keys():
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict) and before.get("object") != "list":
            changed[key] = previous_attributes(before, after)
        else:
            changed[key] = before
    return changed


def listening(store: SandboxStore, event_type: str, *, connect: bool) -> list[Obj]:
    """Enabled endpoints of ``store`` whose ``enabled_events`` match ``event_type``.

    ``connect`` picks the endpoints created with ``connect=true`` (events of connected
    accounts) or the others (the account's own events).
    """
    endpoints = store.find("webhook_endpoint", Filter(equals={"status": "enabled"}))
    return [
        e
        for e in endpoints
        if bool(e.get("_connect")) == connect
        and ("*" in e["enabled_events"] or event_type in e["enabled_events"])
    ]


@dataclass(frozen=True)
class Origin:
    """The API request an event came from (``None`` ids: the sandbox itself, e.g. a clock)."""

    request_id: str | None = None
    idempotency_key: str | None = None
    livemode: bool = False


class EventLog:
    """Stores events and hands each one to the webhook endpoints that listen for it."""

    def __init__(
        self,
        store: SandboxStore,
        clock: Callable[[], int],
        on_event: Callable[[Obj, list[Obj], list[Obj]], None] | None = None,
        *,
        account: str | None = None,
        platform_store: SandboxStore | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.on_event = on_event
        self.account = account
        """The connected account the events come from (``account`` on each event), if any."""
        self.platform_store = platform_store
        """The store of the platform whose Connect endpoints (``connect=true``) hear them."""

    def listeners(self, event_type: str) -> list[Obj]:
        """This account's enabled endpoints (not Connect ones) listening for ``event_type``."""
        return listening(self.store, event_type, connect=False)

    def connect_listeners(self, event_type: str) -> list[Obj]:
        """The platform's enabled Connect endpoints listening for ``event_type``."""
        if self.platform_store is None:
            return []
        return listening(self.platform_store, event_type, connect=True)

    def emit(
        self,
        event_type: str,
        obj: Obj,
        *,
        origin: Origin | None = None,
        previous: Obj | None = None,
    ) -> Obj:
        """Record an event about ``obj`` (rendered) and queue its webhook deliveries."""
        origin = origin or Origin()
        listeners = self.listeners(event_type)
        connect = self.connect_listeners(event_type)
        data: dict[str, Any] = {"object": obj}
        if previous is not None:
            data["previous_attributes"] = previous
        event: Obj = {
            "id": new_id("evt"),
            "object": "event",
            **({"account": self.account} if self.account else {}),
            "api_version": API_VERSION,
            "created": self.clock(),
            "data": data,
            "livemode": origin.livemode,
            "pending_webhooks": len(listeners) + len(connect),
            "request": {"id": origin.request_id, "idempotency_key": origin.idempotency_key},
            "type": event_type,
            "context": None,
        }
        self.store.put("event", event)
        if self.on_event is not None and (listeners or connect):
            self.on_event(event, listeners, connect)
        return event

    def changed(
        self,
        event_type: str,
        old: Obj,
        new: Obj,
        *,
        origin: Origin | None = None,
    ) -> Obj | None:
        """Emit ``event_type`` with ``previous_attributes`` if anything changed."""
        previous = previous_attributes(old, new)
        if not previous:
            return None
        return self.emit(event_type, new, origin=origin, previous=previous)

    def delivered(self, event_id: str) -> None:
        """One endpoint acknowledged the event: one fewer pending webhook."""
        with self.store.transaction():
            event = self.store.get("event", event_id)
            if event is not None and event["pending_webhooks"] > 0:
                event["pending_webhooks"] -= 1
                self.store.put("event", event)
