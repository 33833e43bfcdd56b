"""Stripe's endpoints, one module per resource family.

Every route's parameters are checked against :data:`~stageline_sandbox.honoured.HONOURED`
before its handler runs.

>>> any(route.path == "/v1/customers" for route in all_routes())
True
"""

from __future__ import annotations

from stageline_sandbox.context import Ctx, Route
from stageline_sandbox.errors import parameter_unknown
from stageline_sandbox.parameter_check import first_unknown
from stageline_sandbox.shapes import Obj


def checked(route: Route) -> Route:
    """``route`` refusing, with ``parameter_unknown``, any parameter it does not honour."""
    handler = route.handler

    def refuse_unknown_then_handle(ctx: Ctx) -> Obj:
        unknown = first_unknown(route.method, route.path, ctx.params.values, ctx.api_version)
        if unknown is not None:
            raise parameter_unknown(unknown)
        return handler(ctx)

    return Route(route.method, route.path, refuse_unknown_then_handle)


def all_routes() -> list[Route]:
    """Every route, in matching order (literal paths before ``{id}`` ones)."""
    from stageline_sandbox.resources import (
        accounts,
        coupons,
        customers,
        events,
        invoice_items,
        invoices,
        prices,
        products,
        promotion_codes,
        search,
        subscription_writes,
        subscriptions,
        test_clocks,
        webhook_endpoints,
    )

    routes = [
        *search.ROUTES,
        *customers.ROUTES,
        *products.ROUTES,
        *prices.ROUTES,
        *coupons.ROUTES,
        *promotion_codes.ROUTES,
        *subscriptions.ROUTES,
        *subscription_writes.ROUTES,
        *invoices.ROUTES,
        *invoice_items.ROUTES,
        *events.ROUTES,
        *webhook_endpoints.ROUTES,
        *test_clocks.ROUTES,
        *accounts.ROUTES,
    ]
    return [checked(route) for route in routes]
