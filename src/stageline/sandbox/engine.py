"""The sandbox's moving parts, wired together once per app: store, events, webhooks,
invoicing, subscription lifecycle and test clocks.

>>> from stageline.sandbox.config import SandboxConfig
>>> engine = Engine(SandboxConfig(), SandboxStore())
>>> engine.now_for(None) > 0
True
>>> engine.close()
"""

from __future__ import annotations

from stageline.sandbox.config import SandboxConfig
from stageline.sandbox.events import EventLog, Origin
from stageline.sandbox.invoicing import Invoicing
from stageline.sandbox.lifecycle import Lifecycle
from stageline.sandbox.render import Renderer
from stageline.sandbox.shapes import Obj
from stageline.sandbox.store import SandboxStore
from stageline.sandbox.webhooks import WebhookDispatcher


class Engine:
    """Shared by every request of one sandbox app (and by its test clocks)."""

    def __init__(self, config: SandboxConfig, store: SandboxStore) -> None:
        self.config = config
        self.store = store
        self.webhooks = WebhookDispatcher(config, store)
        self.events = EventLog(store, config.clock, on_event=self.webhooks.enqueue)
        self.webhooks.events = self.events
        self.invoicing = Invoicing(self)
        self.lifecycle = Lifecycle(self)

    def render(self, obj_type: str, stored: Obj) -> Obj:
        return Renderer(self.store).render(obj_type, stored)

    def now_for(self, clock_id: str | None) -> int:
        """The time an object lives at: its test clock's frozen time, or the wall clock."""
        if clock_id:
            clock = self.store.get("test_clock", clock_id)
            if clock is not None:
                return int(clock["frozen_time"])
        return self.config.clock()

    def save(
        self,
        obj_type: str,
        stored: Obj,
        event_type: str | None,
        *,
        old: Obj | None = None,
        origin: Origin | None = None,
    ) -> Obj | None:
        """Store ``stored``; emit ``event_type`` (with previous_attributes for updates)."""
        self.store.put(obj_type, stored)
        if event_type is None:
            return None
        new = self.render(obj_type, stored)
        if old is not None and event_type.endswith(".updated"):
            return self.events.changed(event_type, self.render(obj_type, old), new, origin=origin)
        return self.events.emit(event_type, new, origin=origin)

    def emit_current(self, obj_type: str, stored: Obj, event_type: str, origin: Origin) -> Obj:
        """Emit ``event_type`` about ``stored`` as it stands."""
        return self.events.emit(event_type, self.render(obj_type, stored), origin=origin)

    def after_write(self) -> None:
        """A write committed: let the webhook dispatcher send what it queued."""
        self.webhooks.wake()

    def after_rollback(self) -> None:
        """A write failed and was rolled back: forget the deliveries it staged."""
        self.webhooks.discard_staged()

    def close(self) -> None:
        self.webhooks.close()
