"""One account's facts from its customers' subscriptions, under the workspace's settings.

No I/O: the domain computes MRR, renewal and stage; this module applies the business settings
(reporting currency and FX rates, MRR and renewal sources) and says which basis it used.

``mrr_basis`` is one of:

- ``reporting_currency``: every non-zero total is already in the reporting currency;
- ``converted``: other currencies were converted with the user's rates (``fx_rates_date``);
- ``primary_currency``: a rate is missing, so the largest currency total is shown as is;
- ``property``: the account's property chosen as its MRR.

>>> from datetime import UTC, datetime
>>> values = account_values({}, [], [], WorkspaceSettings(), now=datetime(2026, 1, 1, tzinfo=UTC))
>>> values.mrr, values.mrr_basis, values.stage.stage
(Money(amount=0, currency='usd'), 'reporting_currency', None)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stageline.domain.billing import Customer, Discount, Subscription
from stageline.domain.money import Money
from stageline.domain.mrr import MrrBreakdown, account_mrr
from stageline.domain.renewal import RenewalFacts, renewal_facts
from stageline.domain.stages import StageResult, derive_stage
from stageline.facts.explain import mrr_lines
from stageline.facts.settings import WorkspaceSettings
from stageline.facts.sources import property_mrr, property_renewal

__all__ = ["AccountValues", "account_values", "reporting_mrr"]


@dataclass(frozen=True)
class AccountValues:
    """Everything stored about one account after a computation."""

    breakdown: MrrBreakdown
    renewal: RenewalFacts
    stage: StageResult
    mrr: Money
    mrr_basis: str
    mrr_note: str | None
    renewal_date: datetime | None
    renewal_basis: str
    renewal_note: str | None
    explanation: dict[str, Any]

    @property
    def totals(self) -> dict[str, int]:
        """Stripe MRR per currency (the ledger's basis)."""
        return dict(self.breakdown.totals)


def reporting_mrr(
    breakdown: MrrBreakdown, settings: WorkspaceSettings
) -> tuple[Money, str, str | None]:
    """The account's MRR in the reporting currency when possible, its basis and a note."""
    target = settings.reporting_currency
    others = sorted(c for c, v in breakdown.totals.items() if v and c != target)
    if not others:
        return breakdown.in_currency(target, {}), "reporting_currency", None
    missing = [c for c in others if c not in settings.fx_rates]
    if missing:
        primary = breakdown.primary(target)
        note = (
            f"no FX rate set for {', '.join(missing)} to {target}: "
            f"showing the largest currency total ({primary.currency})"
        )
        return primary, "primary_currency", note
    used = ", ".join(f"1 {c} = {settings.fx_rates[c]} {target}" for c in others)
    when = f" of {settings.fx_rates_date}" if settings.fx_rates_date else ""
    converted = breakdown.in_currency(target, settings.fx_rates)
    return converted, "converted", f"converted at the rates{when}: {used}"


def account_values(
    properties: Mapping[str, object],
    customers: Sequence[Customer],
    subscriptions: Sequence[Subscription],
    settings: WorkspaceSettings,
    *,
    now: datetime,
) -> AccountValues:
    """Compute an account's facts; ``properties`` are the account's own (for value sources)."""
    discounts: dict[str, Discount] = {c.id: c.discount for c in customers if c.discount is not None}
    breakdown = account_mrr(
        subscriptions, now=now, policy=settings.mrr_policy, customer_discounts=discounts
    )
    renewal = renewal_facts(subscriptions, now=now)
    stage = derive_stage(subscriptions, settings.stage_rules)
    mrr, basis, note = reporting_mrr(breakdown, settings)
    if settings.mrr_source.kind == "property":
        chosen, why_not = property_mrr(
            settings.mrr_source, properties, reporting_currency=settings.reporting_currency
        )
        if chosen is not None:
            mrr, basis, note = _converted_property(chosen, settings)
        else:
            note = f"{why_not}: Stripe's MRR used" + (f"; {note}" if note else "")
    renewal_date, renewal_basis, renewal_note = renewal.renewal_date, "stripe", None
    if settings.renewal_source.kind == "property":
        chosen_date, why_not = property_renewal(settings.renewal_source, properties)
        if chosen_date is not None:
            renewal_date, renewal_basis = chosen_date, "property"
        else:
            renewal_note = f"{why_not}: Stripe's renewal date used"
    explanation = {
        "mrr_lines": mrr_lines(breakdown, subscriptions),
        "mrr_basis": basis,
        "mrr_note": note,
        "renewal_basis": renewal_basis,
        "renewal_note": renewal_note,
        "stage_subscription_id": stage.subscription_id,
        "unmatched_statuses": list(stage.unmatched_statuses),
        "renewal_subscription_id": renewal.subscription_id,
    }
    return AccountValues(
        breakdown=breakdown,
        renewal=renewal,
        stage=stage,
        mrr=mrr,
        mrr_basis=basis,
        mrr_note=note,
        renewal_date=renewal_date,
        renewal_basis=renewal_basis,
        renewal_note=renewal_note,
        explanation=explanation,
    )


def _converted_property(chosen: Money, settings: WorkspaceSettings) -> tuple[Money, str, str]:
    target = settings.reporting_currency
    source = f"property {settings.mrr_source.property}"
    if chosen.currency == target or chosen.currency not in settings.fx_rates:
        return chosen, "property", f"from {source}"
    rate = settings.fx_rates[chosen.currency]
    converted = MrrBreakdown(lines=(), totals={chosen.currency: chosen.amount}).in_currency(
        target, settings.fx_rates
    )
    return converted, "property", f"from {source}, converted at 1 {chosen.currency} = {rate}"
