"""``/v1/test_helpers/test_clocks``: frozen time for customers, advanced on demand.

Advancing a clock replays, in time order, every transition due for the subscriptions of
its customers: trial notices and ends, renewals with their invoices, payment retries,
scheduled cancellations. The clock answers ``status=ready`` once the advance is done.

>>> [route.method + " " + route.path for route in ROUTES][-1]
'POST /v1/test_helpers/test_clocks/{id}/advance'
"""

from __future__ import annotations

from stageline_sandbox.context import Ctx, Route, Services, list_objects
from stageline_sandbox.errors import invalid_request, parameter_missing
from stageline_sandbox.events import Origin
from stageline_sandbox.ids import new_id
from stageline_sandbox.shapes import Obj, deleted_stub
from stageline_sandbox.store import Filter
from stageline_sandbox.timeline import DAY

MAX_TRANSITIONS = 100_000
CLOCK_LIFETIME = 30 * DAY


def advance_clock(engine: Services, clock: Obj, target: int, origin: Origin) -> int:
    """Move ``clock`` to ``target``, applying every due transition; returns how many."""
    applied = 0
    lifecycle = engine.lifecycle
    while applied < MAX_TRANSITIONS:
        subs = engine.store.find(
            "subscription", Filter(equals={"test_clock": clock["id"]}), oldest_first=True
        )
        due = [(action, sub) for sub in subs if (action := lifecycle.next_action(sub))]
        due = [(action, sub) for action, sub in due if action[0] <= target]
        if not due:
            break
        (moment, name), sub = min(due, key=lambda pair: pair[0][0])
        clock["frozen_time"] = max(int(clock["frozen_time"]), moment)
        engine.store.put("test_clock", clock)
        lifecycle.apply(sub, name, moment, origin)
        applied += 1
    clock["frozen_time"] = target
    clock["status"] = "ready"
    engine.store.put("test_clock", clock)
    return applied


def create_clock(ctx: Ctx) -> Obj:
    frozen = ctx.params.integer("frozen_time", low=0)
    if frozen is None:
        frozen = ctx.now
    clock: Obj = {
        "id": new_id("clock"),
        "object": "test_helpers.test_clock",
        "created": ctx.now,
        "deletes_after": ctx.now + CLOCK_LIFETIME,
        "frozen_time": frozen,
        "livemode": ctx.livemode,
        "name": ctx.params.string("name"),
        "status": "ready",
        "status_details": {},
    }
    ctx.engine.save("test_clock", clock, "test_helpers.test_clock.created", origin=ctx.origin)
    return ctx.respond("test_clock", clock)


def advance(ctx: Ctx) -> Obj:
    clock = ctx.object_or_404("test_clock", ctx.path["id"])
    target = ctx.params.integer("frozen_time", low=0)
    if target is None:
        raise parameter_missing("frozen_time")
    if target <= int(clock["frozen_time"]):
        raise invalid_request(
            "The test clock can only be advanced to a time after its current frozen_time.",
            param="frozen_time",
        )
    engine = ctx.engine
    clock["status"] = "advancing"
    engine.save("test_clock", clock, "test_helpers.test_clock.advancing", origin=ctx.origin)
    advance_clock(engine, clock, target, ctx.origin)
    engine.emit_current("test_clock", clock, "test_helpers.test_clock.ready", ctx.origin)
    return ctx.respond("test_clock", clock)


def delete_clock(ctx: Ctx) -> Obj:
    clock = ctx.object_or_404("test_clock", ctx.path["id"])
    for obj_type in ("subscription", "invoice", "customer"):
        for obj in ctx.store.find(obj_type, Filter(equals={"test_clock": clock["id"]})):
            ctx.store.delete(obj_type, obj["id"])
    ctx.engine.emit_current("test_clock", clock, "test_helpers.test_clock.deleted", ctx.origin)
    ctx.store.delete("test_clock", clock["id"])
    return deleted_stub("test_helpers.test_clock", clock["id"])


ROUTES = [
    Route(
        "GET",
        "/v1/test_helpers/test_clocks",
        lambda ctx: list_objects(ctx, "test_clock", Filter(), "/v1/test_helpers/test_clocks"),
    ),
    Route("POST", "/v1/test_helpers/test_clocks", create_clock),
    Route("GET", "/v1/test_helpers/test_clocks/{id}", lambda ctx: ctx.retrieve("test_clock")),
    Route("DELETE", "/v1/test_helpers/test_clocks/{id}", delete_clock),
    Route("POST", "/v1/test_helpers/test_clocks/{id}/advance", advance),
]
