"""The catalog: ``/v1/products``, ``/v1/prices`` and ``/v1/coupons``.

>>> sorted({route.path for route in ROUTES})[0]
'/v1/coupons'
"""

from __future__ import annotations

from stageline.sandbox.context import Ctx, Route, list_objects
from stageline.sandbox.shapes import Obj
from stageline.sandbox.store import Filter


def _active_filter(ctx: Ctx, where: Filter) -> None:
    active = ctx.params.boolean("active")
    if active is not None:
        where.equals["status"] = "active" if active else "inactive"


def list_products(ctx: Ctx) -> Obj:
    where = Filter(status_not_in=("deleted",))
    _active_filter(ctx, where)
    ids = ctx.params.strings("ids")
    if ids:
        where.ids = ids
    return list_objects(ctx, "product", where, "/v1/products")


def list_prices(ctx: Ctx) -> Obj:
    where = Filter(status_not_in=("deleted",))
    _active_filter(ctx, where)
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
    for key in ("interval", "usage_type"):
        if key in recurring:
            where.sql.append(
                (f"json_extract(data, '$.recurring.{key}') = ?", (str(recurring[key]),))
            )
    return list_objects(ctx, "price", where, "/v1/prices")


def list_coupons(ctx: Ctx) -> Obj:
    return list_objects(ctx, "coupon", Filter(status_not_in=("deleted",)), "/v1/coupons")


ROUTES = [
    Route("GET", "/v1/products", list_products),
    Route("GET", "/v1/products/{id}", lambda ctx: ctx.retrieve("product")),
    Route("GET", "/v1/prices", list_prices),
    Route("GET", "/v1/prices/{id}", lambda ctx: ctx.retrieve("price")),
    Route("GET", "/v1/coupons", list_coupons),
    Route("GET", "/v1/coupons/{id}", lambda ctx: ctx.retrieve("coupon")),
]
