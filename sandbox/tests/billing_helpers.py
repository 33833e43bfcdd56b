"""Small builders for subscription tests, all through the SDK."""

from __future__ import annotations

from typing import Any

import stripe

START = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86_400


def monthly_price(client: stripe.StripeClient, amount: int = 4_900, **extra: Any) -> Any:
    product = client.v1.products.create({"name": "Team"})
    return client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": amount,
            "recurring": {"interval": "month"},
            **extra,
        }
    )


def clocked_customer(
    client: stripe.StripeClient, payment_method: str | None = "pm_card_visa"
) -> tuple[Any, Any]:
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": START, "name": "test"})
    params: dict[str, Any] = {"email": "billing@acme.test", "test_clock": clock.id}
    if payment_method:
        params["payment_method"] = payment_method
        params["invoice_settings"] = {"default_payment_method": payment_method}
    return clock, client.v1.customers.create(params)


def advance(client: stripe.StripeClient, clock: Any, to: int) -> Any:
    advanced = client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": to})
    assert advanced.status == "ready" and advanced.frozen_time == to
    return advanced


def event_types(client: stripe.StripeClient, obj_id: str) -> list[str]:
    """Types of the events about ``obj_id``, oldest first."""
    events = client.v1.events.list({"limit": 100}).auto_paging_iter()
    return [e.type for e in reversed(list(events)) if e.data.object["id"] == obj_id]
