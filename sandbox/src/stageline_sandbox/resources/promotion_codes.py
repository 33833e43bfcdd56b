"""``/v1/promotion_codes``: customer-facing codes for a coupon.

A promotion code names its coupon in ``promotion[coupon]`` (``coupon`` before API version
``2025-09-30.clover``); ``discounts[n][promotion_code]`` redeems it, as do the
``promotion_code`` parameters of older API versions.

>>> [route.method for route in ROUTES]
['GET', 'POST', 'GET', 'POST']
"""

from __future__ import annotations

import copy

from stageline_sandbox.context import Ctx, Route, list_objects
from stageline_sandbox.errors import invalid_request, parameter_missing, resource_missing
from stageline_sandbox.ids import IdFactory, new_id
from stageline_sandbox.mutations import merge_metadata
from stageline_sandbox.params import Params
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import Filter

_CODES = IdFactory()


def list_codes(ctx: Ctx) -> Obj:
    where = Filter()
    active = ctx.params.boolean("active")
    if active is not None:
        where.equals["status"] = "active" if active else "inactive"
    customer = ctx.params.string("customer")
    if customer is not None:
        where.equals["customer"] = customer
    for name, path in (("code", "$.code"), ("coupon", "$.promotion.coupon")):
        value = ctx.params.string(name)
        if value is not None:
            where.sql.append((f"json_extract(data, '{path}') = ?", (value,)))
    return list_objects(ctx, "promotion_code", where, "/v1/promotion_codes")


def create_code(ctx: Ctx) -> Obj:
    params = ctx.params
    promotion = Params(params.mapping("promotion") or {}, prefix="promotion")
    promotion.choice("type", ("coupon",))
    coupon_id = promotion.string("coupon") or params.string("coupon")
    if not coupon_id:
        raise parameter_missing("promotion[coupon]")
    coupon = ctx.store.get("coupon", coupon_id)
    if coupon is None or coupon.get("deleted"):
        raise resource_missing("coupon", coupon_id, param="promotion[coupon]")
    code = params.string("code") or _CODES.new("c").removeprefix("c_")[:8].upper()
    taken = Filter(sql=[("json_extract(data, '$.code') = ?", (code,))], equals={"status": "active"})
    if ctx.store.count("promotion_code", taken):
        raise invalid_request(
            f"An active promotion code with `code: {code}` already exists.", param="code"
        )
    customer = params.string("customer")
    if customer is not None and ctx.store.get("customer", customer) is None:
        raise resource_missing("customer", customer, param="customer")
    promotion_code: Obj = {
        "id": new_id("promo"),
        "object": "promotion_code",
        "created": ctx.now,
        "livemode": ctx.livemode,
        "active": params.boolean("active") is not False,
        "code": code,
        "customer": customer,
        "expires_at": params.integer("expires_at", low=ctx.now + 1),
        "max_redemptions": params.integer("max_redemptions", low=1),
        "metadata": merge_metadata({}, params.raw("metadata") or {}),
        "promotion": {"coupon": coupon_id, "type": "coupon"},
    }
    ctx.engine.save("promotion_code", promotion_code, "promotion_code.created", origin=ctx.origin)
    return ctx.respond("promotion_code", promotion_code)


def update_code(ctx: Ctx) -> Obj:
    code = ctx.object_or_404("promotion_code", ctx.path["id"])
    old = copy.deepcopy(code)
    active = ctx.params.boolean("active")
    if active is not None:
        code["active"] = active
    if ctx.params.has("metadata"):
        code["metadata"] = merge_metadata(code.get("metadata"), ctx.params.raw("metadata"))
    ctx.engine.save("promotion_code", code, "promotion_code.updated", old=old, origin=ctx.origin)
    return ctx.respond("promotion_code", code)


ROUTES = [
    Route("GET", "/v1/promotion_codes", list_codes),
    Route("POST", "/v1/promotion_codes", create_code),
    Route("GET", "/v1/promotion_codes/{id}", lambda ctx: ctx.retrieve("promotion_code")),
    Route("POST", "/v1/promotion_codes/{id}", update_code),
]
