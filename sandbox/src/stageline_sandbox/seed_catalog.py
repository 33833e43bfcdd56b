"""The seeded SaaS catalog: four plans, an add-on, prices in three currencies, coupons.

>>> catalog = build_catalog(IdFactory(seed=1), created=1_700_000_000)
>>> sorted({p["name"] for p in catalog.products})
['Business', 'Enterprise', 'Extra Storage', 'Starter', 'Team']
>>> catalog.price("team", "month", "usd")["recurring"]["interval"]
'month'
"""

from __future__ import annotations

from dataclasses import dataclass

from stageline_sandbox.ids import IdFactory
from stageline_sandbox.shapes import Obj

# (plan key, product name, unit label, [(interval, count, currency, unit amount)])
_PLANS: tuple[tuple[str, str, str | None, tuple[tuple[str, int, str, int], ...]], ...] = (
    (
        "starter",
        "Starter",
        None,
        (
            ("month", 1, "usd", 2_900),
            ("year", 1, "usd", 29_000),
            ("month", 1, "gbp", 2_500),
            ("week", 1, "usd", 900),
        ),
    ),
    (
        "team",
        "Team",
        "seat",
        (
            ("month", 1, "usd", 1_500),
            ("year", 1, "usd", 15_000),
            ("month", 1, "eur", 1_400),
        ),
    ),
    (
        "business",
        "Business",
        None,
        (
            ("month", 1, "usd", 9_900),
            ("year", 1, "usd", 99_000),
            ("month", 3, "usd", 27_000),
            ("month", 1, "eur", 8_900),
        ),
    ),
    (
        "enterprise",
        "Enterprise",
        None,
        (
            ("year", 1, "usd", 2_400_000),
            ("month", 1, "usd", 250_000),
        ),
    ),
    (
        "storage",
        "Extra Storage",
        "GB pack",
        (
            ("month", 1, "usd", 1_000),
            ("day", 1, "usd", 500),
        ),
    ),
)

# (id, name, percent_off, amount_off, currency, duration, duration_in_months)
_COUPONS: tuple[tuple[str, str, float | None, int | None, str | None, str, int | None], ...] = (
    ("LAUNCH20", "Launch 20% off forever", 20.0, None, None, "forever", None),
    ("PARTNER15", "Partner 15% off", 15.0, None, None, "forever", None),
    ("WELCOME50", "Welcome 50% off for 3 months", 50.0, None, None, "repeating", 3),
    ("SAVE100", "$100 off the first invoice", None, 10_000, "usd", "once", None),
)


def _cadence(interval: str, count: int) -> str:
    if interval == "month" and count == 3:
        return "quarterly"
    word = {"day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}[interval]
    return word if count == 1 else f"every {count} {interval}s"


@dataclass
class Catalog:
    products: list[Obj]
    prices: list[Obj]
    coupons: list[Obj]
    by_key: dict[tuple[str, str, int, str], Obj]

    def price(self, plan: str, interval: str, currency: str, count: int = 1) -> Obj:
        return self.by_key[(plan, interval, count, currency)]

    def has(self, plan: str, interval: str, currency: str, count: int = 1) -> bool:
        return (plan, interval, count, currency) in self.by_key

    def coupon(self, coupon_id: str) -> Obj:
        return next(c for c in self.coupons if c["id"] == coupon_id)


def build_catalog(ids: IdFactory, created: int) -> Catalog:
    """Products, prices and coupons as they stand in the seeded account."""
    products: list[Obj] = []
    prices: list[Obj] = []
    by_key: dict[tuple[str, str, int, str], Obj] = {}
    for offset, (key, name, unit_label, plan_prices) in enumerate(_PLANS):
        product_id = ids.new("prod")
        product: Obj = {
            "id": product_id,
            "object": "product",
            "created": created + offset,
            "name": name,
            "unit_label": unit_label,
            "description": f"Stageline demo plan: {name}",
            "metadata": {"plan": key},
        }
        for interval, count, currency, amount in plan_prices:
            price: Obj = {
                "id": ids.new("price"),
                "object": "price",
                "created": created + offset,
                "currency": currency,
                "product": product_id,
                "type": "recurring",
                "unit_amount": amount,
                "unit_amount_decimal": str(amount),
                "nickname": f"{name} {_cadence(interval, count)} {currency.upper()}",
                "lookup_key": f"{key}_{count}{interval}_{currency}",
                "recurring": {
                    "interval": interval,
                    "interval_count": count,
                    "meter": None,
                    "trial_period_days": None,
                    "usage_type": "licensed",
                },
            }
            prices.append(price)
            by_key[(key, interval, count, currency)] = price
            if interval == "month" and count == 1 and currency == "usd":
                product["default_price"] = price["id"]
        products.append(product)
    coupons = [
        {
            "id": coupon_id,
            "object": "coupon",
            "created": created,
            "name": name,
            "percent_off": percent,
            "amount_off": amount,
            "currency": currency,
            "duration": duration,
            "duration_in_months": months,
        }
        for coupon_id, name, percent, amount, currency, duration, months in _COUPONS
    ]
    return Catalog(products=products, prices=prices, coupons=coupons, by_key=by_key)
