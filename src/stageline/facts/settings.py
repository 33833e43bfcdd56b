"""A workspace's business settings, stored as JSON on the workspace row.

Everything here is validated when read from JSON, so a stored or submitted setting that is not
valid is refused with an ``InvalidInput`` naming the problem.

>>> settings = WorkspaceSettings.from_json({})
>>> settings.reporting_currency, str(settings.mrr_source), settings.stage_rules.names
('usd', 'stripe', ('Customer', 'Trial', 'Churn'))
>>> settings.matching_for("conn_1", default_metadata_key="org").to_json()
{'steps': [{'type': 'metadata', 'key': 'org', 'target': 'account'}], 'create_missing': False}
>>> WorkspaceSettings.from_json(settings.to_json()) == settings
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

import pycountry

from stageline.domain.matching import (
    MatchStrategy,
    MatchStrategyError,
    MetadataStep,
    PropertyStep,
    Target,
    strategy_from_dict,
    strategy_to_dict,
)
from stageline.domain.mrr import MrrPolicy
from stageline.domain.stages import (
    DEFAULT_STAGE_RULES,
    StageRules,
    StageRulesError,
    rules_from_dict,
    rules_to_dict,
)
from stageline.errors import InvalidInput
from stageline.facts.sources import STRIPE, ValueSource
from stageline.names import check_name

__all__ = [
    "CREATED_PROPERTY",
    "ConnectionMatching",
    "WorkspaceSettings",
    "check_matching_names",
    "check_source_name",
    "check_stage_names",
    "parse_currency",
]

CREATED_PROPERTY = "stripe_customer_id"
POLICY_SWITCHES = ("count_trials", "keep_scheduled_cancellations", "apply_all_active_discounts")
_CURRENCY = re.compile(r"^[a-z]{3}$")
# Codes ISO 4217 withdrew lately that subscriptions and invoices billed before may still carry.
WITHDRAWN_CURRENCIES = frozenset(
    {
        "ang",  # Netherlands Antillean guilder, replaced by XCG in 2025
        "bgn",  # Bulgarian lev, replaced by EUR in 2026
        "hrk",  # Croatian kuna, replaced by EUR in 2023
        "sll",  # Sierra Leonean leone, replaced by SLE in 2022
        "std",  # São Tomé and Príncipe dobra, replaced by STN in 2018
        "vef",  # Venezuelan bolívar fuerte, replaced by VES in 2018
    }
)


def is_iso_currency(code: str) -> bool:
    """Whether ``code`` (any case) is an ISO 4217 currency, current or lately withdrawn.

    >>> is_iso_currency("eur"), is_iso_currency("XYZ"), is_iso_currency("bgn")
    (True, False, True)
    """
    lower = code.lower()
    return lower in WITHDRAWN_CURRENCIES or (
        _CURRENCY.match(lower) is not None
        and pycountry.currencies.get(alpha_3=lower.upper()) is not None
    )


def parse_currency(value: object, what: str = "currency", *, known: bool = True) -> str:
    """A lower-case ISO 4217 code, or ``InvalidInput``; ``known=False`` checks only its shape
    (for settings stored before codes were checked against ISO 4217)."""
    text = str(value or "").strip().lower()
    shown = repr(value)[:40]
    if not _CURRENCY.match(text):
        raise InvalidInput(
            f"{what} {shown} is not a 3-letter currency code",
            code="currency_invalid",
            hint="e.g. usd",
        )
    if known and not is_iso_currency(text):
        raise InvalidInput(
            f"{what} {shown} is not an ISO 4217 currency",
            code="currency_unknown",
            hint="e.g. usd, eur, gbp",
        )
    return text


@dataclass(frozen=True)
class ConnectionMatching:
    """How one Stripe connection's customers are matched, and whether unmatched ones create
    accounts (or users: the target of the first step)."""

    strategy: MatchStrategy
    create_missing: bool = False

    @property
    def created_target(self) -> str:
        """What unmatched customers become when ``create_missing`` is on."""
        return self.strategy.steps[0].target

    @property
    def created_property(self) -> str:
        """The property a created account/user keeps its Stripe customer id(s) in: the first
        property step's for that target, else ``stripe_customer_id``."""
        for step in self.strategy.steps:
            if isinstance(step, PropertyStep) and step.target == self.created_target:
                return step.property
        return CREATED_PROPERTY

    def effective_strategy(self) -> MatchStrategy:
        """The strategy as run: with ``create_missing``, a last step finds created records by
        the property holding their customer id, so they keep matching."""
        if not self.create_missing:
            return self.strategy
        target: Target = "user" if self.created_target == "user" else "account"
        last = PropertyStep(property=self.created_property, target=target)
        if last in self.strategy.steps:
            return self.strategy
        return MatchStrategy((*self.strategy.steps, last))

    def to_json(self) -> dict[str, Any]:
        return {**strategy_to_dict(self.strategy), "create_missing": self.create_missing}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConnectionMatching:
        if not isinstance(data, Mapping):
            raise InvalidInput("matching settings must be an object with 'steps'")
        unknown = sorted(set(data) - {"steps", "create_missing"})
        if unknown:
            raise InvalidInput(f"unknown matching field(s) {', '.join(unknown)}")
        create = data.get("create_missing", False)
        if not isinstance(create, bool):
            raise InvalidInput("'create_missing' must be true or false")
        try:
            strategy = strategy_from_dict({"steps": data.get("steps")})
        except MatchStrategyError as exc:
            raise InvalidInput(f"matching strategy: {exc}", hint="see docs/matching.md") from exc
        return cls(strategy=strategy, create_missing=create)


