"""Renewal date, end date and days to renewal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stageline.domain.renewal import RenewalFacts, days_until, renewal_facts

from .builders import NOW, item, price, sub

DAY = timedelta(days=1)
SOON, LATER = NOW + 5 * DAY, NOW + 20 * DAY


def test_earliest_item_period_end_over_subscriptions() -> None:
    mixed = sub(
        item(price(240000, interval="year"), id="si_year", period_end=NOW + 200 * DAY),
        item(price(2000), id="si_month", period_end=LATER),
        id="sub_mixed",
    )
    other = sub(item(period_end=SOON), id="sub_other", status="past_due")
    facts = renewal_facts([mixed, other], now=NOW)
    assert facts == RenewalFacts(
        renewal_date=SOON, ends_at=None, renews_in_days=5, subscription_id="sub_other"
    )
    assert renewal_facts([mixed], now=NOW).renewal_date == LATER


def test_legacy_subscription_level_period_end() -> None:
    facts = renewal_facts([sub(item(period_end=None), period_end=LATER)], now=NOW)
    assert (facts.renewal_date, facts.renews_in_days) == (LATER, 20)


def test_trialing_renews_at_trial_end() -> None:
    facts = renewal_facts([sub(item(period_end=LATER), status="trialing", trial_end=SOON)], now=NOW)
    assert facts.renewal_date == SOON


@pytest.mark.parametrize(
    ("kwargs", "ends_at"),
    [
        ({"cancel_at_period_end": True}, LATER),
        ({"cancel_at": SOON}, SOON),
        ({"cancel_at": SOON, "cancel_at_period_end": True}, SOON),
        ({"status": "trialing", "trial_end": SOON, "cancel_at_period_end": True}, SOON),
        ({"status": "canceled", "ended_at": NOW - DAY}, NOW - DAY),
        ({"status": "canceled", "canceled_at": NOW - 2 * DAY}, NOW - 2 * DAY),
        ({"status": "incomplete_expired", "ended_at": NOW - DAY}, NOW - DAY),
        ({"status": "paused"}, None),
        ({"status": "unpaid"}, None),
        ({"status": "incomplete"}, None),
    ],
    ids=lambda value: str(value) if not isinstance(value, dict) else ",".join(value),
)
def test_subscriptions_that_do_not_renew(kwargs: dict[str, object], ends_at: object) -> None:
    facts = renewal_facts([sub(item(period_end=LATER), **kwargs)], now=NOW)  # type: ignore[arg-type]
    assert (facts.renewal_date, facts.renews_in_days, facts.ends_at) == (None, None, ends_at)
    assert facts.subscription_id == (None if ends_at is None else "sub_1")


def test_renewing_account_also_shows_the_next_scheduled_end() -> None:
    renewing = sub(item(period_end=LATER), id="sub_renews")
    ending = sub(item(period_end=SOON), id="sub_ends", cancel_at_period_end=True)
    old = sub(id="sub_old", status="canceled", ended_at=NOW - 90 * DAY)
    facts = renewal_facts([old, ending, renewing], now=NOW)
    assert facts == RenewalFacts(LATER, SOON, 20, "sub_renews")


def test_ended_account_shows_its_latest_end() -> None:
    first = sub(id="sub_a", status="canceled", ended_at=NOW - 90 * DAY)
    last = sub(id="sub_b", status="canceled", ended_at=NOW - 10 * DAY)
    assert renewal_facts([last, first], now=NOW) == RenewalFacts(
        None, NOW - 10 * DAY, None, "sub_b"
    )


def test_no_subscriptions() -> None:
    assert renewal_facts([], now=NOW) == RenewalFacts(None, None, None, None)


@pytest.mark.parametrize(
    ("delta", "days"),
    [
        (timedelta(0), 0),
        (timedelta(seconds=1), 1),
        (timedelta(hours=23), 1),
        (DAY, 1),
        (DAY + timedelta(seconds=1), 2),
        (timedelta(days=30), 30),
        (-timedelta(hours=5), 0),
        (-timedelta(days=2), -2),
    ],
)
def test_days_until_rounds_up(delta: timedelta, days: int) -> None:
    assert days_until(NOW + delta, now=NOW) == days
