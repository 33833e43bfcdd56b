"""Stripe's endpoints, one module per resource family.

>>> any(route.path == "/v1/customers" for route in all_routes())
True
"""

from __future__ import annotations

from stageline.sandbox.context import Route


def all_routes() -> list[Route]:
    """Every route, in matching order (literal paths before ``{id}`` ones)."""
    from stageline.sandbox.resources import catalog, customers, invoices, subscriptions

    return [
        *customers.ROUTES,
        *catalog.ROUTES,
        *subscriptions.ROUTES,
        *invoices.ROUTES,
    ]
