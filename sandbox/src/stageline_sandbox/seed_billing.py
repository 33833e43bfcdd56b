"""One seeded customer's billing history: its subscriptions, discounts and latest invoices.

Everything is drawn from one seeded generator and placed relative to ``now``, so the
same seed and ``now`` give the same account. Statuses follow a realistic SaaS mix: mostly
active, some trialing, past_due, canceled (with ``ended_at``), a few unpaid, paused,
incomplete and incomplete_expired; some scheduled cancellations, forever and repeating
coupons, a few customers with two subscriptions, a few in EUR or GBP.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from stageline_sandbox.ids import IdFactory
from stageline_sandbox.lines import compact_line
from stageline_sandbox.seed_catalog import Catalog
from stageline_sandbox.shapes import Obj, invoice_prefix
from stageline_sandbox.timeline import DAY, add_interval, period_containing

HOUR = 3_600
TRIAL_DAYS = 14
_STATUSES = (
    ("active", 70.0),
    ("trialing", 7.0),
    ("past_due", 5.0),
    ("canceled", 12.0),
    ("unpaid", 2.0),
    ("paused", 1.5),
    ("incomplete", 1.5),
    ("incomplete_expired", 1.0),
)
_TOTAL = sum(weight for _, weight in _STATUSES)


@dataclass
class Rows:
    """Objects produced for a batch of customers, ready for bulk insertion."""

    customers: list[Obj] = field(default_factory=list)
    subscriptions: list[Obj] = field(default_factory=list)
    invoices: list[Obj] = field(default_factory=list)
    discounts: list[Obj] = field(default_factory=list)
    refs: list[tuple[str, str]] = field(default_factory=list)


class BillingSeeder:
    """Draws subscriptions and invoices for customers, one customer at a time."""

    def __init__(self, rng: random.Random, ids: IdFactory, catalog: Catalog, now: int) -> None:
        self.rng = rng
        self.ids = ids
        self.catalog = catalog
        self.now = now
        self.products = {p["id"]: p for p in catalog.products}
        self.redemptions: dict[str, int] = {}
        """Coupon id → how many discounts this seeder created with it."""

    def _status(self) -> str:
        draw = self.rng.random() * _TOTAL
        for status, weight in _STATUSES:
            draw -= weight
            if draw < 0:
                return status
        return "active"

    def _price(self, plan: str, currency: str) -> Obj:
        draw = self.rng.random()
        cat = self.catalog
        if plan == "business" and draw < 0.1 and cat.has(plan, "month", currency, 3):
            return cat.price(plan, "month", currency, 3)
        if plan == "starter" and draw > 0.99 and cat.has(plan, "week", currency):
            return cat.price(plan, "week", currency)
        if draw < 0.3 and cat.has(plan, "year", currency):
            return cat.price(plan, "year", currency)
        if cat.has(plan, "month", currency):
            return cat.price(plan, "month", currency)
        return cat.price(plan, "month", "usd")

    def _quantity(self, plan: str) -> int:
        if plan != "team":
            return 1
        return min(int(self.rng.paretovariate(1.1)) + 1, 250)

    def customer_billing(
        self, customer: Obj, plan: str, rows: Rows, *, deleted: bool = False
    ) -> None:
        """Add the customer's subscriptions (and their objects) to ``rows``."""
        rng = self.rng
        currency = "usd"
        draw = rng.random()
        if draw < 0.04:
            currency = "eur"
        elif draw < 0.06:
            currency = "gbp"
        if not self.catalog.has(plan, "month", currency):
            currency = "usd"
        customer["currency"] = currency
        shape = rng.random()
        if shape < 0.03 and not deleted:
            customer["currency"] = None
            return
        status = "canceled" if deleted else self._status()
        if shape < 0.05 and status in ("active", "past_due"):
            # A reactivation: an older subscription canceled, then a new one.
            first_end = customer["created"] + (self.now - customer["created"]) // 3
            self._subscription(customer, plan, currency, "canceled", rows, ends_by=first_end)
            self._subscription(customer, plan, currency, status, rows, starts_after=first_end)
            return
        sub = self._subscription(customer, plan, currency, status, rows)
        if shape > 0.97 and currency == "usd" and status in ("active", "trialing", "past_due"):
            self._subscription(
                customer, "storage", currency, "active", rows, starts_after=sub["start_date"]
            )

    def _subscription(
        self,
        customer: Obj,
        plan: str,
        currency: str,
        status: str,
        rows: Rows,
        *,
        starts_after: int | None = None,
        ends_by: int | None = None,
    ) -> Obj:
        rng, now = self.rng, self.now
        price = self._price(plan, currency)
        recurring = price["recurring"]
        interval, count = recurring["interval"], recurring["interval_count"]
        earliest = max(customer["created"], starts_after or 0)
        start = earliest + int(rng.random() * min(3 * DAY, max(now - earliest, 1)))
        if status == "trialing":
            start = now - int(rng.random() * (TRIAL_DAYS - 1) * DAY) - HOUR
        elif status == "incomplete":
            start = now - int(rng.random() * 22 * HOUR) - 60
        elif status in ("paused", "incomplete_expired", "canceled", "unpaid"):
            start = min(start, now - 20 * DAY)
        start = max(start, min(earliest, now - 20 * DAY))
        sub_id, item_id = self.ids.new("sub"), self.ids.new("si")
        sub: Obj = {
            "id": sub_id,
            "object": "subscription",
            "created": start,
            "start_date": start,
            "customer": customer["id"],
            "currency": currency,
            "status": status,
            "metadata": {},
        }
        anchor = start
        trialed = status in ("trialing", "paused") or (
            status == "active" and rng.random() < 0.2 and now - start > 30 * DAY
        )
        if trialed:
            sub["trial_start"], sub["trial_end"] = start, start + TRIAL_DAYS * DAY
            anchor = start + TRIAL_DAYS * DAY
        sub["billing_cycle_anchor"] = anchor
        period = period_containing(anchor, interval, count, now)
        if status == "trialing":
            period = (start, anchor)
        elif status in ("incomplete", "incomplete_expired"):
            period = (start, add_interval(start, interval, count))
            if status == "incomplete_expired":
                sub["ended_at"] = start + 23 * HOUR
        elif status == "paused":
            period = (start, anchor)
            sub["status_details"] = {
                "paused": {
                    "type": "subscription",
                    "transitioned_at": anchor,
                    "subscription": {"type": "trial_end_without_payment_method"},
                }
            }
        elif status == "canceled":
            period = self._cancel(sub, anchor, interval, count, ends_by or now)
        elif status in ("active", "trialing"):
            self._maybe_schedule_cancel(sub, period)
        sub["items"] = [
            {
                "id": item_id,
                "object": "subscription_item",
                "created": start,
                "price": price["id"],
                "quantity": self._quantity(plan),
                "current_period_start": period[0],
                "current_period_end": period[1],
            }
        ]
        rows.refs.append((item_id, sub_id))
        discount = self._maybe_discount(sub, period[0], rows)
        invoice = self._latest_invoice(customer, sub, price, period, discount)
        sub["latest_invoice"] = invoice["id"]
        rows.invoices.append(invoice)
        rows.subscriptions.append(sub)
        return sub

    def _cancel(
        self, sub: Obj, anchor: int, interval: str, count: int, ends_by: int
    ) -> tuple[int, int]:
        rng = self.rng
        last_moment = max(anchor + 1, min(ends_by, self.now) - 1)
        moment = anchor + int(rng.random() * (last_moment - anchor))
        start, end = period_containing(anchor, interval, count, moment)
        at_period_end = rng.random() < 0.5 and end <= self.now
        ended = end if at_period_end else moment
        sub["ended_at"] = ended
        sub["canceled_at"] = ended if not at_period_end else max(start, ended - 7 * DAY)
        if at_period_end:
            sub["cancel_at"], sub["cancel_at_period_end"] = end, True
        reason = "payment_failed" if rng.random() < 0.25 else "cancellation_requested"
        feedback = rng.choice((None, "too_expensive", "missing_features", "switched_service"))
        sub["cancellation_details"] = {"comment": None, "feedback": feedback, "reason": reason}
        return start, end

    def _maybe_schedule_cancel(self, sub: Obj, period: tuple[int, int]) -> None:
        draw = self.rng.random()
        requested = period[0] + int(self.rng.random() * max(self.now - period[0], 1))
        if draw < 0.05:
            sub.update(cancel_at=period[1], cancel_at_period_end=True, canceled_at=requested)
        elif draw < 0.06:
            cancel_at = self.now + int((5 + self.rng.random() * 55) * DAY)
            sub.update(cancel_at=cancel_at, canceled_at=requested)
        elif draw < 0.07 and sub["status"] == "active":
            sub["pause_collection"] = {"behavior": "keep_as_draft", "resumes_at": None}

    def _maybe_discount(self, sub: Obj, period_start: int, rows: Rows) -> Obj | None:
        if sub["status"] in ("canceled", "incomplete_expired") or self.rng.random() >= 0.08:
            return None
        recent = self.now - sub["start_date"] < 80 * DAY
        coupon_id = (
            "WELCOME50"
            if recent and self.rng.random() < 0.5
            else ("LAUNCH20" if self.rng.random() < 0.6 else "PARTNER15")
        )
        coupon = self.catalog.coupon(coupon_id)
        end = None
        if coupon["duration"] == "repeating":
            end = add_interval(sub["start_date"], "month", int(coupon["duration_in_months"]))
        discount: Obj = {
            "id": self.ids.new("di"),
            "object": "discount",
            "created": sub["start_date"],
            "customer": sub["customer"],
            "subscription": sub["id"],
            "start": sub["start_date"],
            "end": end,
            "source": {"coupon": coupon_id, "type": "coupon"},
        }
        self.redemptions[coupon_id] = self.redemptions.get(coupon_id, 0) + 1
        sub["discounts"] = [discount["id"]]
        rows.discounts.append(discount)
        return discount

    def _latest_invoice(
        self,
        customer: Obj,
        sub: Obj,
        price: Obj,
        period: tuple[int, int],
        discount: Obj | None,
    ) -> Obj:
        status = sub["status"]
        item = sub["items"][0]
        trial = status in ("trialing", "paused")
        unit = 0 if trial else int(price["unit_amount"])
        amount = unit * int(item["quantity"])
        off = 0
        if discount is not None and not trial:
            coupon = self.catalog.coupon(discount["source"]["coupon"])
            if discount["end"] is None or discount["end"] > period[0]:
                off = round(amount * float(coupon["percent_off"] or 0) / 100)
        total = amount - off
        invoice_id = self.ids.new("in")
        created = period[0]
        first = period[0] <= sub["start_date"] + 60
        invoice_status, paid = {
            "past_due": ("open", False),
            "unpaid": ("open", False),
            "incomplete": ("open", False),
            "incomplete_expired": ("void", False),
        }.get(status, ("paid", True))
        if status == "canceled" and sub["cancellation_details"]["reason"] == "payment_failed":
            invoice_status, paid = "uncollectible", False
        product = self.products[price["product"]]
        attempts = 0 if total == 0 else (1 if paid else 1 + int(self.rng.random() * 3))
        line = compact_line(
            self.ids.new("il"),
            invoice_id,
            amount=amount,
            currency=sub["currency"],
            description=f"{item['quantity']} × {product['name']} "
            f"({'Trial period' if trial else price['nickname']})",
            period=period,
            quantity=item["quantity"],
            subscription=sub["id"],
            item=item["id"],
            price=price["id"],
            product=product["id"],
            unit_amount_decimal=str(unit),
            discount_amounts=[{"amount": off, "discount": discount["id"]}] if discount else None,
        )
        sequence = 1 + max(0, (period[0] - sub["start_date"]) // (28 * DAY))
        transitions: dict[str, Any] = {
            "finalized_at": created + HOUR,
            "marked_uncollectible_at": created + 20 * DAY
            if invoice_status == "uncollectible"
            else None,
            "paid_at": created + HOUR if paid else None,
            "voided_at": created + 23 * HOUR if invoice_status == "void" else None,
        }
        return {
            "id": invoice_id,
            "object": "invoice",
            "created": created,
            "customer": customer["id"],
            "customer_email": customer.get("email"),
            "customer_name": customer.get("name"),
            "currency": sub["currency"],
            "status": invoice_status,
            "billing_reason": "subscription_create" if first else "subscription_cycle",
            "number": f"{invoice_prefix(customer['id'])}-{sequence:04d}",
            "subtotal": amount,
            "subtotal_excluding_tax": amount,
            "total": total,
            "total_excluding_tax": total,
            "amount_due": total,
            "amount_paid": total if paid else 0,
            "amount_remaining": 0 if paid else total,
            "attempt_count": attempts,
            "attempted": attempts > 0,
            "auto_advance": not paid and invoice_status == "open",
            "next_payment_attempt": created + 3 * DAY if status == "past_due" else None,
            "period_start": created,
            "period_end": created,
            "effective_at": created + HOUR,
            "webhooks_delivered_at": created + HOUR,
            "discounts": [discount["id"]] if discount and off else [],
            "total_discount_amounts": [{"amount": off, "discount": discount["id"]}]
            if discount and off
            else [],
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {"metadata": {}, "subscription": sub["id"]},
            },
            "status_transitions": transitions,
            "lines": [line],
        }
