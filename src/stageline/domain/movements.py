"""MRR movements: how an account's MRR changed between two computations, per currency.

The kinds follow the usual SaaS ledger (and Stripe's MRR growth formula):

- ``new``: the account had no MRR and never had any; now it has some;
- ``reactivation``: the account had no MRR but had some at an earlier time; now it has some;
- ``churn``: the account had MRR and now has none (in any currency);
- ``expansion`` / ``contraction``: the account had MRR and still has some; a currency whose
  total went up / down. An account switching currency shows a contraction in the old currency
  and an expansion in the new one (it did not churn).

``amount`` is the signed change in minor units (negative for churn and contraction).

>>> [str(m.kind) for m in classify_movement({}, {"usd": 4900}, had_mrr_before=False)]
['new']
>>> moves = classify_movement({"usd": 4900}, {"usd": 9800})
>>> str(moves[0].kind), moves[0].amount, moves[0].money.format()
('expansion', 4900, '$49.00')
>>> classify_movement({"usd": 4900}, {"usd": 0})[0].kind == "churn"
True
>>> classify_movement({"usd": 0}, {"usd": 4900}, had_mrr_before=True)[0].kind.value
'reactivation'
>>> classify_movement({"usd": 4900}, {"usd": 4900})
[]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from stageline.domain.money import Money

__all__ = ["Movement", "MovementKind", "classify_movement"]


class MovementKind(StrEnum):
    NEW = "new"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"
    REACTIVATION = "reactivation"


@dataclass(frozen=True)
class Movement:
    """One change of MRR in one currency; ``at`` and ``cause`` (e.g. an event id) are the
    caller's, carried along so the ledger row is complete."""

    kind: MovementKind
    currency: str
    amount: int
    previous_amount: int
    current_amount: int
    at: datetime | None = None
    cause: str | None = None

    @property
    def money(self) -> Money:
        """The size of the movement as money (always positive)."""
        return Money(abs(self.amount), self.currency)


def classify_movement(
    previous: Mapping[str, int],
    current: Mapping[str, int],
    *,
    had_mrr_before: bool = False,
    at: datetime | None = None,
    cause: str | None = None,
) -> list[Movement]:
    """The movements from ``previous`` to ``current`` per-currency totals, sorted by currency.

    ``had_mrr_before`` says whether the account had MRR at any time before ``previous``: it
    decides between ``new`` and ``reactivation`` when ``previous`` is all zero.
    """
    had_mrr = any(amount > 0 for amount in previous.values())
    has_mrr = any(amount > 0 for amount in current.values())
    movements = []
    for currency in sorted({*previous, *current}):
        before, after = previous.get(currency, 0), current.get(currency, 0)
        if before == after:
            continue
        kind = _kind(had_mrr, has_mrr, grew=after > before, had_mrr_before=had_mrr_before)
        movements.append(
            Movement(kind, currency, after - before, before, after, at=at, cause=cause)
        )
    return movements


def _kind(had_mrr: bool, has_mrr: bool, *, grew: bool, had_mrr_before: bool) -> MovementKind:
    if not had_mrr:
        return MovementKind.REACTIVATION if had_mrr_before else MovementKind.NEW
    if not has_mrr:
        return MovementKind.CHURN
    return MovementKind.EXPANSION if grew else MovementKind.CONTRACTION
