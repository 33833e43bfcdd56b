"""``/v1/products``: create, retrieve, update, delete, list.

>>> [route.method for route in ROUTES]
['GET', 'POST', 'GET', 'POST', 'DELETE']
"""

from __future__ import annotations

import copy

from stageline_sandbox.context import Ctx, Route, list_objects
from stageline_sandbox.errors import invalid_request, parameter_invalid
from stageline_sandbox.ids import new_id
from stageline_sandbox.mutations import merge_metadata, set_strings
from stageline_sandbox.shapes import Obj, deleted_stub
from stageline_sandbox.store import Filter

_STRINGS = ("description", "unit_label", "url", "statement_descriptor", "tax_code")


def active_filter(ctx: Ctx, where: Filter) -> None:
    active = ctx.params.boolean("active")
    if active is not None:
        where.equals["status"] = "active" if active else "inactive"


def list_products(ctx: Ctx) -> Obj:
    where = Filter(status_not_in=("deleted",))
    active_filter(ctx, where)
    ids = ctx.params.strings("ids")
    if ids:
        where.ids = ids
    return list_objects(ctx, "product", where, "/v1/products")


def _apply(ctx: Ctx, product: Obj) -> None:
    params = ctx.params
    set_strings(params, product, _STRINGS)
    if params.has("name"):
        name = params.string("name")
        if not name:
            raise parameter_invalid("name", "A product needs a non-empty name.")
        product["name"] = name
    active = params.boolean("active")
    if active is not None:
        product["active"] = active
    shippable = params.boolean("shippable")
    if shippable is not None:
        product["shippable"] = shippable
    if params.has("metadata"):
        product["metadata"] = merge_metadata(product.get("metadata"), params.raw("metadata"))
    if params.has("images"):
        product["images"] = params.strings("images")
    if params.has("marketing_features"):
        product["marketing_features"] = params.objects("marketing_features")
    default_price = params.string("default_price")
    if default_price:
        price = ctx.store.get("price", default_price)
        if price is None or price["product"] != product["id"]:
            raise parameter_invalid(
                "default_price", f"No such price for this product: '{default_price}'"
            )
        product["default_price"] = default_price


def create_product(ctx: Ctx) -> Obj:
    product_id = ctx.params.string("id") or new_id("prod")
    if ctx.store.get("product", product_id) is not None:
        raise invalid_request(
            f"Product already exists: {product_id}", param="id", code="resource_already_exists"
        )
    ctx.params.required_string("name")
    product: Obj = {
        "id": product_id,
        "object": "product",
        "created": ctx.now,
        "updated": ctx.now,
        "livemode": ctx.livemode,
        "type": ctx.params.choice("type", ("service", "good")) or "service",
    }
    _apply(ctx, product)
    ctx.engine.save("product", product, "product.created", origin=ctx.origin)
    return ctx.respond("product", product)


def update_product(ctx: Ctx) -> Obj:
    product = ctx.object_or_404("product", ctx.path["id"])
    old = copy.deepcopy(product)
    _apply(ctx, product)
    product["updated"] = ctx.now
    ctx.engine.save("product", product, "product.updated", old=old, origin=ctx.origin)
    return ctx.respond("product", product)


def delete_product(ctx: Ctx) -> Obj:
    product = ctx.object_or_404("product", ctx.path["id"])
    if ctx.store.count("price", Filter(equals={"parent": product["id"]})):
        raise invalid_request(
            "This product cannot be deleted because it has one or more user-created prices."
        )
    ctx.engine.emit_current("product", product, "product.deleted", ctx.origin)
    ctx.store.delete("product", product["id"])
    return deleted_stub("product", product["id"])


ROUTES = [
    Route("GET", "/v1/products", list_products),
    Route("POST", "/v1/products", create_product),
    Route("GET", "/v1/products/{id}", lambda ctx: ctx.retrieve("product")),
    Route("POST", "/v1/products/{id}", update_product),
    Route("DELETE", "/v1/products/{id}", delete_product),
]
