"""A workspace's business settings, stored as JSON on the workspace row.

>>> WorkspaceSettings.from_json({}).reporting_currency
'usd'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from stageline.domain.matching import MatchStrategy
from stageline.domain.mrr import MrrPolicy
from stageline.domain.stages import DEFAULT_STAGE_RULES, StageRules, rules_from_dict, rules_to_dict


@dataclass(frozen=True)
class WorkspaceSettings:
    reporting_currency: str = "usd"
    fx_rates: Mapping[str, Decimal] = field(default_factory=dict)
    fx_rates_date: str | None = None
    mrr_policy: MrrPolicy = field(default_factory=MrrPolicy)
    stage_rules: StageRules = DEFAULT_STAGE_RULES
    match_strategy: MatchStrategy | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WorkspaceSettings:
        policy = data.get("mrr_policy") or {}
        rules = data.get("stage_rules")
        return cls(
            reporting_currency=str(data.get("reporting_currency") or "usd"),
            fx_rates={k: Decimal(str(v)) for k, v in (data.get("fx_rates") or {}).items()},
            fx_rates_date=data.get("fx_rates_date"),
            mrr_policy=MrrPolicy(**{k: bool(v) for k, v in policy.items()}),
            stage_rules=rules_from_dict(rules) if rules else DEFAULT_STAGE_RULES,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "reporting_currency": self.reporting_currency,
            "fx_rates": {k: str(v) for k, v in self.fx_rates.items()},
            "fx_rates_date": self.fx_rates_date,
            "mrr_policy": {
                "count_trials": self.mrr_policy.count_trials,
                "keep_scheduled_cancellations": self.mrr_policy.keep_scheduled_cancellations,
                "apply_all_active_discounts": self.mrr_policy.apply_all_active_discounts,
            },
            "stage_rules": rules_to_dict(self.stage_rules),
        }
