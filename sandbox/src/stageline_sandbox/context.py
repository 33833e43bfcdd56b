"""What a handler gets for one request, and the helpers every resource shares.

A handler is a plain function ``(ctx: Ctx) -> dict`` that returns the JSON Stripe would
answer, or raises :class:`~stageline_sandbox.errors.StripeApiError`.

>>> from stageline_sandbox.store import SandboxStore
>>> ctx = Ctx.for_test(SandboxStore(), {"limit": "2"})
>>> list_objects(ctx, "customer", Filter(), "/v1/customers")["data"]
[]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from stageline_sandbox.accounts import AccountScope
from stageline_sandbox.config import DEFAULT_PROFILE
from stageline_sandbox.errors import (
    parameter_invalid,
    parameter_unknown,
    resource_missing,
)
from stageline_sandbox.events import Origin
from stageline_sandbox.lifecycle import Lifecycle
from stageline_sandbox.params import Params, parse_integer
from stageline_sandbox.render import Renderer
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import CursorNotFound, Filter, SandboxStore


class Services(Protocol):
    """What handlers use of the sandbox's engine: saving with events, and the lifecycle."""

    @property
    def store(self) -> SandboxStore: ...

    @property
    def lifecycle(self) -> Lifecycle: ...

    def now_for(self, clock_id: str | None) -> int: ...

    def save(
        self,
        obj_type: str,
        stored: Obj,
        event_type: str | None,
        *,
        old: Obj | None = None,
        origin: Origin | None = None,
    ) -> Obj | None: ...

    def emit_current(self, obj_type: str, stored: Obj, event_type: str, origin: Origin) -> Obj: ...


NAMES = {
    "customer": "customer",
    "product": "product",
    "price": "price",
    "coupon": "coupon",
    "promotion_code": "promotion_code",
    "discount": "discount",
    "subscription": "subscription",
    "subscription_item": "subscription_item",
    "invoice": "invoice",
    "event": "event",
    "webhook_endpoint": "webhook_endpoint",
    "test_clock": "test_clock",
    "payment_method": "PaymentMethod",
    "invoiceitem": "invoiceitem",
}


@dataclass
class Ctx:
    """One request: its parameters, its store and the time it happens at."""

    store: SandboxStore
    params: Params
    now: int
    path: dict[str, str] = field(default_factory=dict)
    livemode: bool = False
    request_id: str = "req_test"
    idempotency_key: str | None = None
    api_version: str | None = None
    services: Any = None
    """The sandbox's engine (events, billing, clocks), set by the app."""
    api_key: str = ""
    """The key the request was made with."""
    account: AccountScope = field(default_factory=lambda: AccountScope(DEFAULT_PROFILE))
    """The account the request acts on, and the accounts connected to it."""
    renderer: Renderer = field(init=False)

    def __post_init__(self) -> None:
        self.renderer = Renderer(self.store)

    @classmethod
    def for_test(cls, store: SandboxStore, values: dict[str, Any], now: int = 0) -> Ctx:
        return cls(store=store, params=Params(values), now=now)

    @property
    def engine(self) -> Services:
        """The sandbox's engine (events, invoicing, lifecycle); set for every served request."""
        if self.services is None:
            raise RuntimeError("this context has no engine")
        engine: Services = self.services
        return engine

    @property
    def origin(self) -> Origin:
        """Where events caused by this request say they came from."""
        return Origin(self.request_id, self.idempotency_key, self.livemode)

    def time_for(self, clock_id: str | None) -> int:
        """The request's time as seen by objects on ``clock_id`` (a test clock), or now."""
        if clock_id and self.services is not None:
            return self.engine.now_for(clock_id)
        return self.now

    def expand_paths(self) -> list[str]:
        return self.params.strings("expand")

    def object_or_404(self, obj_type: str, obj_id: str) -> Obj:
        stored = self.store.get(obj_type, obj_id)
        if stored is None or (stored.get("deleted") and obj_type != "customer"):
            raise resource_missing(NAMES.get(obj_type, obj_type), obj_id)
        return stored

    def respond(self, obj_type: str, stored: Obj) -> Obj:
        """The full object, expanded as the request asks."""
        self.renderer.forget(obj_type, str(stored["id"]))
        rendered = self.renderer.render(obj_type, stored)
        self.renderer.expand(rendered, self.expand_paths())
        return rendered

    def retrieve(self, obj_type: str) -> Obj:
        """The answer to ``GET /v1/<resources>/{id}``."""
        return self.respond(obj_type, self.object_or_404(obj_type, self.path["id"]))


Handler = Callable[[Ctx], Obj]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler


def timestamp_filter(params: Params, name: str) -> dict[str, int]:
    """Stripe's range filter: ``created=123`` or ``created[gte]=1&created[lt]=2``."""
    value = params.raw(name)
    if value is None:
        return {}
    if isinstance(value, str):
        moment = parse_integer(value)
        if moment is None:
            raise parameter_invalid(name, f"Invalid integer: {value}")
        return {"gte": moment, "lte": moment}
    if not isinstance(value, dict):
        raise parameter_invalid(name, f"Invalid {name}: must be an integer or a hash")
    result: dict[str, int] = {}
    for op, bound in value.items():
        if op not in ("gt", "gte", "lt", "lte"):
            raise parameter_unknown(f"{name}[{op}]")
        moment = parse_integer(bound) if isinstance(bound, str) else None
        if moment is None:
            raise parameter_invalid(f"{name}[{op}]", f"Invalid integer: {bound}")
        result[op] = moment
    return result


def list_objects(ctx: Ctx, obj_type: str, where: Filter, url: str) -> Obj:
    """A list page answered as Stripe answers it: ``object=list``, newest first, cursors."""
    params = ctx.params
    limit = params.integer("limit", low=1, high=100) or 10
    starting_after = params.string("starting_after") or None
    ending_before = params.string("ending_before") or None
    if "created" in params.values or params.has("created"):
        where.created.update(timestamp_filter(params, "created"))
    try:
        page = ctx.store.page(
            obj_type,
            where,
            limit=limit,
            starting_after=starting_after,
            ending_before=ending_before,
        )
    except CursorNotFound as missing:
        param = "starting_after" if starting_after else "ending_before"
        error = resource_missing(NAMES.get(obj_type, obj_type), str(missing), param=param)
        error.status = 400
        raise error from None
    result: Obj = {
        "object": "list",
        "data": [ctx.renderer.render(obj_type, item) for item in page.items],
        "has_more": page.has_more,
        "url": url,
    }
    ctx.renderer.expand(result, ctx.expand_paths())
    return result
