"""A scripted subscription lifecycle, driven through the SDK against the sandbox.

Customers (each pointing at an account ``acct-<n>``) subscribe to monthly, yearly and
per-seat prices, some with trials, coupons or a second add-on subscription; then quantities
change, some cancel now or at period end, coupons come and go, customers are renamed or
deleted, and a test clock runs renewals, trial ends and scheduled cancellations. Time is a
:class:`Clock` shared by the sandbox and the test clock, moving in coarse steps so that
many events share a second.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import stripe

DAY = 86_400


class Clock(Protocol):
    """Anything with a settable ``now`` in seconds since the epoch."""

    now: int


@dataclass
class FakeClock:
    """The time of day for the sandbox (and for Stageline's ``now`` in the test)."""

    now: int

    def __call__(self) -> int:
        return self.now


@dataclass
class Lifecycle:
    client: stripe.StripeClient
    clock: Clock
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    prices: dict[str, Any] = field(default_factory=dict)
    coupon: Any = None
    test_clock: Any = None
    subs: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: list[str] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)
    tick: int = 60
    """Seconds the clock moves between bursts (everything within a burst shares a second)."""

    def catalog(self) -> None:
        v1 = self.client.v1
        team = v1.products.create({"name": "Team"})
        addon = v1.products.create({"name": "Extra Storage"})
        month = {"interval": "month"}
        self.prices = {
            "monthly": v1.prices.create(
                {"product": team.id, "currency": "usd", "unit_amount": 4_900, "recurring": month}
            ),
            "yearly": v1.prices.create(
                {
                    "product": team.id,
                    "currency": "usd",
                    "unit_amount": 49_000,
                    "recurring": {"interval": "year"},
                }
            ),
            "seat": v1.prices.create(
                {"product": team.id, "currency": "usd", "unit_amount": 1_500, "recurring": month}
            ),
            "addon": v1.prices.create(
                {"product": addon.id, "currency": "usd", "unit_amount": 900, "recurring": month}
            ),
        }
        self.coupon = v1.coupons.create({"percent_off": 20, "duration": "forever"})
        self.test_clock = v1.test_helpers.test_clocks.create({"frozen_time": self.clock.now})

    def subscribe(self, first: int, count: int, *, tick_every: int = 7) -> None:
        """Customers ``first`` … ``first + count - 1``, each with one or two subscriptions."""
        v1 = self.client.v1
        for n in range(first, first + count):
            if n % tick_every == 0:
                self.clock.now += self.tick
            params: dict[str, Any] = {
                "email": f"billing{n}@example.test",
                "metadata": {"account_id": f"acct-{n}"},
                "test_clock": self.test_clock.id,
            }
            if n % 11 != 5:  # a few customers never add a card
                params["payment_method"] = "pm_card_visa"
                params["invoice_settings"] = {"default_payment_method": "pm_card_visa"}
            customer = v1.customers.create(params)
            self.customers.append(customer.id)
            kind = ("monthly", "seat", "yearly", "monthly")[n % 4]
            sub: dict[str, Any] = {
                "customer": customer.id,
                "items": [
                    {
                        "price": self.prices[kind].id,
                        "quantity": 1 + (n % 3 if kind == "seat" else 0),
                    }
                ],
            }
            if n % 4 == 0:
                sub["trial_period_days"] = 14
            if n % 7 == 3:
                sub["discounts"] = [{"coupon": self.coupon.id}]
            self._create(sub)
            if n % 6 == 1:
                self._create(
                    {"customer": customer.id, "items": [{"price": self.prices["addon"].id}]}
                )

    def _create(self, params: dict[str, Any]) -> None:
        created = self.client.v1.subscriptions.create(params)
        self.subs[created.id] = {
            "customer": params["customer"],
            "status": created.status,
            "item": created["items"].data[0].id,
            "ending": False,
        }

    def _alive(self) -> list[str]:
        return [
            s
            for s, v in self.subs.items()
            if v["status"] not in ("canceled", "incomplete_expired")
            and not v["ending"]
            and v["customer"] not in self.deleted
        ]

    def churn(self, rounds: int, *, on_tick: Callable[[], None] | None = None) -> None:
        """Random changes to live subscriptions and customers, a second apart in bursts."""
        for step in range(rounds):
            if step % 5 == 0:
                self.clock.now += self.tick
                if on_tick:
                    on_tick()
            alive = self._alive()
            if not alive:
                return
            sub_id = self.rng.choice(alive)
            action = self.rng.choice(
                [
                    "quantity",
                    "quantity",
                    "cancel",
                    "cancel_at_end",
                    "coupon",
                    "uncoupon",
                    "customer",
                    "metadata",
                ]
            )
            try:
                self._change(sub_id, action, step)
            except stripe.InvalidRequestError:  # it ended meanwhile (trial, dunning)
                self.subs[sub_id]["status"] = "canceled"

    def _change(self, sub_id: str, action: str, step: int) -> None:
        v1 = self.client.v1
        state = self.subs[sub_id]
        if action == "quantity":
            quantity = self.rng.randint(1, 9)
            v1.subscriptions.update(
                sub_id, {"items": [{"id": state["item"], "quantity": quantity}]}
            )
        elif action == "cancel":
            state["status"] = v1.subscriptions.cancel(sub_id).status
        elif action == "cancel_at_end":
            v1.subscriptions.update(sub_id, {"cancel_at_period_end": True})
            state["ending"] = True
        elif action == "coupon":
            v1.subscriptions.update(sub_id, {"discounts": [{"coupon": self.coupon.id}]})
        elif action == "uncoupon":
            v1.subscriptions.update(sub_id, {"discounts": ""})
        elif action == "customer":
            v1.customers.update(state["customer"], {"name": f"Renamed {step}"})
        else:
            v1.subscriptions.update(sub_id, {"metadata": {"step": str(step)}})

    def delete_customers(self, count: int) -> None:
        for customer_id in self.rng.sample(
            [c for c in self.customers if c not in self.deleted], count
        ):
            self.client.v1.customers.delete(customer_id)
            self.deleted.add(customer_id)

    def advance(self, days: int) -> None:
        """Move time (the sandbox's and the test clock's) ``days`` ahead."""
        self.clock.now += days * DAY
        self.client.v1.test_helpers.test_clocks.advance(
            self.test_clock.id, {"frozen_time": self.clock.now}
        )
