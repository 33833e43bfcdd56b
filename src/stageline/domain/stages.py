"""Lifecycle stages: ordered rules on subscription data, evaluated per account.

An account takes the first rule, in precedence order, that **any** of its subscriptions
matches. Subscriptions that match no rule are reported (``unmatched_statuses``), never dropped.

>>> from datetime import UTC, datetime
>>> from stageline.domain.billing import Subscription
>>> def sub(id: str, status: str) -> Subscription:
...     return Subscription(id=id, customer_id="cus_1", status=status, currency="usd",
...                         items=(), created=datetime(2026, 1, 1, tzinfo=UTC))
>>> derive_stage([sub("sub_a", "canceled"), sub("sub_b", "trialing")])
StageResult(stage='Trial', subscription_id='sub_b', unmatched_statuses=())
>>> derive_stage([sub("sub_c", "paused")])
StageResult(stage=None, subscription_id=None, unmatched_statuses=('paused',))

Rules are workspace settings: :func:`rules_to_dict` and :func:`rules_from_dict` give their JSON
form. Stage history helpers live in :mod:`stageline.domain.stage_history` and are re-exported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from stageline.domain.billing import SUBSCRIPTION_STATUSES, Subscription
from stageline.domain.stage_history import (
    RuleChangePreview,
    StageTransition,
    preview_rule_change,
    stage_transition,
    time_by_stage,
    time_in_stage,
)

__all__ = [
    "DEFAULT_STAGE_RULES",
    "RuleChangePreview",
    "StageResult",
    "StageRule",
    "StageRules",
    "StageRulesError",
    "StageTransition",
    "derive_stage",
    "preview_rule_change",
    "rule_matches",
    "rules_from_dict",
    "rules_to_dict",
    "stage_transition",
    "time_by_stage",
    "time_in_stage",
]


def _empty_metadata() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class StageRule:
    """A stage and the subscription conditions that put an account in it.

    All given conditions must hold for one subscription: its status is one of ``statuses``;
    ``cancel_at_period_end`` (when not ``None``) equals whether it is *scheduled to cancel*
    (``cancel_at_period_end`` or ``cancel_at`` set, as Stripe treats both alike); when
    ``price_ids``/``product_ids`` are non-empty, one of its items has such a price/product;
    its metadata contains every ``metadata`` key with that value.
    """

    name: str
    statuses: frozenset[str]
    cancel_at_period_end: bool | None = None
    price_ids: frozenset[str] = frozenset()
    product_ids: frozenset[str] = frozenset()
    metadata: Mapping[str, str] = field(default_factory=_empty_metadata)

    def __post_init__(self) -> None:
        # Accept any iterable/mapping from callers, but keep the rule immutable.
        object.__setattr__(self, "statuses", frozenset(self.statuses))
        object.__setattr__(self, "price_ids", frozenset(self.price_ids))
        object.__setattr__(self, "product_ids", frozenset(self.product_ids))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def __hash__(self) -> int:
        return hash(
            (
                self.name,
                self.statuses,
                self.cancel_at_period_end,
                self.price_ids,
                self.product_ids,
                frozenset(self.metadata.items()),
            )
        )


@dataclass(frozen=True)
class StageRules:
    """Rules in precedence order: the first one any subscription matches wins."""

    rules: tuple[StageRule, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(rule.name for rule in self.rules)


DEFAULT_STAGE_RULES = StageRules(
    rules=(
        StageRule(
            name="Customer",
            statuses=frozenset(
                {"active", "incomplete", "incomplete_expired", "past_due", "unpaid"}
            ),
        ),
        StageRule(name="Trial", statuses=frozenset({"trialing"})),
        StageRule(name="Churn", statuses=frozenset({"canceled"})),
    )
)


@dataclass(frozen=True)
class StageResult:
    """The account's stage (``None`` when no rule matches), the subscription that decided it,
    and the statuses of subscriptions no rule matched (sorted, unique)."""

    stage: str | None
    subscription_id: str | None
    unmatched_statuses: tuple[str, ...]


def rule_matches(rule: StageRule, subscription: Subscription) -> bool:
    """True when ``subscription`` meets every condition of ``rule``."""
    if subscription.status not in rule.statuses:
        return False
    scheduled = subscription.counts_as_scheduled_to_cancel
    if rule.cancel_at_period_end is not None and rule.cancel_at_period_end != scheduled:
        return False
    prices = {item.price.id for item in subscription.items}
    if rule.price_ids and not rule.price_ids & prices:
        return False
    products = {item.price.product_id for item in subscription.items} - {None}
    if rule.product_ids and not rule.product_ids & products:
        return False
    return all(subscription.metadata.get(k) == v for k, v in rule.metadata.items())


def derive_stage(
    subscriptions: Iterable[Subscription], rules: StageRules = DEFAULT_STAGE_RULES
) -> StageResult:
    """The stage of an account holding ``subscriptions`` under ``rules``.

    When several subscriptions match the winning rule, the most recently created one (then the
    greatest id) is named, so the result does not depend on input order.
    """
    subs = sorted(subscriptions, key=lambda s: (s.created, s.id), reverse=True)
    unmatched = sorted({s.status for s in subs if not any(rule_matches(r, s) for r in rules.rules)})
    for rule in rules.rules:
        for subscription in subs:
            if rule_matches(rule, subscription):
                return StageResult(rule.name, subscription.id, tuple(unmatched))
    return StageResult(None, None, tuple(unmatched))


# --- The stored form: rules are workspace settings kept as JSON. ---

RULES_FORMAT_VERSION = 1
_RULE_KEYS = frozenset(
    {"name", "statuses", "cancel_at_period_end", "price_ids", "product_ids", "metadata"}
)


class StageRulesError(ValueError):
    """Stored or submitted stage rules that are not valid; the message names the problem."""


def rules_to_dict(rules: StageRules) -> dict[str, object]:
    """Plain JSON-ready data for ``rules`` (lists sorted, so equal rules give equal JSON).

    >>> rules_to_dict(DEFAULT_STAGE_RULES)["rules"][1]
    {'name': 'Trial', 'statuses': ['trialing'], 'cancel_at_period_end': None, 'price_ids': [], 'product_ids': [], 'metadata': {}}
    >>> rules_from_dict(rules_to_dict(DEFAULT_STAGE_RULES)) == DEFAULT_STAGE_RULES
    True
    """  # noqa: E501
    return {
        "version": RULES_FORMAT_VERSION,
        "rules": [
            {
                "name": rule.name,
                "statuses": sorted(rule.statuses),
                "cancel_at_period_end": rule.cancel_at_period_end,
                "price_ids": sorted(rule.price_ids),
                "product_ids": sorted(rule.product_ids),
                "metadata": dict(sorted(rule.metadata.items())),
            }
            for rule in rules.rules
        ],
    }


def rules_from_dict(data: Mapping[str, object]) -> StageRules:
    """Rules from their stored form; raises :class:`StageRulesError` naming what is wrong.

    >>> rules_from_dict({"rules": [{"name": "Customer", "statuses": ["actve"]}]})
    Traceback (most recent call last):
    ...
    stageline.domain.stages.StageRulesError: rule 1 ('Customer'): unknown status 'actve' (known: active, canceled, incomplete, incomplete_expired, past_due, paused, trialing, unpaid)
    """  # noqa: E501
    if not isinstance(data, Mapping):
        raise StageRulesError("stage rules must be an object with a 'rules' list")
    version = data.get("version", RULES_FORMAT_VERSION)
    if version != RULES_FORMAT_VERSION:
        raise StageRulesError(f"unsupported stage rules version {version!r}")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise StageRulesError("'rules' must be a non-empty list")
    rules = tuple(_rule_from_dict(raw, index) for index, raw in enumerate(raw_rules, start=1))
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise StageRulesError(f"stage name {rule.name!r} is used by more than one rule")
        seen.add(rule.name)
    return StageRules(rules=rules)


def _rule_from_dict(raw: object, index: int) -> StageRule:
    if not isinstance(raw, Mapping):
        raise StageRulesError(f"rule {index} must be an object")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise StageRulesError(f"rule {index}: 'name' must be a non-empty string")
    where = f"rule {index} ({name!r})"
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise StageRulesError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}")
    statuses = _strings(raw.get("statuses"), f"{where}: 'statuses'")
    if not statuses:
        raise StageRulesError(f"{where}: 'statuses' must list at least one status")
    for status in statuses:
        if status not in SUBSCRIPTION_STATUSES:
            known = ", ".join(sorted(SUBSCRIPTION_STATUSES))
            raise StageRulesError(f"{where}: unknown status {status!r} (known: {known})")
    flag = raw.get("cancel_at_period_end")
    if flag is not None and not isinstance(flag, bool):
        raise StageRulesError(f"{where}: 'cancel_at_period_end' must be true, false or null")
    metadata = raw.get("metadata") or {}
    if not isinstance(metadata, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise StageRulesError(f"{where}: 'metadata' must map strings to strings")
    return StageRule(
        name=name.strip(),
        statuses=frozenset(statuses),
        cancel_at_period_end=flag,
        price_ids=frozenset(_strings(raw.get("price_ids") or [], f"{where}: 'price_ids'")),
        product_ids=frozenset(_strings(raw.get("product_ids") or [], f"{where}: 'product_ids'")),
        metadata=metadata,
    )


def _strings(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StageRulesError(f"{what} must be a list of strings")
    return list(value)
