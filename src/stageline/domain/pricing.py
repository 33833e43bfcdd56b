"""What one subscription item costs per billing period, and how a period becomes a month.

Everything is exact: amounts are :class:`~fractions.Fraction` minor units, never floats.

>>> from dataclasses import replace
>>> from decimal import Decimal
>>> seats = Price(id="price_seats", currency="usd", unit_amount=Decimal(4900),
...               interval=Interval.MONTH)
>>> period_amount(seats, 3)
Fraction(14700, 1)
>>> normalization_factor(Interval.WEEK, 2)
Fraction(13, 6)
>>> tiers = (Tier(up_to=10, unit_amount=Decimal(1000)), Tier(up_to=None, unit_amount=Decimal(800)))
>>> volume = Price(id="price_v", currency="usd", interval=Interval.MONTH,
...                billing_scheme=BillingScheme.TIERED, tiers_mode=TiersMode.VOLUME, tiers=tiers)
>>> graduated = replace(volume, tiers_mode=TiersMode.GRADUATED)
>>> period_amount(volume, 15), period_amount(graduated, 15)
(Fraction(12000, 1), Fraction(14000, 1))
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from types import MappingProxyType

from stageline.domain.billing import (
    BillingScheme,
    Interval,
    Price,
    SubscriptionItem,
    Tier,
    TiersMode,
    UsageType,
)

__all__ = [
    "MONTHS_PER_INTERVAL",
    "PriceError",
    "billed_quantity",
    "is_licensed_recurring",
    "normalization_factor",
    "period_amount",
]

#: How many times one interval fits in a month. Documented choices (docs/mrr.md): a year is
#: 12 months, a week 52/12 of a month, a day 365/12 of a month (no leap years).
MONTHS_PER_INTERVAL: Mapping[Interval, Fraction] = MappingProxyType(
    {
        Interval.DAY: Fraction(365, 12),
        Interval.WEEK: Fraction(52, 12),
        Interval.MONTH: Fraction(1),
        Interval.YEAR: Fraction(1, 12),
    }
)


class PriceError(ValueError):
    """A price whose amount cannot be computed (e.g. tiered without tiers)."""


def normalization_factor(interval: Interval, interval_count: int = 1) -> Fraction:
    """How many billing periods of ``interval_count`` × ``interval`` make one month.

    >>> normalization_factor(Interval.YEAR), normalization_factor(Interval.MONTH, 3)
    (Fraction(1, 12), Fraction(1, 3))
    """
    if interval_count < 1:
        raise PriceError(f"interval_count must be at least 1, got {interval_count}")
    return MONTHS_PER_INTERVAL[Interval(interval)] / interval_count


def billed_quantity(item: SubscriptionItem) -> int:
    """The quantity the price is applied to: the item's quantity (1 when absent), transformed.

    ``transform_quantity`` divides and rounds up or down before the price applies.
    """
    quantity = 1 if item.quantity is None else item.quantity
    transform = item.price.transform_quantity
    if transform is None:
        return quantity
    if transform.divide_by < 1:
        raise PriceError(f"price {item.price.id}: divide_by must be at least 1")
    whole, rest = divmod(quantity, transform.divide_by)
    return whole + 1 if transform.round_up and rest else whole


def period_amount(price: Price, quantity: int) -> Fraction:
    """Exact minor units billed per period for ``quantity`` (already transformed) units.

    Per-unit prices multiply; volume tiers price every unit at the tier the quantity falls in
    (plus that tier's flat amount); graduated tiers price each unit at its own tier and add the
    flat amount of every tier reached. A quantity of 0 bills nothing, flat amounts included.
    Units beyond a last tier that is not open-ended are priced at that last tier.
    """
    if quantity < 0:
        raise PriceError(f"price {price.id}: quantity must not be negative, got {quantity}")
    if quantity == 0:
        return Fraction(0)
    if price.billing_scheme == BillingScheme.PER_UNIT:
        return Fraction(price.unit_amount or 0) * quantity
    if not price.tiers:
        raise PriceError(f"price {price.id} is tiered but has no tiers (expand 'tiers')")
    if price.tiers_mode == TiersMode.VOLUME:
        tier = _volume_tier(price.tiers, quantity)
        return Fraction(tier.unit_amount) * quantity + Fraction(tier.flat_amount)
    if price.tiers_mode == TiersMode.GRADUATED:
        return _graduated_amount(price.tiers, quantity)
    raise PriceError(f"price {price.id} is tiered without a tiers_mode")


def is_licensed_recurring(price: Price) -> bool:
    """True for prices that can count toward MRR: recurring and licensed (not metered)."""
    return price.interval is not None and price.usage_type == UsageType.LICENSED


def _volume_tier(tiers: tuple[Tier, ...], quantity: int) -> Tier:
    for tier in tiers:
        if tier.up_to is None or quantity <= tier.up_to:
            return tier
    return tiers[-1]


def _graduated_amount(tiers: tuple[Tier, ...], quantity: int) -> Fraction:
    total = Fraction(0)
    lower = 0
    last = len(tiers) - 1
    for index, tier in enumerate(tiers):
        unbounded = tier.up_to is None or index == last  # Stripe requires a last "inf" tier
        upper = quantity if unbounded or tier.up_to is None else min(quantity, tier.up_to)
        units = upper - lower
        if units <= 0:
            break
        total += Fraction(tier.unit_amount) * units + Fraction(tier.flat_amount)
        lower = upper
    return total
