"""``/v1/invoiceitems``: one-off charges waiting for the customer's next invoice.

A pending item (``invoice: null``) is added to the next invoice the subscription lifecycle
makes for its customer (or for its ``subscription``, when it names one).

>>> [route.method for route in ROUTES]
['GET', 'POST', 'GET', 'POST', 'DELETE']
"""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal

from stageline_sandbox.context import Ctx, Route, list_objects
from stageline_sandbox.errors import (
    invalid_request,
    parameter_missing,
    resource_missing,
)
from stageline_sandbox.ids import new_id
from stageline_sandbox.mutations import integer_value, merge_metadata
from stageline_sandbox.params import Params
from stageline_sandbox.shapes import Obj, deleted_stub
from stageline_sandbox.store import Filter


def list_items(ctx: Ctx) -> Obj:
    where = Filter()
    customer = ctx.params.string("customer")
    if customer is not None:
        where.equals["customer"] = customer
    invoice = ctx.params.string("invoice")
    if invoice is not None:
        where.equals["parent"] = invoice
    pending = ctx.params.boolean("pending")
    if pending:
        where.equals["parent"] = None
    return list_objects(ctx, "invoiceitem", where, "/v1/invoiceitems")


def _whole(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _decimal_text(unit: Decimal) -> str:
    """A unit amount as Stripe writes it: at most 12 decimal places, no trailing zeros."""
    return format(unit.quantize(Decimal("1e-12")).normalize(), "f")


def _unit_amount(params: Params) -> Decimal | None:
    """``unit_amount_decimal`` (or ``unit_amount``, before API version 2025-03-31.basil)."""
    if params.has("unit_amount"):
        integer = params.integer("unit_amount", low=0)
        return Decimal(integer) if integer is not None else None
    text = params.decimal("unit_amount_decimal")
    return None if text is None else Decimal(text)


def create_item(ctx: Ctx) -> Obj:
    params = ctx.params
    customer_id = params.required_string("customer")
    customer = ctx.store.get("customer", customer_id)
    if customer is None or customer.get("deleted"):
        raise resource_missing("customer", customer_id, param="customer")
    now = ctx.time_for(customer.get("test_clock"))
    quantity = params.integer("quantity", low=1) or 1
    pricing = Params(params.mapping("pricing") or {}, prefix="pricing")
    # ``price`` and ``unit_amount``: API versions before 2025-03-31.basil.
    price_id = pricing.string("price") or params.string("price")
    product = None
    if price_id:
        price = ctx.store.get("price", price_id)
        if price is None:
            param = "pricing[price]" if pricing.has("price") else "price"
            raise resource_missing("price", price_id, param=param)
        unit = Decimal(str(price.get("unit_amount_decimal") or price.get("unit_amount") or 0))
        currency, product = str(price["currency"]), price["product"]
        amount = _whole(unit * quantity)
    else:
        unit_given = _unit_amount(params)
        given = params.integer("amount")
        if given is None and unit_given is None:
            raise parameter_missing("amount")
        currency = params.required_string("currency").lower()
        unit = unit_given if unit_given is not None else Decimal(given or 0) / quantity
        amount = given if given is not None else _whole(unit * quantity)
    subscription = params.string("subscription")
    if subscription and ctx.store.get("subscription", subscription) is None:
        raise resource_missing("subscription", subscription, param="subscription")
    period = params.mapping("period") or {}
    item: Obj = {
        "id": new_id("ii"),
        "object": "invoiceitem",
        "amount": amount,
        "currency": currency,
        "customer": customer_id,
        "customer_account": None,
        "date": now,
        "created": now,
        "description": params.string("description"),
        "discountable": params.boolean("discountable") is not False,
        "discounts": [],
        "invoice": None,
        "livemode": ctx.livemode,
        "metadata": merge_metadata({}, params.raw("metadata") or {}),
        "net_amount": amount,
        "period": {
            "start": integer_value(period.get("start") or now, "period[start]", low=0),
            "end": integer_value(period.get("end") or now, "period[end]", low=0),
        },
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription},
        }
        if subscription
        else None,
        "pricing": {
            "type": "price_details",
            "price_details": {"price": price_id, "product": product} if price_id else None,
            "unit_amount_decimal": _decimal_text(unit),
        },
        "proration": False,
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "tax_rates": [],
        "test_clock": customer.get("test_clock"),
    }
    ctx.engine.save("invoiceitem", item, "invoiceitem.created", origin=ctx.origin)
    return ctx.respond("invoiceitem", item)


def update_item(ctx: Ctx) -> Obj:
    item = ctx.object_or_404("invoiceitem", ctx.path["id"])
    old = copy.deepcopy(item)
    if ctx.params.has("description"):
        item["description"] = ctx.params.nullable_string("description")
    if ctx.params.has("metadata"):
        item["metadata"] = merge_metadata(item.get("metadata"), ctx.params.raw("metadata"))
    ctx.engine.save("invoiceitem", item, "invoiceitem.updated", old=old, origin=ctx.origin)
    return ctx.respond("invoiceitem", item)


def delete_item(ctx: Ctx) -> Obj:
    item = ctx.object_or_404("invoiceitem", ctx.path["id"])
    if item.get("invoice"):
        raise invalid_request("An invoice item already on an invoice cannot be deleted.")
    ctx.engine.emit_current("invoiceitem", item, "invoiceitem.deleted", ctx.origin)
    ctx.store.delete("invoiceitem", item["id"])
    return deleted_stub("invoiceitem", item["id"])


ROUTES = [
    Route("GET", "/v1/invoiceitems", list_items),
    Route("POST", "/v1/invoiceitems", create_item),
    Route("GET", "/v1/invoiceitems/{id}", lambda ctx: ctx.retrieve("invoiceitem")),
    Route("POST", "/v1/invoiceitems/{id}", update_item),
    Route("DELETE", "/v1/invoiceitems/{id}", delete_item),
]
