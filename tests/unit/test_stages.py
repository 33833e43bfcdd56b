"""Stage rules: the default table, precedence, custom conditions, history and stored form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from stageline.domain.billing import SUBSCRIPTION_STATUSES
from stageline.domain.stages import (
    DEFAULT_STAGE_RULES,
    RuleChangePreview,
    StageResult,
    StageRule,
    StageRules,
    StageRulesError,
    StageTransition,
    derive_stage,
    preview_rule_change,
    rules_from_dict,
    rules_to_dict,
    stage_transition,
    time_by_stage,
    time_in_stage,
)

from .builders import LATER, NOW, item, price, sub

DEFAULT_TABLE = {
    "active": "Customer",
    "incomplete": "Customer",
    "incomplete_expired": "Customer",
    "past_due": "Customer",
    "unpaid": "Customer",
    "trialing": "Trial",
    "canceled": "Churn",
    "paused": None,
}


def test_default_table_covers_every_stripe_status() -> None:
    assert set(DEFAULT_TABLE) == set(SUBSCRIPTION_STATUSES)


@pytest.mark.parametrize(("status", "stage"), DEFAULT_TABLE.items())
def test_default_rules_for_each_status(status: str, stage: str | None) -> None:
    result = derive_stage([sub(status=status)])
    unmatched = () if stage else (status,)
    assert result == StageResult(stage, "sub_1" if stage else None, unmatched)


@pytest.mark.parametrize(
    ("statuses", "stage"),
    [
        (("canceled", "trialing"), "Trial"),
        (("trialing", "active"), "Customer"),
        (("canceled", "unpaid"), "Customer"),
        (("canceled", "canceled"), "Churn"),
        (("incomplete_expired", "trialing"), "Customer"),
    ],
)
def test_precedence_customer_then_trial_then_churn(statuses: tuple[str, ...], stage: str) -> None:
    subs = [sub(status=s, id=f"sub_{n}") for n, s in enumerate(statuses)]
    assert derive_stage(subs).stage == stage
    assert derive_stage(reversed(subs)).stage == stage


def test_paused_is_reported_not_dropped() -> None:
    result = derive_stage([sub(status="active", id="sub_a"), sub(status="paused", id="sub_p")])
    assert result == StageResult("Customer", "sub_a", ("paused",))


def test_no_subscriptions_no_stage() -> None:
    assert derive_stage([]) == StageResult(None, None, ())


def test_deciding_subscription_is_the_newest_matching_one() -> None:
    old = sub(id="sub_old", created=NOW - timedelta(days=400))
    new = sub(id="sub_new", created=NOW)
    assert derive_stage([new, old]).subscription_id == "sub_new"
    assert derive_stage([old, new]).subscription_id == "sub_new"


CUSTOM = StageRules(
    rules=(
        StageRule("Canceling", frozenset({"active", "trialing"}), cancel_at_period_end=True),
        StageRule("Enterprise", frozenset({"active"}), product_ids=frozenset({"prod_ent"})),
        StageRule("Partner", frozenset({"active"}), metadata={"channel": "partner"}),
        StageRule("Legacy", frozenset({"active"}), price_ids=frozenset({"price_old"})),
        StageRule("Customer", frozenset({"active", "past_due"})),
    )
)


@pytest.mark.parametrize(
    ("subscription", "stage"),
    [
        (sub(cancel_at_period_end=True), "Canceling"),
        (sub(cancel_at=LATER), "Canceling"),
        (sub(status="trialing", cancel_at=LATER), "Canceling"),
        (sub(item(price(product="prod_ent"))), "Enterprise"),
        (sub(metadata={"channel": "partner"}), "Partner"),
        (sub(metadata={"channel": "direct"}), "Customer"),
        (sub(item(price(id="price_old"))), "Legacy"),
        (sub(status="past_due"), "Customer"),
        (sub(status="trialing"), None),
    ],
)
def test_custom_rule_conditions(subscription: Any, stage: str | None) -> None:
    assert derive_stage([subscription], CUSTOM).stage == stage


def test_status_covered_but_conditions_unmet_is_reported() -> None:
    rules = StageRules((StageRule("Enterprise", frozenset({"active"}), product_ids={"prod_e"}),))
    assert derive_stage([sub()], rules) == StageResult(None, None, ("active",))


def test_rules_round_trip_through_plain_data() -> None:
    for rules in (DEFAULT_STAGE_RULES, CUSTOM):
        assert rules_from_dict(rules_to_dict(rules)) == rules


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be an object"),
        ({"rules": []}, "non-empty list"),
        ({"version": 2, "rules": [{"name": "A", "statuses": ["active"]}]}, "version 2"),
        ({"rules": ["x"]}, "rule 1 must be an object"),
        ({"rules": [{"statuses": ["active"]}]}, "'name' must be a non-empty string"),
        ({"rules": [{"name": "A", "statuses": []}]}, "at least one status"),
        ({"rules": [{"name": "A", "statuses": "active"}]}, "list of strings"),
        ({"rules": [{"name": "A", "statuses": ["cancelled"]}]}, "unknown status 'cancelled'"),
        ({"rules": [{"name": "A", "statuses": ["active"], "colour": 1}]}, "unknown field"),
        (
            {"rules": [{"name": "A", "statuses": ["active"], "cancel_at_period_end": "yes"}]},
            "true, false or null",
        ),
        ({"rules": [{"name": "A", "statuses": ["active"], "metadata": {"k": 1}}]}, "strings"),
        (
            {
                "rules": [
                    {"name": "A", "statuses": ["active"]},
                    {"name": "A", "statuses": ["paused"]},
                ]
            },
            "more than one rule",
        ),
    ],
)
def test_invalid_rules_raise_a_named_error(data: Any, message: str) -> None:
    with pytest.raises(StageRulesError, match=message) as raised:
        rules_from_dict(data)
    assert isinstance(raised.value, ValueError)


def test_stage_transitions_and_time_in_stage() -> None:
    assert stage_transition("Customer", "Customer", at=NOW, cause="evt_1") is None
    start = stage_transition(None, "Trial", at=NOW - timedelta(days=20), cause="evt_1")
    converted = stage_transition("Trial", "Customer", at=NOW - timedelta(days=6), cause="evt_2")
    assert converted == StageTransition("Trial", "Customer", NOW - timedelta(days=6), "evt_2")
    assert start is not None and converted is not None
    history = [converted, start]
    assert time_in_stage(history, NOW) == timedelta(days=6)
    assert time_in_stage([], NOW) is None
    assert time_by_stage(history, NOW) == {
        "Trial": timedelta(days=14),
        "Customer": timedelta(days=6),
    }


def test_preview_counts_moves() -> None:
    current = {1: "Customer", 2: "Trial", 3: None, 4: "Churn"}
    proposed = {1: "Customer", 2: "Customer", 3: "Paused", 5: "Trial"}
    preview = preview_rule_change(current, proposed)
    assert preview == RuleChangePreview(
        moves={
            ("Trial", "Customer"): 1,
            (None, "Paused"): 1,
            ("Churn", None): 1,
            (None, "Trial"): 1,
        },
        unchanged=1,
    )
    assert (preview.moved, preview.total) == (4, 5)
