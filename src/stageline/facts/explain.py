"""How an account's MRR adds up, as stored JSON: one entry per subscription item.

Each line names the price (in words), quantity, interval, discount, the amount per billing
period and per month, and why it counts or not. Amounts are minor units as decimal strings
(exact, or to 12 places), plus the monthly amount formatted for people.

>>> from decimal import Decimal
>>> from stageline.domain.billing import Interval, Price
>>> describe_price(Price(id="p", currency="usd", unit_amount=Decimal(30000),
...                      interval=Interval.MONTH, interval_count=3))
'$300.00 per unit every 3 months'
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from stageline.domain.billing import BillingScheme, Price, Subscription, Tier, TiersMode
from stageline.domain.money import Money, minor_units_exponent
from stageline.domain.mrr import MrrBreakdown, MrrLine

__all__ = ["describe_price", "interval_text", "mrr_lines"]


def interval_text(interval: str | None, count: int) -> str:
    """``month`` → ``every month``; 3 ``month`` → ``every 3 months``; ``None`` → ``one-time``."""
    if interval is None:
        return "one-time"
    return f"every {interval}" if count == 1 else f"every {count} {interval}s"


def _money(amount: Decimal, currency: str) -> str:
    """Minor units as money; a fraction of a minor unit is shown in full, never rounded away."""
    rounded = amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    if amount == rounded:
        return Money(int(rounded), currency).format()
    major = amount.scaleb(-minor_units_exponent(currency)).normalize()
    return f"{major:f} {currency.upper()}"


def _monthly(amount: Decimal, currency: str) -> str:
    """A monthly amount for people: exact, or rounded to the minor unit with ``≈``."""
    rounded = amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    text = Money(int(rounded), currency).format()
    return text if amount == rounded else f"≈{text}"


def _tier_text(tier: Tier, currency: str, previous: int | None) -> str:
    start = "above" if tier.up_to is None else f"up to {tier.up_to}"
    if tier.up_to is None and previous is not None:
        start = f"above {previous}"
    text = f"{start} @ {_money(tier.unit_amount, currency)}"
    if tier.flat_amount:
        text += f" + {_money(tier.flat_amount, currency)} flat"
    return text


def describe_price(price: Price) -> str:
    """A price in words: per-unit or tiered amount, pack size, and billing interval."""
    currency = price.currency.lower()
    when = interval_text(str(price.interval) if price.interval else None, price.interval_count)
    if price.billing_scheme == BillingScheme.TIERED:
        mode = "graduated" if price.tiers_mode == TiersMode.GRADUATED else "volume"
        if not price.tiers:
            return f"{mode} tiers (not fetched) {when}"
        parts, previous = [], None
        for tier in price.tiers:
            parts.append(_tier_text(tier, currency, previous))
            previous = tier.up_to
        return f"{mode} tiers: {'; '.join(parts)} {when}"
    unit = _money(price.unit_amount or Decimal(0), currency)
    text = f"{unit} per unit"
    if price.transform_quantity is not None:
        rounding = "up" if price.transform_quantity.round_up else "down"
        text = f"{unit} per {price.transform_quantity.divide_by} units (rounded {rounding})"
    return f"{text} {when}"


def mrr_lines(
    breakdown: MrrBreakdown, subscriptions: Iterable[Subscription]
) -> list[dict[str, Any]]:
    """The stored, JSON-ready form of every line of ``breakdown``."""
    prices = {item.id: item.price for s in subscriptions for item in s.items}
    statuses = {s.id: s.status for s in subscriptions}
    return [
        _line(line, prices.get(line.item_id), statuses.get(line.subscription_id))
        for line in breakdown.lines
    ]


def _line(line: MrrLine, price: Price | None, status: str | None) -> dict[str, Any]:
    monthly = line.monthly_amount
    return {
        "subscription_id": line.subscription_id,
        "subscription_status": status,
        "item_id": line.item_id,
        "price_id": line.price_id,
        "product_id": line.product_id,
        "price": describe_price(price) if price is not None else None,
        "currency": line.currency,
        "quantity": line.quantity,
        "interval": str(line.interval) if line.interval else None,
        "interval_count": line.interval_count,
        "unit_amount": None if line.unit_amount is None else str(line.unit_amount),
        "period_amount": str(line.period_amount),
        "discount": line.discount_note,
        "monthly_amount": str(monthly),
        "monthly": _monthly(monthly, line.currency),
        "counted": line.counted,
        "reason": line.reason,
        "notes": list(line.notes),
    }
