"""Saving sandbox objects and emitting the events Stripe emits for them.

Invoicing, the subscription lifecycle and every request handler write through one
:class:`Recorder`, so an object and its event are always stored together.

>>> from stageline_sandbox.config import SandboxConfig
>>> from stageline_sandbox.events import EventLog
>>> store = SandboxStore()
>>> recorder = Recorder(SandboxConfig(), store, EventLog(store, lambda: 1_700_000_000))
>>> event = recorder.save("coupon", {"id": "co_1", "percent_off": 10.0}, "coupon.created")
>>> event["type"], event["data"]["object"]["id"]
('coupon.created', 'co_1')
>>> recorder.now_for(None) > 0
True
"""

from __future__ import annotations

from stageline_sandbox.config import SandboxConfig
from stageline_sandbox.events import EventLog, Origin
from stageline_sandbox.render import Renderer
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import SandboxStore


class Recorder:
    """Stores objects and records their events; knows each object's time (test clocks)."""

    def __init__(self, config: SandboxConfig, store: SandboxStore, events: EventLog) -> None:
        self.config = config
        self.store = store
        self.events = events

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
