"""The pure core: billing types, MRR, renewal dates, lifecycle stages and matching.

Nothing in this package performs I/O or reads the clock; callers pass ``now``.
A test fails if any module here imports an I/O library.

>>> from datetime import UTC, datetime
>>> from stageline.domain import account_mrr, derive_stage, renewal_facts
>>> now = datetime(2026, 1, 1, tzinfo=UTC)
>>> account_mrr([], now=now).primary().format(), derive_stage([]).stage, renewal_facts([], now=now)
('$0.00', None, RenewalFacts(renewal_date=None, ends_at=None, renews_in_days=None, subscription_id=None))

The published definitions are ``docs/mrr.md``, ``docs/stages.md`` and ``docs/matching.md``.
"""  # noqa: E501

from stageline.domain.currency import MissingRateError
from stageline.domain.matching import (
    DEFAULT_MATCH_STRATEGY,
    AccountRecord,
    CustomerMatch,
    EmailDomainStep,
    EmailStep,
    MatchReport,
    MatchStrategy,
    MatchStrategyError,
    MetadataStep,
    PropertyStep,
    UserRecord,
    match_customers,
    strategy_from_dict,
    strategy_to_dict,
)
from stageline.domain.money import Money
from stageline.domain.movements import Movement, MovementKind, classify_movement
from stageline.domain.mrr import MrrBreakdown, MrrLine, MrrPolicy, account_mrr, monthly_amount
from stageline.domain.pricing import PriceError
from stageline.domain.renewal import RenewalFacts, renewal_facts
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

__all__ = [
    "DEFAULT_MATCH_STRATEGY",
    "DEFAULT_STAGE_RULES",
    "AccountRecord",
    "CustomerMatch",
    "EmailDomainStep",
    "EmailStep",
    "MatchReport",
    "MatchStrategy",
    "MatchStrategyError",
    "MetadataStep",
    "MissingRateError",
    "Money",
    "Movement",
    "MovementKind",
    "MrrBreakdown",
    "MrrLine",
    "MrrPolicy",
    "PriceError",
    "PropertyStep",
    "RenewalFacts",
    "RuleChangePreview",
    "StageResult",
    "StageRule",
    "StageRules",
    "StageRulesError",
    "StageTransition",
    "UserRecord",
    "account_mrr",
    "classify_movement",
    "derive_stage",
    "match_customers",
    "monthly_amount",
    "preview_rule_change",
    "renewal_facts",
    "rules_from_dict",
    "rules_to_dict",
    "stage_transition",
    "strategy_from_dict",
    "strategy_to_dict",
    "time_by_stage",
    "time_in_stage",
]
