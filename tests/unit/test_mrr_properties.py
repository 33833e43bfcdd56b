"""Properties of MRR that hold for every input hypothesis can think of."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from stageline.domain.billing import (
    SUBSCRIPTION_STATUSES,
    Discount,
    Price,
    Subscription,
    SubscriptionItem,
)
from stageline.domain.mrr import MrrPolicy, account_mrr

from .builders import NOW, coupon_discount, item, price, sub

FAST = settings(max_examples=40, deadline=None)

amounts = st.integers(min_value=0, max_value=10_000_000)
decimal_amounts = st.integers(0, 100_000_000).map(lambda n: str(Decimal(n) / 1000))
products = st.sampled_from(["prod_a", "prod_b", "prod_c"])


@st.composite
def tier_tables(draw: st.DrawFn) -> tuple[tuple[int | None, int, int], ...]:
    bounds = sorted(draw(st.sets(st.integers(1, 50), max_size=3)))
    caps: list[int | None] = [*bounds, None]
    return tuple((cap, draw(st.integers(0, 5000)), draw(st.integers(0, 5000))) for cap in caps)


@st.composite
def prices(draw: st.DrawFn, *, allow_volume: bool = True) -> Price:
    modes = ["per_unit", "graduated", *(["volume"] if allow_volume else [])]
    mode = draw(st.sampled_from(modes))
    common = {
        "interval": draw(st.sampled_from(["day", "week", "month", "year", None])),
        "count": draw(st.integers(1, 12)),
        "currency": draw(st.sampled_from(["usd", "eur", "jpy"])),
        "product": draw(products),
        "metered": draw(st.booleans()) and draw(st.booleans()),
        "id": f"price_{draw(st.integers(0, 5))}",
    }
    if mode == "per_unit":
        divide_by = draw(st.one_of(st.none(), st.integers(1, 20)))
        unit = draw(st.one_of(amounts, decimal_amounts))
        return price(unit, divide_by=divide_by, round_up=draw(st.booleans()), **common)
    return price(tiers=draw(tier_tables()), mode=mode, **common)


@st.composite
def discounts(draw: st.DrawFn) -> Discount:
    kind = draw(st.sampled_from(["percent", "amount"]))
    duration = draw(st.sampled_from(["forever", "once", "repeating"]))
    end = NOW + timedelta(days=draw(st.integers(-60, 60))) if duration == "repeating" else None
    limited = draw(st.one_of(st.none(), st.lists(products, min_size=1, max_size=2).map(tuple)))
    if kind == "percent":
        percent = Decimal(draw(st.integers(0, 10_000))) / 100
        return coupon_discount(percent=str(percent), duration=duration, end=end, products=limited)
    amount = draw(amounts)
    currency = draw(st.sampled_from(["usd", "eur"]))
    return coupon_discount(
        amount=amount, currency=currency, duration=duration, end=end, products=limited
    )


@st.composite
def items(draw: st.DrawFn, *, allow_volume: bool = True) -> tuple[SubscriptionItem, ...]:
    count = draw(st.integers(1, 3))
    return tuple(
        item(
            draw(prices(allow_volume=allow_volume)),
            draw(st.one_of(st.none(), st.integers(0, 60))),
            id=f"si_{n}",
            discounts=tuple(draw(st.lists(discounts(), max_size=1))),
        )
        for n in range(count)
    )


@st.composite
def subscriptions(draw: st.DrawFn, *, allow_volume: bool = True) -> tuple[Subscription, ...]:
    count = draw(st.integers(0, 3))
    return tuple(
        sub(
            *draw(items(allow_volume=allow_volume)),
            id=f"sub_{n}",
            customer=draw(st.sampled_from(["cus_1", "cus_2"])),
            status=draw(st.sampled_from(SUBSCRIPTION_STATUSES)),
            cancel_at_period_end=draw(st.booleans()) and draw(st.booleans()),
            discounts=tuple(draw(st.lists(discounts(), max_size=2))),
        )
        for n in range(count)
    )


policies = st.builds(MrrPolicy, st.booleans(), st.booleans(), st.booleans())
customer_discounts = st.dictionaries(st.sampled_from(["cus_1", "cus_2"]), discounts(), max_size=2)


@FAST
@given(subscriptions(), policies, customer_discounts)
def test_mrr_is_never_negative(
    subs: tuple[Subscription, ...], policy: MrrPolicy, by_customer: dict[str, Discount]
) -> None:
    breakdown = account_mrr(subs, now=NOW, policy=policy, customer_discounts=by_customer)
    assert all(total >= 0 for total in breakdown.totals.values())
    assert all(line.exact_monthly >= 0 for line in breakdown.lines)
    assert all(line.monthly_amount >= 0 for line in breakdown.lines)
    assert all(line.counted or line.monthly_amount == 0 for line in breakdown.lines)


@FAST
@given(subscriptions(), policies, st.randoms(use_true_random=False))
def test_mrr_does_not_depend_on_order(
    subs: tuple[Subscription, ...], policy: MrrPolicy, rnd: random.Random
) -> None:
    shuffled = [replace(s, items=tuple(rnd.sample(s.items, len(s.items)))) for s in subs]
    rnd.shuffle(shuffled)
    assert account_mrr(shuffled, now=NOW, policy=policy) == account_mrr(
        subs, now=NOW, policy=policy
    )


@FAST
@given(subscriptions(allow_volume=False), policies, st.data())
def test_adding_a_seat_never_lowers_mrr(
    subs: tuple[Subscription, ...], policy: MrrPolicy, data: st.DataObject
) -> None:
    """Per-unit and graduated prices only: volume tiers can lower it (see test_mrr.py)."""
    if not subs:
        return
    index = data.draw(st.integers(0, len(subs) - 1))
    target = subs[index]
    position = data.draw(st.integers(0, len(target.items) - 1))
    seat = target.items[position]
    more = replace(seat, quantity=(1 if seat.quantity is None else seat.quantity) + 1)
    grown = replace(target, items=tuple(more if i is seat else i for i in target.items))
    before = account_mrr(subs, now=NOW, policy=policy)
    after = account_mrr([*subs[:index], grown, *subs[index + 1 :]], now=NOW, policy=policy)
    for currency, total in before.exact_totals.items():
        assert after.exact_totals[currency] >= total


@given(st.integers(0, 1_000_000), st.sampled_from(["day", "week", "month", "year"]))
def test_totals_are_the_exact_sum_rounded_once(unit: int, interval: str) -> None:
    subs = [sub(*(item(price(unit, interval=interval), id=f"si_{n}") for n in range(3)))]
    breakdown = account_mrr(subs, now=NOW)
    exact = sum(line.exact_monthly for line in breakdown.lines)
    assert breakdown.totals["usd"] == round(exact)
    assert (
        abs(Decimal(breakdown.totals["usd"]) - sum(line.monthly_amount for line in breakdown.lines))
        <= 1
    )