def _no_matching() -> Mapping[str, ConnectionMatching]:
    return MappingProxyType({})


def _no_rates() -> Mapping[str, Decimal]:
    return MappingProxyType({})


@dataclass(frozen=True)
class WorkspaceSettings:
    """Reporting currency and FX rates, MRR switches, value sources, stage rules, matching.

    ``fx_rates[c]`` is how many units of the reporting currency one unit of ``c`` is worth,
    as the user set them on ``fx_rates_date``; Stageline never looks rates up.
    """

    reporting_currency: str = "usd"
    fx_rates: Mapping[str, Decimal] = field(default_factory=_no_rates)
    fx_rates_date: str | None = None
    mrr_policy: MrrPolicy = field(default_factory=MrrPolicy)
    stage_rules: StageRules = DEFAULT_STAGE_RULES
    matching: Mapping[str, ConnectionMatching] = field(default_factory=_no_matching)
    mrr_source: ValueSource = STRIPE
    renewal_source: ValueSource = STRIPE

    def matching_for(
        self, connection_id: str, *, default_metadata_key: str = "account_id"
    ) -> ConnectionMatching:
        """The connection's matching; by default ``metadata[<its metadata key>]`` → account."""
        found = self.matching.get(connection_id)
        if found is not None:
            return found
        return ConnectionMatching(MatchStrategy((MetadataStep(key=default_metadata_key),)))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WorkspaceSettings:
        """Settings from their stored form (missing keys take their defaults)."""
        policy = data.get("mrr_policy") or {}
        unknown = sorted(set(policy) - set(POLICY_SWITCHES))
        if unknown:
            raise InvalidInput(f"unknown MRR switch(es) {', '.join(unknown)}")
        rules = data.get("stage_rules")
        try:
            stage_rules = rules_from_dict(rules) if rules else DEFAULT_STAGE_RULES
        except StageRulesError as exc:
            raise InvalidInput(f"stage rules: {exc}", hint="see docs/stages.md") from exc
        rates_date = data.get("fx_rates_date")
        return cls(
            reporting_currency=parse_currency(data.get("reporting_currency") or "usd", known=False),
            fx_rates=parse_rates(data.get("fx_rates") or {}, known=False),
            fx_rates_date=parse_rates_date(rates_date) if rates_date else None,
            mrr_policy=MrrPolicy(**{k: bool(v) for k, v in policy.items()}),
            stage_rules=stage_rules,
            matching=MappingProxyType(
                {
                    str(conn): ConnectionMatching.from_json(value)
                    for conn, value in (data.get("matching") or {}).items()
                }
            ),
            mrr_source=ValueSource.parse(data.get("mrr_source") or "stripe", what="MRR"),
            renewal_source=ValueSource.parse(
                data.get("renewal_source") or "stripe", what="renewal date", allow_period=False
            ),
        )

    def to_json(self) -> dict[str, Any]:
        """The stored form (stable keys; rates as decimal strings)."""
        return {
            "reporting_currency": self.reporting_currency,
            "fx_rates": {k: str(v) for k, v in sorted(self.fx_rates.items())},
            "fx_rates_date": self.fx_rates_date,
            "mrr_policy": {name: getattr(self.mrr_policy, name) for name in POLICY_SWITCHES},
            "mrr_source": str(self.mrr_source),
            "renewal_source": str(self.renewal_source),
            "stage_rules": rules_to_dict(self.stage_rules),
            "matching": {conn: m.to_json() for conn, m in sorted(self.matching.items())},
        }


def parse_rates(raw: Mapping[str, Any], *, known: bool = True) -> Mapping[str, Decimal]:
    """``{"eur": "1.08"}`` → validated positive decimal rates keyed by lower-case currency
    (ISO 4217 codes; ``known=False``: any 3-letter code, as :func:`parse_currency`)."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("'fx_rates' must map currency codes to rates")
    rates: dict[str, Decimal] = {}
    for currency, value in raw.items():
        code = parse_currency(currency, "FX rate currency", known=known)
        try:
            rate = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise InvalidInput(f"FX rate for {code} is not a number: {value!r}") from exc
        if not rate.is_finite() or rate <= 0:
            raise InvalidInput(f"FX rate for {code} must be a positive number, got {value!r}")
        rates[code] = rate
    return MappingProxyType(dict(sorted(rates.items())))


def parse_rates_date(value: object) -> str:
    """An ISO date (``2026-01-31``), or ``InvalidInput``."""
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError as exc:
        raise InvalidInput(f"FX rates date {value!r} is not a date", hint="use YYYY-MM-DD") from exc


def check_stage_names(rules: StageRules) -> None:
    """Submitted stage names (and the metadata keys rules look at) are at most
    ``MAX_NAME_LENGTH`` characters (``InvalidInput``)."""
    for index, rule in enumerate(rules.rules, start=1):
        check_name(rule.name, f"rule {index}: the stage name", param=f"rules.{index - 1}.name")
        for key in rule.metadata:
            check_name(key, f"rule {index}: a metadata key", param=f"rules.{index - 1}.metadata")


def check_source_name(source: ValueSource, what: str) -> ValueSource:
    """A submitted value source's property name is a name too."""
    if source.property is not None:
        check_name(source.property, f"the {what} source's property name")
    return source


def check_matching_names(matching: ConnectionMatching) -> None:
    """Property names and metadata keys of submitted matching steps are names too."""
    for index, step in enumerate(matching.strategy.steps, start=1):
        if isinstance(step, PropertyStep):
            check_name(step.property, f"step {index}: the property name")
        elif isinstance(step, MetadataStep):
            check_name(step.key, f"step {index}: the metadata key")
