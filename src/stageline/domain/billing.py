"""Billing facts as the domain sees them: a Stripe-shaped but I/O-free model.

``stageline.stripe_api.mapping`` is the one place that turns Stripe JSON into these types;
everything in ``stageline.domain`` reads only these.

>>> from datetime import UTC, datetime
>>> monthly = Price(id="price_1", currency="usd", unit_amount=Decimal(4900),
...                 interval=Interval.MONTH)
>>> item = SubscriptionItem(id="si_1", price=monthly, quantity=3)
>>> sub = Subscription(id="sub_1", customer_id="cus_1", status="active", currency="usd",
...                    items=(item,), created=datetime(2026, 1, 1, tzinfo=UTC))
>>> sub.counts_as_scheduled_to_cancel
False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

EMPTY_METADATA: Mapping[str, str] = MappingProxyType({})

SUBSCRIPTION_STATUSES = (
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "paused",
)


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class UsageType(StrEnum):
    LICENSED = "licensed"
    METERED = "metered"


class BillingScheme(StrEnum):
    PER_UNIT = "per_unit"
    TIERED = "tiered"


class TiersMode(StrEnum):
    VOLUME = "volume"
    GRADUATED = "graduated"


class CouponDuration(StrEnum):
    ONCE = "once"
    REPEATING = "repeating"
    FOREVER = "forever"


@dataclass(frozen=True)
class Tier:
    """One price tier; ``up_to=None`` means infinity. Amounts are minor units, exact."""

    up_to: int | None
    unit_amount: Decimal = Decimal(0)
    flat_amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class TransformQuantity:
    divide_by: int
    round_up: bool


@dataclass(frozen=True)
class Price:
    """A price. ``interval is None`` means a one-time price.

    ``unit_amount`` is exact minor units (Stripe's ``unit_amount_decimal`` when present).
    """

    id: str
    currency: str
    unit_amount: Decimal | None = None
    interval: Interval | None = None
    interval_count: int = 1
    usage_type: UsageType = UsageType.LICENSED
    billing_scheme: BillingScheme = BillingScheme.PER_UNIT
    tiers_mode: TiersMode | None = None
    tiers: tuple[Tier, ...] = ()
    transform_quantity: TransformQuantity | None = None
    product_id: str | None = None
    nickname: str | None = None
    tax_behavior: str | None = None

    @property
    def is_recurring(self) -> bool:
        return self.interval is not None


@dataclass(frozen=True)
class Coupon:
    id: str
    duration: CouponDuration
    percent_off: Decimal | None = None
    amount_off: int | None = None
    currency: str | None = None
    duration_in_months: int | None = None
    applies_to_products: tuple[str, ...] | None = None
    name: str | None = None


@dataclass(frozen=True)
class Discount:
    """A coupon applied to a customer, subscription or item; ``end`` is set for repeating ones."""

    coupon: Coupon
    start: datetime | None = None
    end: datetime | None = None
    id: str | None = None


@dataclass(frozen=True)
class SubscriptionItem:
    id: str
    price: Price
    quantity: int | None = 1
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    discounts: tuple[Discount, ...] = ()


@dataclass(frozen=True)
class Subscription:
    """A subscription. ``current_period_end`` is the legacy subscription-level field
    (API versions before 2025-03-31); newer shapes carry it on each item."""

    id: str
    customer_id: str
    status: str
    currency: str
    items: tuple[SubscriptionItem, ...]
    created: datetime
    discounts: tuple[Discount, ...] = ()
    trial_start: datetime | None = None
    trial_end: datetime | None = None
    cancel_at: datetime | None = None
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None
    ended_at: datetime | None = None
    collection_paused: bool = False
    current_period_end: datetime | None = None
    metadata: Mapping[str, str] = field(default_factory=lambda: EMPTY_METADATA)

    @property
    def earliest_period_end(self) -> datetime | None:
        """The earliest item-level ``current_period_end``, else the legacy subscription field.

        Mixed-interval subscriptions end a period per item; Stripe resolves
        ``cancel_at_period_end`` and its list filters to the earliest of them.
        """
        ends = [i.current_period_end for i in self.items if i.current_period_end is not None]
        return min(ends) if ends else self.current_period_end

    @property
    def counts_as_scheduled_to_cancel(self) -> bool:
        """True when a cancellation is scheduled but the subscription has not ended yet."""
        return self.status != "canceled" and (
            self.cancel_at_period_end or self.cancel_at is not None
        )


@dataclass(frozen=True)
class Customer:
    id: str
    email: str | None = None
    name: str | None = None
    metadata: Mapping[str, str] = field(default_factory=lambda: EMPTY_METADATA)
    deleted: bool = False
    discount: Discount | None = None
