"""Named MRR worked examples, shared by the rule tests and the docs/mrr.md table check.

Each case is an account's subscriptions, the policy, and the expected per-currency totals in
minor units. The ids match the first column of the worked-examples table in docs/mrr.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from stageline.domain.billing import Discount, Subscription
from stageline.domain.mrr import MrrPolicy

from .builders import EARLIER, LATER, coupon_discount, item, price, sub

TRIALS = MrrPolicy(count_trials=True)
KEEP = MrrPolicy(keep_scheduled_cancellations=True)
ALL_DISCOUNTS = MrrPolicy(apply_all_active_discounts=True)
TIERS = ((10, 1000, 0), (None, 800, 0))
FLAT_TIERS = ((10, 1000, 5000), (None, 800, 2000))


@dataclass(frozen=True)
class MrrCase:
    id: str
    subscriptions: tuple[Subscription, ...]
    expected: Mapping[str, int]
    policy: MrrPolicy = field(default_factory=MrrPolicy)
    customer_discounts: Mapping[str, Discount] = field(default_factory=dict)


def _case(
    id: str,
    subscriptions: Subscription | tuple[Subscription, ...],
    expected: int | Mapping[str, int],
    policy: MrrPolicy = MrrPolicy(),
    customer_discounts: Mapping[str, Discount] | None = None,
) -> MrrCase:
    subs = subscriptions if isinstance(subscriptions, tuple) else (subscriptions,)
    totals = {"usd": expected} if isinstance(expected, int) else expected
    return MrrCase(id, subs, totals, policy, customer_discounts or {})


_monthly_100 = item(price(10000))
_repeating_half = coupon_discount(percent=50, duration="repeating", months=3, end=LATER)

CASES: tuple[MrrCase, ...] = (
    # Price forms, intervals and quantities.
    _case("a", sub(item(price(4900), 3)), 14700),
    _case("b", sub(item(price(120000, interval="year"))), 10000),
    _case("c", sub(item(price(30000, count=3))), 10000),
    _case("d", sub(item(price(1000, interval="week"))), 4333),
    _case("e", sub(item(price(100, interval="day"))), 3042),
    _case("f", sub(item(price(2500, interval="week", count=2))), 5417),
    _case("i-volume", sub(item(price(tiers=TIERS, mode="volume"), 15)), 12000),
    _case("i-graduated", sub(item(price(tiers=TIERS, mode="graduated"), 15)), 14000),
    _case("i-volume-flat", sub(item(price(tiers=FLAT_TIERS, mode="volume"), 15)), 14000),
    _case("i-graduated-flat", sub(item(price(tiers=FLAT_TIERS, mode="graduated"), 15)), 21000),
    _case("i-graduated-within-first", sub(item(price(tiers=TIERS, mode="graduated"), 4)), 4000),
    _case(
        "j",
        sub(
            item(price(240000, interval="year", id="price_platform"), id="si_platform"),
            item(price(2000, id="price_seat"), 5, id="si_seats"),
        ),
        30000,
    ),
    _case("transform-up", sub(item(price(5000, divide_by=10), 15)), 10000),
    _case("transform-down", sub(item(price(5000, divide_by=10, round_up=False), 15)), 5000),
    _case("decimal-unit", sub(item(price("12.345"), 100)), 1234),
    _case(
        "round-once",
        sub(*(item(price(1000, interval="week"), id=f"si_{n}") for n in range(3))),
        13000,
    ),
    _case("quantity-zero", sub(item(price(4900), 0)), 0),
    _case("jpy", sub(item(price(12000, interval="year", currency="jpy"))), {"jpy": 1000}),
    _case("o", sub(item(price(2000), id="si_base"), item(price(5, metered=True), None)), 2000),
    _case("one-time", sub(item(price(2000), id="si_a"), item(price(9900, interval=None))), 2000),
    _case("tax-inclusive", sub(item(price(12000, tax_behavior="inclusive"))), 12000),
    # Discounts.
    _case("g", sub(_monthly_100, discounts=(coupon_discount(percent=20),)), 8000),
    _case("g-repeating", sub(_monthly_100, discounts=(_repeating_half,)), 10000),
    _case("g-repeating-all", sub(_monthly_100, discounts=(_repeating_half,)), 5000, ALL_DISCOUNTS),
    _case(
        "g-repeating-ended",
        sub(
            _monthly_100,
            discounts=(coupon_discount(percent=50, duration="repeating", end=EARLIER),),
        ),
        10000,
        ALL_DISCOUNTS,
    ),
    _case(
        "once", sub(_monthly_100, discounts=(coupon_discount(percent=50, duration="once"),)), 10000
    ),
    _case(
        "once-all",
        sub(_monthly_100, discounts=(coupon_discount(percent=50, duration="once"),)),
        5000,
        ALL_DISCOUNTS,
    ),
    _case(
        "h",
        sub(item(price(120000, interval="year")), discounts=(coupon_discount(amount=12000),)),
        9000,
    ),
    _case("k", sub(item(price(60000, count=6)), discounts=(coupon_discount(percent=25),)), 7500),
    _case("free", sub(_monthly_100, discounts=(coupon_discount(percent=100),)), 0),
    _case("amount-over-price", sub(_monthly_100, discounts=(coupon_discount(amount=50000),)), 0),
    _case(
        "amount-other-currency",
        sub(_monthly_100, discounts=(coupon_discount(amount=1000, currency="eur"),)),
        10000,
    ),
    _case(
        "item-before-subscription",
        sub(
            item(price(10000), discounts=(coupon_discount(percent=10),)),
            discounts=(coupon_discount(amount=1000),),
        ),
        8000,
    ),
    _case(
        "applies-to-products",
        sub(
            item(price(10000, product="prod_a", id="price_a"), id="si_a"),
            item(price(10000, product="prod_b", id="price_b"), id="si_b"),
            discounts=(coupon_discount(percent=50, products=("prod_a",)),),
        ),
        15000,
    ),
    _case(
        "amount-spread",
        sub(
            item(price(10000, id="price_m"), id="si_m"),
            item(price(120000, interval="year", id="price_y"), id="si_y"),
            discounts=(coupon_discount(amount=13000),),
        ),
        18000,
    ),
    _case(
        "customer-discount",
        sub(_monthly_100),
        8000,
        customer_discounts={"cus_1": coupon_discount(percent=20)},
    ),
    _case(
        "customer-discount-overridden",
        sub(_monthly_100, discounts=(coupon_discount(percent=10),)),
        9000,
        customer_discounts={"cus_1": coupon_discount(percent=20)},
    ),
    # Statuses and cancellations.
    _case("l", sub(_monthly_100, status="trialing"), 0),
    _case("l-count-trials", sub(_monthly_100, status="trialing"), 10000, TRIALS),
    _case("m-past-due", sub(item(price(5000)), status="past_due"), 5000),
    _case("m-unpaid", sub(item(price(5000)), status="unpaid"), 0),
    _case("canceled", sub(_monthly_100, status="canceled"), 0),
    _case("incomplete", sub(_monthly_100, status="incomplete"), 0),
    _case("incomplete-expired", sub(_monthly_100, status="incomplete_expired"), 0),
    _case("paused", sub(_monthly_100, status="paused"), 0),
    _case("cancel-at-period-end", sub(_monthly_100, cancel_at_period_end=True), 0),
    _case("cancel-at-period-end-kept", sub(_monthly_100, cancel_at_period_end=True), 10000, KEEP),
    _case("cancel-at", sub(_monthly_100, cancel_at=LATER), 0),
    _case("cancel-at-kept", sub(_monthly_100, cancel_at=LATER), 10000, KEEP),
    _case("cancel-at-reached", sub(_monthly_100, cancel_at=EARLIER), 0, KEEP),
    # Several subscriptions and currencies.
    _case(
        "n",
        (
            sub(item(price(10000, currency="eur")), id="sub_eur"),
            sub(item(price(10000)), id="sub_usd"),
        ),
        {"eur": 10000, "usd": 10000},
    ),
    _case(
        "several-subscriptions",
        (
            sub(item(price(4900), 2), id="sub_a"),
            sub(item(price(120000, interval="year")), id="sub_b"),
            sub(_monthly_100, id="sub_c", status="canceled"),
        ),
        19800,
    ),
)

BY_ID: Mapping[str, MrrCase] = {case.id: case for case in CASES}
