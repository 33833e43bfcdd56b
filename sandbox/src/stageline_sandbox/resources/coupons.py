"""``/v1/coupons``: percent or amount off; once, repeating or forever.

>>> [route.method for route in ROUTES]
['GET', 'POST', 'GET', 'POST', 'DELETE']
"""

from __future__ import annotations

import copy

from stageline_sandbox.context import Ctx, Route, list_objects
from stageline_sandbox.errors import invalid_request, parameter_invalid, parameter_missing
from stageline_sandbox.ids import IdFactory
from stageline_sandbox.mutations import merge_metadata
from stageline_sandbox.params import Params
from stageline_sandbox.shapes import Obj, deleted_stub
from stageline_sandbox.store import Filter

_IDS = IdFactory()


def list_coupons(ctx: Ctx) -> Obj:
    return list_objects(ctx, "coupon", Filter(status_not_in=("deleted",)), "/v1/coupons")


def _currency_options(params: Params) -> Obj | None:
    """``currency_options[eur][amount_off]=900``: the amount off in other currencies."""
    given = params.mapping("currency_options")
    if given is None:
        return None
    options: Obj = {}
    for currency, raw in given.items():
        name = f"currency_options[{currency}]"
        if not isinstance(raw, dict):
            raise parameter_invalid(name, "Invalid hash")
        amount_off = Params(raw, prefix=name).integer("amount_off", low=1)
        if amount_off is None:
            raise parameter_missing(f"currency_options[{currency}][amount_off]")
        options[currency.lower()] = {"amount_off": amount_off}
    return options


def create_coupon(ctx: Ctx) -> Obj:
    params = ctx.params
    coupon_id = params.string("id") or _IDS.new("c").removeprefix("c_")[:8].upper()
    if ctx.store.get("coupon", coupon_id) is not None:
        raise invalid_request(
            f"Coupon already exists: {coupon_id}", param="id", code="resource_already_exists"
        )
    percent = params.number("percent_off", low=0.01, high=100)
    amount = params.integer("amount_off", low=1)
    currency = params.string("currency")
    if (percent is None) == (amount is None):
        raise invalid_request(
            "You must pass exactly one of percent_off or amount_off.", param="percent_off"
        )
    if amount is not None and not currency:
        raise parameter_missing("currency")
    duration = params.choice("duration", ("once", "repeating", "forever")) or "once"
    months = params.integer("duration_in_months", low=1)
    if duration == "repeating" and months is None:
        raise parameter_missing("duration_in_months")
    if duration != "repeating" and months is not None:
        raise parameter_invalid(
            "duration_in_months", "duration_in_months is only valid with duration=repeating."
        )
    applies_to = params.mapping("applies_to")
    products = Params(applies_to or {}, prefix="applies_to").strings("products")
    coupon: Obj = {
        "id": coupon_id,
        "object": "coupon",
        "created": ctx.now,
        "livemode": ctx.livemode,
        "percent_off": percent,
        "amount_off": amount,
        "currency": currency.lower() if currency else None,
        "duration": duration,
        "duration_in_months": months,
        "name": params.string("name"),
        "max_redemptions": params.integer("max_redemptions", low=1),
        "redeem_by": params.integer("redeem_by", low=0),
        "metadata": merge_metadata({}, params.raw("metadata") or {}),
        "applies_to": {"products": products} if applies_to is not None else None,
        "currency_options": _currency_options(params),
    }
    ctx.engine.save("coupon", coupon, "coupon.created", origin=ctx.origin)
    return ctx.respond("coupon", coupon)


def update_coupon(ctx: Ctx) -> Obj:
    coupon = ctx.object_or_404("coupon", ctx.path["id"])
    old = copy.deepcopy(coupon)
    if ctx.params.has("name"):
        coupon["name"] = ctx.params.nullable_string("name")
    if ctx.params.has("metadata"):
        coupon["metadata"] = merge_metadata(coupon.get("metadata"), ctx.params.raw("metadata"))
    ctx.engine.save("coupon", coupon, "coupon.updated", old=old, origin=ctx.origin)
    return ctx.respond("coupon", coupon)


def delete_coupon(ctx: Ctx) -> Obj:
    coupon = ctx.object_or_404("coupon", ctx.path["id"])
    ctx.engine.emit_current("coupon", coupon, "coupon.deleted", ctx.origin)
    coupon["valid"] = False
    coupon["deleted"] = True
    ctx.store.put("coupon", coupon)
    return deleted_stub("coupon", coupon["id"])


ROUTES = [
    Route("GET", "/v1/coupons", list_coupons),
    Route("POST", "/v1/coupons", create_coupon),
    Route("GET", "/v1/coupons/{id}", lambda ctx: ctx.retrieve("coupon")),
    Route("POST", "/v1/coupons/{id}", update_coupon),
    Route("DELETE", "/v1/coupons/{id}", delete_coupon),
]
