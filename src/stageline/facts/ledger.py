"""What a recompute writes besides the facts: the change log, the MRR ledger, stage history.

- ``fact_changes``: every change of MRR, stage or renewal date (old value, new value, cause);
- ``mrr_movements``: the change of Stripe MRR per currency, classified by
  ``domain.movements.classify_movement`` (new, expansion, contraction, churn, reactivation);
- ``stage_transitions``: from, to, when and cause (``domain.stage_history.stage_transition``).

Re-applying the same facts writes nothing. Writing requires the workspace lock
(``store.locks.lock_workspace``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from stageline.domain.movements import Movement, classify_movement
from stageline.domain.stage_history import StageTransition, stage_transition
from stageline.store.locks import require_workspace_lock
from stageline.store.models import FactChange, MrrMovement
from stageline.store.models import StageTransition as StageTransitionRow

__all__ = ["Recorded", "Snapshot", "record_changes"]

FACT_KINDS = ("mrr", "stage", "renewal_date")


@dataclass(frozen=True)
class Snapshot:
    """The values of an account that the change log compares."""

    totals: Mapping[str, int]
    amount: int
    currency: str
    stage: str | None
    renewal_date: datetime | None

    def logged(self) -> dict[str, Any]:
        return {
            "mrr": {"totals": dict(self.totals), "amount": self.amount, "currency": self.currency},
            "stage": self.stage,
            "renewal_date": self.renewal_date.isoformat() if self.renewal_date else None,
        }


_NOTHING: dict[str, Any] = {"mrr": None, "stage": None, "renewal_date": None}


@dataclass(frozen=True)
class Recorded:
    changed: bool
    movements: tuple[Movement, ...]
    transition: StageTransition | None


def record_changes(
    session: Session,
    *,
    workspace_id: str,
    account_id: int,
    old: Snapshot | None,
    new: Snapshot,
    had_mrr_before: bool,
    now: datetime,
    cause: str,
) -> Recorded:
    """Log what changed from ``old`` (``None``: first computation) to ``new``.

    ``had_mrr_before`` says whether the account ever had MRR before ``old``; it tells a
    reactivation from a new account.
    """
    require_workspace_lock(session, workspace_id=workspace_id, writer=f"ledger ({cause})")
    cause = cause[:200]
    before = old.logged() if old is not None else _NOTHING
    after = new.logged()
    changed = False
    for kind in FACT_KINDS:
        if before[kind] != after[kind]:
            session.add(
                FactChange(
                    workspace_id=workspace_id,
                    account_id=account_id,
                    kind=kind,
                    old_value={"value": before[kind]},
                    new_value={"value": after[kind]},
                    cause=cause,
                    at=now,
                )
            )
            changed = True
    movements = classify_movement(
        dict(old.totals) if old is not None else {},
        dict(new.totals),
        had_mrr_before=had_mrr_before,
        at=now,
        cause=cause,
    )
    for movement in movements:
        session.add(
            MrrMovement(
                workspace_id=workspace_id,
                account_id=account_id,
                kind=str(movement.kind),
                currency=movement.currency,
                amount=movement.amount,
                previous_amount=movement.previous_amount,
                current_amount=movement.current_amount,
                cause=cause,
                at=now,
            )
        )
    transition = stage_transition(
        old.stage if old is not None else None, new.stage, at=now, cause=cause
    )
    if transition is not None:
        session.add(
            StageTransitionRow(
                workspace_id=workspace_id,
                account_id=account_id,
                from_stage=transition.from_stage,
                to_stage=transition.to_stage,
                cause=cause,
                at=now,
            )
        )
    return Recorded(changed=changed, movements=tuple(movements), transition=transition)
