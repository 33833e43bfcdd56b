"""Stripe's endpoints, one module per resource family.

>>> any(route.path == "/v1/customers" for route in all_routes())
True
"""

from __future__ import annotations

from stageline_sandbox.context import Route


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
        search,
        subscription_writes,
        subscriptions,
        test_clocks,
        webhook_endpoints,
    )

    return [
        *search.ROUTES,
        *customers.ROUTES,
        *products.ROUTES,
        *prices.ROUTES,
        *coupons.ROUTES,
        *subscriptions.ROUTES,
        *subscription_writes.ROUTES,
        *invoices.ROUTES,
        *invoice_items.ROUTES,
        *events.ROUTES,
        *webhook_endpoints.ROUTES,
        *test_clocks.ROUTES,
        *accounts.ROUTES,
    ]
