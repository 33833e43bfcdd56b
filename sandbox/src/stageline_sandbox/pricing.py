"""Amounts in integer minor units: a price × a quantity, and what a coupon takes off.

>>> graduated = {"billing_scheme": "tiered", "tiers_mode": "graduated", "tiers": [
...     {"up_to": 10, "unit_amount": 1000, "flat_amount": None},
...     {"up_to": None, "unit_amount": 800, "flat_amount": None}]}
>>> amount_for(graduated, 15), amount_for({**graduated, "tiers_mode": "volume"}, 15)
(14000, 12000)
>>> amount_for({"billing_scheme": "per_unit", "unit_amount": 500,
...             "transform_quantity": {"divide_by": 10, "round": "up"}}, 11)
1000
>>> discount_amount({"percent_off": 20.0, "amount_off": None}, 4900, "usd")
980
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stageline_sandbox.shapes import Obj


def _unit(value: Any, decimal: Any) -> Decimal:
    if decimal is not None:
        return Decimal(str(decimal))
    return Decimal(int(value or 0))


def _round(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def transformed_quantity(price: Obj, quantity: int) -> int:
    """``transform_quantity``: the quantity divided and rounded before pricing."""
    transform = price.get("transform_quantity")
    if not transform:
        return quantity
    divide_by = int(transform["divide_by"])
    whole, rest = divmod(quantity, divide_by)
    return whole + (1 if rest and transform["round"] == "up" else 0)


def amount_for(price: Obj, quantity: int) -> int:
    """What ``quantity`` units of ``price`` cost for one period."""
    if price.get("recurring") and price["recurring"].get("usage_type") == "metered":
        return 0
    if price.get("billing_scheme") != "tiered":
        unit = _unit(price.get("unit_amount"), price.get("unit_amount_decimal"))
        return _round(unit * transformed_quantity(price, quantity))
    tiers = price.get("tiers") or []
    if price.get("tiers_mode") == "volume":
        for tier in tiers:
            if tier["up_to"] is None or quantity <= tier["up_to"]:
                unit = _unit(tier.get("unit_amount"), tier.get("unit_amount_decimal"))
                flat = _unit(tier.get("flat_amount"), tier.get("flat_amount_decimal"))
                return _round(unit * quantity + (flat if quantity else 0))
        return 0
    total = Decimal(0)
    lower = 0
    for tier in tiers:
        if quantity <= lower:
            break
        upper = quantity if tier["up_to"] is None else min(quantity, tier["up_to"])
        unit = _unit(tier.get("unit_amount"), tier.get("unit_amount_decimal"))
        flat = _unit(tier.get("flat_amount"), tier.get("flat_amount_decimal"))
        total += unit * (upper - lower) + flat
        lower = upper
    return _round(total)


def discount_amount(coupon: Obj, amount: int, currency: str) -> int:
    """What ``coupon`` takes off an ``amount`` in ``currency`` (never more than it)."""
    if coupon.get("percent_off") is not None:
        off = _round(Decimal(str(coupon["percent_off"])) * amount / 100)
    elif coupon.get("amount_off") is not None:
        options = coupon.get("currency_options") or {}
        if coupon.get("currency") == currency:
            off = int(coupon["amount_off"])
        elif currency in options:
            off = int(options[currency]["amount_off"])
        else:
            off = 0
    else:
        off = 0
    return max(0, min(off, amount))
