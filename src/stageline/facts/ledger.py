"""What a recompute writes besides the facts: the change log, the MRR ledger, stage history.

- ``fact_changes``: every change of MRR, stage or renewal date (old value, new value, cause);
- ``mrr_movements``: the change of Stripe MRR per currency, classified by
  ``domain.movements.classify_movement`` (new, expansion, contraction, churn, reactivation);
- ``stage_transitions``: from, to, when and cause (``domain.stage_history.stage_transition``).

Each change is one revision of the account's facts: every row it writes carries the
revision, and a revision is written once (``store.facts.flush_changes``), so two recomputes
racing from the same facts cannot both log their change. Re-applying the same facts writes
nothing. Writing requires the workspace lock
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
    revision: int
    """The revision of the facts after this change (unchanged when nothing changed)."""


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
    revision: int,
    movement_cause: str | None = None,
) -> Recorded:
    """Log what changed from ``old`` (``None``: first computation) to ``new``.

    ``had_mrr_before`` says whether the account ever had MRR before ``old``; it tells a
    reactivation from a new account. ``revision`` is the revision of the stored facts ``old``
    was read from; a change is logged as ``revision + 1``. The rows are written by the next
    ``store.facts.flush_changes``: ``ConcurrentChange`` if another transaction logged that
    revision first. ``movement_cause``, when given, is the MRR movements'
    cause instead of ``cause``.
    """
    require_workspace_lock(session, workspace_id=workspace_id, writer=f"ledger ({cause})")
    cause = cause[:200]
    movement_cause = (movement_cause or cause)[:200]
    before = old.logged() if old is not None else _NOTHING
    after = new.logged()
    following = revision + 1
    changes = [
        FactChange(
            workspace_id=workspace_id,
            account_id=account_id,
            revision=following,
            kind=kind,
            old_value={"value": before[kind]},
            new_value={"value": after[kind]},
            cause=cause,
            at=now,
        )
        for kind in FACT_KINDS
        if before[kind] != after[kind]
    ]
    if not changes:
        return Recorded(changed=False, movements=(), transition=None, revision=revision)
    movements = classify_movement(
        dict(old.totals) if old is not None else {},
        dict(new.totals),
        had_mrr_before=had_mrr_before,
        at=now,
        cause=movement_cause,
    )
    transition = stage_transition(
        old.stage if old is not None else None, new.stage, at=now, cause=cause
    )
    session.add_all(changes)
    for movement in movements:
        session.add(
            MrrMovement(
                workspace_id=workspace_id,
                account_id=account_id,
                revision=following,
                kind=str(movement.kind),
                currency=movement.currency,
                amount=movement.amount,
                previous_amount=movement.previous_amount,
                current_amount=movement.current_amount,
                cause=movement_cause,
                at=now,
            )
        )
    if transition is not None:
        session.add(
            StageTransitionRow(
                workspace_id=workspace_id,
                account_id=account_id,
                revision=following,
                from_stage=transition.from_stage,
                to_stage=transition.to_stage,
                cause=cause,
                at=now,
            )
        )
    return Recorded(
        changed=True, movements=tuple(movements), transition=transition, revision=following
    )
