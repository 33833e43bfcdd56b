"""MRR rules, one worked number per rule (cases in mrr_cases.py, also published in docs/mrr.md)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest

from stageline.domain.billing import Interval, Price
from stageline.domain.currency import MissingRateError
from stageline.domain.money import Money
from stageline.domain.mrr import MrrBreakdown, MrrPolicy, account_mrr, monthly_amount
from stageline.domain.pricing import PriceError, normalization_factor

from .builders import LATER, NOW, coupon_discount, item, price, sub
from .mrr_cases import CASES, TIERS, MrrCase


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_worked_example(case: MrrCase) -> None:
    breakdown = account_mrr(
        case.subscriptions,
        now=NOW,
        policy=case.policy,
        customer_discounts=case.customer_discounts,
    )
    assert dict(breakdown.totals) == dict(case.expected)


@pytest.mark.parametrize(
    ("interval", "count", "factor"),
    [
        ("day", 1, Fraction(365, 12)),
        ("week", 1, Fraction(52, 12)),
        ("week", 2, Fraction(26, 12)),
        ("month", 1, Fraction(1)),
        ("month", 3, Fraction(1, 3)),
        ("month", 6, Fraction(1, 6)),
        ("year", 1, Fraction(1, 12)),
        ("year", 2, Fraction(1, 24)),
    ],
)
def test_normalization_factors(interval: str, count: int, factor: Fraction) -> None:
    assert normalization_factor(Interval(interval), count) == factor


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("active", "counted"),
        ("past_due", "counted"),
        ("trialing", "status trialing not counted"),
        ("unpaid", "status unpaid not counted"),
        ("canceled", "status canceled not counted"),
        ("incomplete", "status incomplete not counted"),
        ("incomplete_expired", "status incomplete_expired not counted"),
        ("paused", "status paused not counted"),
        ("some_future_status", "status some_future_status not counted"),
    ],
)
def test_status_reason_on_each_line(status: str, reason: str) -> None:
    (line,) = account_mrr([sub(status=status)], now=NOW).lines
    assert (line.reason, line.counted) == (reason, reason == "counted")
    assert line.monthly_amount == (Decimal(10000) if line.counted else 0)


def test_lines_explain_each_item() -> None:
    breakdown = account_mrr(
        [
            sub(
                item(price(4900, id="price_seat", product="prod_seat"), 3, id="si_seats"),
                item(price(7, metered=True, id="price_api"), None, id="si_api"),
                discounts=(coupon_discount(percent=20, id="SAVE20"),),
            )
        ],
        now=NOW,
    )
    api, seats = breakdown.lines
    assert (api.item_id, api.counted, api.reason) == ("si_api", False, "metered price excluded")
    assert seats.price_id == "price_seat"
    assert seats.product_id == "prod_seat"
    assert (seats.quantity, seats.interval, seats.interval_count) == (3, Interval.MONTH, 1)
    assert seats.unit_amount == Decimal(4900)
    assert seats.period_amount == Decimal(14700)
    assert seats.discount_note == "20% off forever (SAVE20)"
    assert seats.monthly_amount == Decimal(11760)
    assert breakdown.primary() == Money(11760, "usd")


def test_ignored_discounts_are_explained() -> None:
    repeating = coupon_discount(percent=50, duration="repeating", months=3, end=LATER, id="HALF")
    (line,) = account_mrr([sub(discounts=(repeating,))], now=NOW).lines
    assert line.discount_note == (
        "50% off repeating 3 months (HALF) not applied: repeating coupon does not reduce MRR"
    )
    assert line.monthly_amount == Decimal(10000)


def test_scheduled_cancellation_reason() -> None:
    (line,) = account_mrr([sub(cancel_at_period_end=True)], now=NOW).lines
    assert (line.counted, line.reason) == (False, "scheduled to cancel")


def test_tax_inclusive_price_is_noted() -> None:
    (line,) = account_mrr([sub(item(price(12000, tax_behavior="inclusive")))], now=NOW).lines
    assert line.counted
    assert line.notes == ("price includes tax (tax_behavior=inclusive): counted as billed",)


def test_amounts_are_exact_and_rounded_once() -> None:
    weekly = [item(price(1000, interval="week"), id=f"si_{n}") for n in range(3)]
    breakdown = account_mrr([sub(*weekly)], now=NOW)
    assert {line.monthly_amount for line in breakdown.lines} == {Decimal("4333.333333333333")}
    assert {line.exact_monthly for line in breakdown.lines} == {Fraction(13000, 3)}
    assert breakdown.exact_totals == {"usd": Fraction(13000)}
    assert breakdown.totals == {"usd": 13000}  # rounding each line would give 12999


def test_totals_list_every_currency_even_when_nothing_counts() -> None:
    breakdown = account_mrr([sub(status="trialing", currency="eur")], now=NOW)
    assert dict(breakdown.totals) == {"eur": 0}
    assert breakdown.primary() == Money(0, "eur")
    assert account_mrr([], now=NOW).primary() == Money(0, "usd")
    assert account_mrr([], now=NOW).primary("gbp") == Money(0, "gbp")


@pytest.mark.parametrize(
    ("totals", "default", "expected"),
    [
        ({"eur": 10000, "usd": 10000}, "usd", Money(10000, "usd")),
        ({"eur": 10000, "usd": 10000}, "eur", Money(10000, "eur")),
        ({"eur": 20000, "usd": 10000}, "usd", Money(20000, "eur")),
        ({"jpy": 5000, "usd": 100}, "usd", Money(5000, "jpy")),
        ({"jpy": 50, "usd": 10000}, "usd", Money(10000, "usd")),
        ({"gbp": 0, "eur": 0}, "usd", Money(0, "eur")),
    ],
)
def test_primary_is_largest_in_major_units(
    totals: dict[str, int], default: str, expected: Money
) -> None:
    assert MrrBreakdown(lines=(), totals=totals).primary(default) == expected


def test_in_currency_uses_user_rates_and_rounds_once() -> None:
    subs = [
        sub(item(price(10000, currency="eur", interval="week")), id="sub_eur"),
        sub(item(price(10000)), id="sub_usd"),
    ]
    breakdown = account_mrr(subs, now=NOW)
    # 43,333.33… euro cents at 1.08 plus 10,000 cents: converted from the exact sum.
    assert breakdown.in_currency("usd", {"eur": Decimal("1.08")}) == Money(56800, "usd")
    assert breakdown.in_currency("eur", {"usd": Decimal("0.5")}) == Money(48333, "eur")
    with pytest.raises(MissingRateError, match="no rate set from eur to usd"):
        breakdown.in_currency("usd", {})


def test_monthly_amount_of_one_item_includes_its_share_of_subscription_discounts() -> None:
    monthly = item(price(10000, id="price_m"), id="si_m")
    yearly = item(price(120000, interval="year", id="price_y"), id="si_y")
    subscription = sub(monthly, yearly, discounts=(coupon_discount(amount=13000),))
    assert monthly_amount(monthly, subscription, now=NOW) == Decimal(9000)
    assert monthly_amount(yearly, subscription, now=NOW) == Decimal(9000)
    extra = item(price(5000, id="price_x"), id="si_x")
    assert monthly_amount(extra, sub(), now=NOW) == Decimal(5000)
    trial = sub(monthly, status="trialing")
    assert monthly_amount(monthly, trial, now=NOW) == 0
    assert monthly_amount(monthly, trial, now=NOW, policy=MrrPolicy(count_trials=True)) == 10000


def test_volume_pricing_can_lower_mrr_when_a_seat_is_added() -> None:
    """The one documented exception to "adding a seat never lowers MRR"."""
    volume = price(tiers=TIERS, mode="volume")
    ten = account_mrr([sub(item(volume, 10))], now=NOW).totals["usd"]
    eleven = account_mrr([sub(item(volume, 11))], now=NOW).totals["usd"]
    assert (ten, eleven) == (10000, 8800)


@pytest.mark.parametrize(
    ("bad_price", "problem"),
    [
        (price(1000, count=0), "interval_count must be at least 1, got 0"),
        (price(tiers=TIERS), "price price_1 is tiered without a tiers_mode"),
        (price(divide_by=-1), "price price_1: divide_by must be at least 1"),
        (
            replace(price(tiers=TIERS, mode="volume"), tiers=()),
            "price price_1 is tiered but has no tiers (expand 'tiers')",
        ),
    ],
    ids=["interval_count 0", "no tiers_mode", "divide_by negative", "tiers not expanded"],
)
def test_impossible_prices_are_shown_not_counted(bad_price: Price, problem: str) -> None:
    """One malformed price must not stop an account's MRR: its line says what is wrong."""
    breakdown = account_mrr([sub(item(bad_price, 2, id="si_bad"), item(id="si_ok"))], now=NOW)
    bad, ok = breakdown.lines
    assert (bad.counted, bad.reason) == (False, f"price cannot be computed: {problem}")
    assert ok.counted
    assert dict(breakdown.totals) == {"usd": 10000}


def test_pricing_functions_raise_on_impossible_prices() -> None:
    with pytest.raises(PriceError):
        normalization_factor(Interval.MONTH, 0)
