"""``/v1/invoices``: list (by customer, subscription, status) and retrieve.

>>> [route.path for route in ROUTES][0]
'/v1/invoices'
"""

from __future__ import annotations

from stageline_sandbox.context import Ctx, Route, list_objects
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import Filter

INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")


def list_invoices(ctx: Ctx) -> Obj:
    where = Filter(status_not_in=("deleted",))
    customer = ctx.params.string("customer")
    if customer is not None:
        where.equals["customer"] = customer
    subscription = ctx.params.string("subscription")
    if subscription is not None:
        where.equals["parent"] = subscription
    status = ctx.params.choice("status", INVOICE_STATUSES)
    if status is not None:
        where.equals["status"] = status
    collection = ctx.params.choice("collection_method", ("charge_automatically", "send_invoice"))
    if collection is not None:
        where.sql.append(
            (
                "coalesce(json_extract(data, '$.collection_method'), 'charge_automatically') = ?",
                (collection,),
            )
        )
    return list_objects(ctx, "invoice", where, "/v1/invoices")


ROUTES = [
    Route("GET", "/v1/invoices", list_invoices),
    Route("GET", "/v1/invoices/{id}", lambda ctx: ctx.retrieve("invoice")),
]
