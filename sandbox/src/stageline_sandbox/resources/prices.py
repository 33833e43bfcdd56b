"""``/v1/prices`` (per-unit, tiered volume/graduated, transform_quantity, metered) and
``/v1/billing/meters`` for metered prices.

``tiers`` is left out of a price unless asked for with ``expand[]=tiers``, as Stripe does.

>>> [route.path for route in ROUTES][:2]
['/v1/prices', '/v1/prices']
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from stageline_sandbox.context import Ctx, Route, list_objects
from stageline_sandbox.errors import invalid_request, parameter_invalid, parameter_missing
from stageline_sandbox.ids import new_id
from stageline_sandbox.mutations import integer_value, merge_metadata, set_strings
from stageline_sandbox.params import Params
from stageline_sandbox.resources.products import active_filter
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import Filter

INTERVALS = ("day", "week", "month", "year")
MAX_INTERVAL_YEARS = 3


def list_prices(ctx: Ctx) -> Obj:
    where = Filter(status_not_in=("deleted",))
    active_filter(ctx, where)
    product = ctx.params.string("product")
    if product is not None:
        where.equals["parent"] = product
    for name in ("currency", "type"):
        value = ctx.params.string(name)
        if value is not None:
            where.sql.append((f"json_extract(data, '$.{name}') = ?", (value,)))
    lookup_keys = ctx.params.strings("lookup_keys")
    if lookup_keys:
        marks = ",".join("?" * len(lookup_keys))
        where.sql.append((f"json_extract(data, '$.lookup_key') IN ({marks})", tuple(lookup_keys)))
    recurring = ctx.params.mapping("recurring") or {}
    for key in ("interval", "usage_type", "meter"):
        if key in recurring:
            where.sql.append(
                (f"json_extract(data, '$.recurring.{key}') = ?", (str(recurring[key]),))
            )
    return list_objects(ctx, "price", where, "/v1/prices")


def _recurring(ctx: Ctx, raw: dict[str, Any]) -> Obj:
    nested = Params(raw, prefix="recurring")
    interval = nested.choice("interval", INTERVALS)
    if interval is None:
        raise parameter_missing("recurring[interval]")
    count = nested.integer("interval_count", low=1) or 1
    days = {"day": 1, "week": 7, "month": 31, "year": 366}[interval] * count
    if days > MAX_INTERVAL_YEARS * 366:
        raise parameter_invalid(
            "recurring[interval_count]", "The maximum billing interval is three years."
        )
    usage = nested.choice("usage_type", ("licensed", "metered")) or "licensed"
    meter = nested.string("meter")
    if usage == "metered" and not meter:
        raise parameter_missing("recurring[meter]")
    if meter and ctx.store.get("billing.meter", meter) is None:
        raise parameter_invalid("recurring[meter]", f"No such meter: '{meter}'")
    trial_days = nested.integer("trial_period_days", low=0)
    return {
        "interval": interval,
        "interval_count": count,
        "meter": meter,
        "trial_period_days": trial_days,
        "usage_type": usage,
    }


def _tiers(raw: list[dict[str, Any]]) -> list[Obj]:
    tiers: list[Obj] = []
    for n, tier in enumerate(raw):
        up_to_raw = tier.get("up_to")
        if up_to_raw is None:
            raise parameter_missing(f"tiers[{n}][up_to]")
        up_to = (
            None if up_to_raw == "inf" else integer_value(up_to_raw, f"tiers[{n}][up_to]", low=1)
        )
        given = Params(tier, prefix=f"tiers[{n}]")
        unit = given.integer("unit_amount", low=0)
        flat = given.integer("flat_amount", low=0)
        tiers.append(
            {
                "up_to": up_to,
                "unit_amount": unit,
                "unit_amount_decimal": given.decimal("unit_amount_decimal")
                or (None if unit is None else str(unit)),
                "flat_amount": flat,
                "flat_amount_decimal": given.decimal("flat_amount_decimal")
                or (None if flat is None else str(flat)),
            }
        )
    if not tiers or tiers[-1]["up_to"] is not None:
        raise parameter_invalid("tiers", "The last tier must have up_to=inf.")
    bounds = [t["up_to"] for t in tiers[:-1]]
    if bounds != sorted(set(bounds)):
        raise parameter_invalid("tiers", "Tiers must be in increasing order of up_to.")
    return tiers


def create_price(ctx: Ctx) -> Obj:
    params = ctx.params
    currency = params.required_string("currency").lower()
    product_id = params.string("product")
    product_data = params.mapping("product_data")
    if product_id is None and product_data is None:
        raise parameter_missing("product")
    if product_id is not None:
        ctx.object_or_404("product", product_id)
    else:
        assert product_data is not None
        if not product_data.get("name"):
            raise parameter_missing("product_data[name]")
        product_id = new_id("prod")
        product: Obj = {
            "id": product_id,
            "object": "product",
            "created": ctx.now,
            "updated": ctx.now,
            "name": product_data["name"],
            "metadata": merge_metadata({}, product_data.get("metadata") or {}),
            "unit_label": product_data.get("unit_label"),
            "livemode": ctx.livemode,
        }
        ctx.engine.save("product", product, "product.created", origin=ctx.origin)
    scheme = params.choice("billing_scheme", ("per_unit", "tiered")) or "per_unit"
    price: Obj = {
        "id": new_id("price"),
        "object": "price",
        "created": ctx.now,
        "livemode": ctx.livemode,
        "currency": currency,
        "product": product_id,
        "billing_scheme": scheme,
        "type": "one_time",
        "metadata": merge_metadata({}, params.raw("metadata") or {}),
        "tax_behavior": params.choice("tax_behavior", ("inclusive", "exclusive", "unspecified"))
        or "unspecified",
    }
    recurring = params.mapping("recurring")
    if recurring is not None:
        price["type"] = "recurring"
        price["recurring"] = _recurring(ctx, recurring)
    if scheme == "tiered":
        tiers_mode = params.choice("tiers_mode", ("graduated", "volume"))
        if tiers_mode is None:
            raise parameter_missing("tiers_mode")
        price.update(tiers_mode=tiers_mode, tiers=_tiers(params.objects("tiers")))
        if params.has("transform_quantity"):
            raise invalid_request(
                "transform_quantity cannot be combined with tiers.", param="transform_quantity"
            )
    else:
        unit = params.integer("unit_amount", low=0)
        decimal = params.decimal("unit_amount_decimal")
        if unit is None and decimal is None and not params.has("custom_unit_amount"):
            raise parameter_missing("unit_amount")
        price["unit_amount"] = (
            unit if unit is not None else (int(Decimal(decimal)) if decimal is not None else None)
        )
        price["unit_amount_decimal"] = decimal or (str(unit) if unit is not None else None)
        price["custom_unit_amount"] = params.mapping("custom_unit_amount")
    transform = params.mapping("transform_quantity")
    if transform is not None:
        divide_by = integer_value(
            transform.get("divide_by"), "transform_quantity[divide_by]", low=1
        )
        rounding = transform.get("round")
        if rounding not in ("up", "down"):
            raise parameter_invalid("transform_quantity[round]", "Must be one of up, down.")
        price["transform_quantity"] = {"divide_by": divide_by, "round": rounding}
    _apply(ctx, price)
    ctx.engine.save("price", price, "price.created", origin=ctx.origin)
    return ctx.respond("price", price)


def _apply(ctx: Ctx, price: Obj) -> None:
    set_strings(ctx.params, price, ("nickname", "lookup_key"))
    active = ctx.params.boolean("active")
    if active is not None:
        price["active"] = active
    if ctx.params.has("metadata") and "id" in ctx.path:
        price["metadata"] = merge_metadata(price.get("metadata"), ctx.params.raw("metadata"))


def update_price(ctx: Ctx) -> Obj:
    price = ctx.object_or_404("price", ctx.path["id"])
    old = copy.deepcopy(price)
    _apply(ctx, price)
    tax_behavior = ctx.params.choice("tax_behavior", ("inclusive", "exclusive", "unspecified"))
    if tax_behavior:
        price["tax_behavior"] = tax_behavior
    ctx.engine.save("price", price, "price.updated", old=old, origin=ctx.origin)
    return ctx.respond("price", price)


def create_meter(ctx: Ctx) -> Obj:
    params = ctx.params
    event_name = params.required_string("event_name")
    meter: Obj = {
        "id": new_id("mtr"),
        "object": "billing.meter",
        "created": ctx.now,
        "updated": ctx.now,
        "display_name": params.required_string("display_name"),
        "event_name": event_name,
        "event_time_window": params.choice("event_time_window", ("day", "hour")),
        "livemode": ctx.livemode,
        "status": "active",
        "status_transitions": {"deactivated_at": None},
        "customer_mapping": params.mapping("customer_mapping")
        or {"event_payload_key": "stripe_customer_id", "type": "by_id"},
        "default_aggregation": params.mapping("default_aggregation") or {"formula": "sum"},
        "value_settings": params.mapping("value_settings") or {"event_payload_key": "value"},
    }
    ctx.engine.save("billing.meter", meter, "billing.meter.created", origin=ctx.origin)
    return ctx.respond("billing.meter", meter)


ROUTES = [
    Route("GET", "/v1/prices", list_prices),
    Route("POST", "/v1/prices", create_price),
    Route("GET", "/v1/prices/{id}", lambda ctx: ctx.retrieve("price")),
    Route("POST", "/v1/prices/{id}", update_price),
    Route(
        "GET",
        "/v1/billing/meters",
        lambda ctx: list_objects(ctx, "billing.meter", Filter(), "/v1/billing/meters"),
    ),
    Route("POST", "/v1/billing/meters", create_meter),
    Route("GET", "/v1/billing/meters/{id}", lambda ctx: ctx.retrieve("billing.meter")),
]
