"""Which discounts reduce MRR, and how one reduces a set of per-period amounts.

A discount applies to amounts *per billing period*, exactly as on the invoice: ``percent_off``
scales each covered amount, ``amount_off`` (in the coupon's currency, per invoice) is taken off
the covered amounts in proportion to their size, never below zero. The caller normalizes the
result to a month afterwards, so an ``amount_off`` gets the same factor as the price.

>>> from datetime import UTC, datetime
>>> from decimal import Decimal
>>> now = datetime(2026, 1, 1, tzinfo=UTC)
>>> forever = Discount(Coupon(id="SAVE20", duration=CouponDuration.FOREVER,
...                           percent_off=Decimal(20)))
>>> skip_reason(forever, now=now, all_active=False) is None
True
>>> reduce_amounts([Fraction(10000)], forever, currency="usd")
(Fraction(8000, 1),)
>>> describe_discount(forever)
'20% off forever (SAVE20)'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction

from stageline.domain.billing import Coupon, CouponDuration, Discount, Price
from stageline.domain.money import Money

__all__ = [
    "covers_price",
    "currency_mismatch",
    "describe_discount",
    "reduce_amounts",
    "skip_reason",
]


def skip_reason(discount: Discount, *, now: datetime, all_active: bool) -> str | None:
    """``None`` when ``discount`` reduces MRR at ``now``, else a short reason why not.

    Under the Stripe definition only ``forever`` coupons count; with ``all_active`` every
    discount that has started and whose ``end`` is absent or after ``now`` counts.
    """
    coupon = discount.coupon
    if coupon.percent_off is None and coupon.amount_off is None:
        return "coupon has neither percent_off nor amount_off"
    if discount.start is not None and discount.start > now:
        return "not started yet"
    if discount.end is not None and discount.end <= now:
        return "ended"
    if not all_active and coupon.duration != CouponDuration.FOREVER:
        return f"{coupon.duration} coupon does not reduce MRR"
    return None


def covers_price(coupon: Coupon, price: Price) -> bool:
    """True unless the coupon is limited to products (``applies_to``) that exclude ``price``."""
    if coupon.applies_to_products is None:
        return True
    return price.product_id is not None and price.product_id in coupon.applies_to_products


def describe_discount(discount: Discount) -> str:
    """A short human description: ``'20% off forever (SAVE20)'``, ``'$120.00 off forever (X)'``."""
    coupon = discount.coupon
    if coupon.percent_off is not None:
        off = f"{coupon.percent_off.normalize():f}% off"
    elif coupon.amount_off is not None and coupon.currency:
        off = f"{Money(coupon.amount_off, coupon.currency.lower()).format()} off"
    else:
        off = f"{coupon.amount_off} off"
    duration = str(coupon.duration)
    if coupon.duration == CouponDuration.REPEATING and coupon.duration_in_months:
        duration = f"repeating {coupon.duration_in_months} months"
    return f"{off} {duration} ({coupon.name or coupon.id})"


def reduce_amounts(
    amounts: Sequence[Fraction], discount: Discount, *, currency: str
) -> tuple[Fraction, ...]:
    """The amounts after ``discount``: each scaled by ``percent_off``, or ``amount_off`` spread.

    ``amount_off`` is split in proportion to the amounts and capped at their sum; a coupon in
    another currency than ``currency`` leaves them unchanged (see :func:`currency_mismatch`).

    >>> from decimal import Decimal
    >>> ten_off = Discount(Coupon(id="TEN", duration=CouponDuration.FOREVER, amount_off=1000,
    ...                           currency="usd"))
    >>> reduce_amounts([Fraction(3000), Fraction(1000)], ten_off, currency="usd")
    (Fraction(2250, 1), Fraction(750, 1))
    >>> reduce_amounts([Fraction(400)], ten_off, currency="usd")
    (Fraction(0, 1),)
    """
    coupon = discount.coupon
    if coupon.percent_off is not None:
        keep = 1 - min(Fraction(coupon.percent_off), Fraction(100)) / 100
        return tuple(amount * max(keep, Fraction(0)) for amount in amounts)
    if coupon.amount_off is None or currency_mismatch(coupon, currency):
        return tuple(amounts)
    base = sum(amounts, Fraction(0))
    if base <= 0:
        return tuple(amounts)
    off = min(Fraction(coupon.amount_off), base)
    return tuple(amount - off * amount / base for amount in amounts)


def currency_mismatch(coupon: Coupon, currency: str) -> bool:
    """True for an ``amount_off`` coupon in another currency than ``currency``."""
    return (
        coupon.amount_off is not None
        and coupon.percent_off is None
        and coupon.currency is not None
        and coupon.currency.lower() != currency.lower()
    )
