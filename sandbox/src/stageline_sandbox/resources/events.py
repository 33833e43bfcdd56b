"""``/v1/events``: the last 30 days of events, filtered by ``type``/``types``/``created``.

>>> [route.path for route in ROUTES]
['/v1/events', '/v1/events/{id}']
"""

from __future__ import annotations

from stageline_sandbox.context import Ctx, Route, list_objects
from stageline_sandbox.errors import invalid_request, parameter_invalid, resource_missing
from stageline_sandbox.events import EVENT_RETENTION
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import Filter

MAX_TYPES = 20


def _type_condition(where: Filter, types: list[str]) -> None:
    exact = [t for t in types if "*" not in t]
    patterns = [t.replace("*", "%") for t in types if "*" in t]
    clauses, args = [], []
    if exact:
        clauses.append(f"status IN ({','.join('?' * len(exact))})")
        args.extend(exact)
    for pattern in patterns:
        clauses.append("status LIKE ?")
        args.append(pattern)
    where.sql.append((" OR ".join(clauses), tuple(args)))


def list_events(ctx: Ctx) -> Obj:
    params = ctx.params
    where = Filter(created={"gte": ctx.now - EVENT_RETENTION})
    single = params.string("type")
    types = params.strings("types")
    if single is not None and types:
        raise invalid_request(
            "You may only specify one of these parameters: type, types.", param="types"
        )
    if len(types) > MAX_TYPES:
        raise parameter_invalid("types", f"You may pass at most {MAX_TYPES} event types.")
    if single is not None or types:
        _type_condition(where, [single] if single is not None else types)
    delivered = params.boolean("delivery_success")
    if delivered is not None:
        op = "=" if delivered else ">"
        where.sql.append((f"json_extract(data, '$.pending_webhooks') {op} 0", ()))
    return list_objects(ctx, "event", where, "/v1/events")


def retrieve_event(ctx: Ctx) -> Obj:
    event = ctx.store.get("event", ctx.path["id"])
    if event is None or event["created"] < ctx.now - EVENT_RETENTION:
        raise resource_missing("event", ctx.path["id"])
    return ctx.respond("event", event)


ROUTES = [
    Route("GET", "/v1/events", list_events),
    Route("GET", "/v1/events/{id}", retrieve_event),
]
