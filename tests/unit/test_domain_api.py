"""The domain's public surface is what ``stageline.domain`` exports; changing it is deliberate."""

from __future__ import annotations

import inspect

import stageline.domain
from stageline.domain import account_mrr, derive_stage, match_customers, renewal_facts

EXPORTED = {
    "DEFAULT_MATCH_STRATEGY", "DEFAULT_STAGE_RULES", "AccountRecord", "CustomerMatch",
    "EmailDomainStep", "EmailStep", "MatchReport", "MatchStrategy", "MatchStrategyError",
    "MetadataStep", "MissingRateError", "Money", "Movement", "MovementKind", "MrrBreakdown",
    "MrrLine", "MrrPolicy", "PriceError", "PropertyStep", "RenewalFacts", "RuleChangePreview",
    "StageResult", "StageRule", "StageRules", "StageRulesError", "StageTransition", "UserRecord",
    "account_mrr", "classify_movement", "derive_stage", "match_customers", "monthly_amount",
    "preview_rule_change", "renewal_facts", "rules_from_dict", "rules_to_dict",
    "stage_transition", "strategy_from_dict", "strategy_to_dict", "time_by_stage",
    "time_in_stage",
}  # fmt: skip


def test_public_names() -> None:
    assert set(stageline.domain.__all__) == EXPORTED
    assert all(hasattr(stageline.domain, name) for name in EXPORTED)


def test_signatures_others_code_against() -> None:
    assert str(inspect.signature(account_mrr)) == (
        "(subscriptions: 'Iterable[Subscription]', *, now: 'datetime', "
        "policy: 'MrrPolicy' = MrrPolicy(count_trials=False, keep_scheduled_cancellations=False, "
        "apply_all_active_discounts=False), "
        "customer_discounts: 'Mapping[str, Discount] | None' = None) -> 'MrrBreakdown'"
    )
    assert list(inspect.signature(renewal_facts).parameters) == ["subscriptions", "now"]
    assert list(inspect.signature(derive_stage).parameters) == ["subscriptions", "rules"]
    assert list(inspect.signature(match_customers).parameters) == [
        "customers",
        "accounts",
        "users",
        "strategy",
    ]


def test_errors_are_value_errors() -> None:
    for error in (
        stageline.domain.StageRulesError,
        stageline.domain.MatchStrategyError,
        stageline.domain.MissingRateError,
        stageline.domain.PriceError,
    ):
        assert issubclass(error, ValueError)
