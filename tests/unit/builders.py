"""Short constructors for domain records in unit tests (amounts in minor units)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from stageline.domain.billing import (
    BillingScheme,
    Coupon,
    CouponDuration,
    Discount,
    Interval,
    Price,
    Subscription,
    SubscriptionItem,
    Tier,
    TiersMode,
    TransformQuantity,
    UsageType,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)
EARLIER = NOW - timedelta(days=30)
_CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def price(
    unit_amount: int | str | None = 10000,
    *,
    interval: str | None = "month",
    count: int = 1,
    currency: str = "usd",
    id: str = "price_1",
    product: str | None = "prod_1",
    metered: bool = False,
    tiers: tuple[tuple[int | None, int, int], ...] = (),
    mode: str | None = None,
    divide_by: int | None = None,
    round_up: bool = True,
    tax_behavior: str | None = None,
) -> Price:
    """A price; ``tiers`` are ``(up_to, unit_amount, flat_amount)`` triples."""
    return Price(
        id=id,
        currency=currency,
        unit_amount=None if unit_amount is None or tiers else Decimal(unit_amount),
        interval=Interval(interval) if interval else None,
        interval_count=count,
        usage_type=UsageType.METERED if metered else UsageType.LICENSED,
        billing_scheme=BillingScheme.TIERED if tiers else BillingScheme.PER_UNIT,
        tiers_mode=TiersMode(mode) if mode else None,
        tiers=tuple(Tier(up_to, Decimal(unit), Decimal(flat)) for up_to, unit, flat in tiers),
        transform_quantity=TransformQuantity(divide_by, round_up) if divide_by else None,
        product_id=product,
        tax_behavior=tax_behavior,
    )


def item(
    p: Price | None = None,
    quantity: int | None = 1,
    *,
    id: str = "si_1",
    discounts: tuple[Discount, ...] = (),
    period_end: datetime | None = None,
) -> SubscriptionItem:
    return SubscriptionItem(
        id=id,
        price=p or price(),
        quantity=quantity,
        current_period_end=period_end,
        discounts=discounts,
    )


def sub(
    *items: SubscriptionItem,
    status: str = "active",
    id: str = "sub_1",
    customer: str = "cus_1",
    currency: str | None = None,
    discounts: tuple[Discount, ...] = (),
    cancel_at_period_end: bool = False,
    cancel_at: datetime | None = None,
    trial_end: datetime | None = None,
    period_end: datetime | None = None,
    ended_at: datetime | None = None,
    canceled_at: datetime | None = None,
    created: datetime = _CREATED,
    metadata: Mapping[str, str] | None = None,
) -> Subscription:
    items = items or (item(),)
    return Subscription(
        id=id,
        customer_id=customer,
        status=status,
        currency=currency or items[0].price.currency,
        items=items,
        created=created,
        discounts=discounts,
        cancel_at_period_end=cancel_at_period_end,
        cancel_at=cancel_at,
        trial_end=trial_end,
        current_period_end=period_end,
        ended_at=ended_at,
        canceled_at=canceled_at,
        metadata=metadata or {},
    )


def coupon_discount(
    *,
    percent: str | int | None = None,
    amount: int | None = None,
    currency: str | None = "usd",
    duration: str = "forever",
    months: int | None = None,
    end: datetime | None = None,
    start: datetime | None = None,
    products: tuple[str, ...] | None = None,
    id: str = "COUPON",
) -> Discount:
    coupon = Coupon(
        id=id,
        duration=CouponDuration(duration),
        percent_off=None if percent is None else Decimal(percent),
        amount_off=amount,
        currency=currency if amount is not None else None,
        duration_in_months=months,
        applies_to_products=products,
    )
    return Discount(coupon=coupon, start=start, end=end)
