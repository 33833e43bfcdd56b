"""``/v1/customers``: list, retrieve (deleted customers answer their stub).

>>> [route.method + " " + route.path for route in ROUTES][:2]
['GET /v1/customers', 'GET /v1/customers/{id}']
"""

from __future__ import annotations

from stageline.sandbox.context import Ctx, Route, list_objects
from stageline.sandbox.shapes import Obj
from stageline.sandbox.store import Filter


def list_customers(ctx: Ctx) -> Obj:
    where = Filter(status_not_in=("deleted",))
    email = ctx.params.string("email")
    if email is not None:
        where.equals["email"] = email
    clock = ctx.params.string("test_clock")
    if clock is not None:
        where.equals["test_clock"] = clock
    return list_objects(ctx, "customer", where, "/v1/customers")


def retrieve_customer(ctx: Ctx) -> Obj:
    return ctx.retrieve("customer")


ROUTES = [
    Route("GET", "/v1/customers", list_customers),
    Route("GET", "/v1/customers/{id}", retrieve_customer),
]
