"""Stage history: transitions, time in stage, and previews of a rule change.

Transitions are values the caller stores; nothing here writes anything.

>>> from datetime import UTC, datetime, timedelta
>>> at = datetime(2026, 2, 1, tzinfo=UTC)
>>> stage_transition("Trial", "Trial", at=at, cause="evt_1") is None
True
>>> moved = stage_transition("Trial", "Customer", at=at, cause="evt_2")
>>> moved
StageTransition(from_stage='Trial', to_stage='Customer', at=datetime.datetime(2026, 2, 1, 0, 0, tzinfo=datetime.timezone.utc), cause='evt_2')
>>> time_in_stage([moved], now=at + timedelta(days=3))
datetime.timedelta(days=3)
>>> preview_rule_change({1: "Customer", 2: None}, {1: "Customer", 2: "Paused"}).moved
1
"""  # noqa: E501

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

__all__ = [
    "RuleChangePreview",
    "StageTransition",
    "preview_rule_change",
    "stage_transition",
    "time_by_stage",
    "time_in_stage",
]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class StageTransition:
    """An account moved from one stage to another (``None``: no stage) at ``at``.

    ``cause`` says why: a Stripe event id, ``"rules changed"``, ``"backfill"``...
    """

    from_stage: str | None
    to_stage: str | None
    at: datetime
    cause: str | None


def stage_transition(
    previous: str | None, current: str | None, *, at: datetime, cause: str | None
) -> StageTransition | None:
    """The transition to record, or ``None`` when the stage did not change."""
    if previous == current:
        return None
    return StageTransition(from_stage=previous, to_stage=current, at=at, cause=cause)


def time_in_stage(history: Iterable[StageTransition], now: datetime) -> timedelta | None:
    """How long the account has been in its current stage: since its latest transition.

    ``None`` without history. Never negative (a transition dated after ``now`` gives zero).
    """
    latest = max(history, key=lambda t: t.at, default=None)
    if latest is None:
        return None
    return max(now - latest.at, timedelta(0))


def time_by_stage(history: Iterable[StageTransition], now: datetime) -> dict[str, timedelta]:
    """Total time spent in each stage, from the transitions (the current stage runs to ``now``).

    >>> from datetime import UTC
    >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
    >>> steps = [StageTransition(None, "Trial", t0, None),
    ...          StageTransition("Trial", "Customer", t0 + timedelta(days=14), None)]
    >>> time_by_stage(steps, now=t0 + timedelta(days=20))
    {'Trial': datetime.timedelta(days=14), 'Customer': datetime.timedelta(days=6)}
    >>> time_by_stage([], now=t0)
    {}
    """
    ordered = sorted(history, key=lambda t: t.at)
    if not ordered:
        return {}
    totals: dict[str, timedelta] = {}
    for transition, following in zip(ordered, [*ordered[1:], None], strict=True):
        if transition.to_stage is None:
            continue
        end = following.at if following is not None else max(now, transition.at)
        totals[transition.to_stage] = totals.get(transition.to_stage, timedelta(0)) + (
            end - transition.at
        )
    return totals


@dataclass(frozen=True)
class RuleChangePreview:
    """How many accounts a rule change would move, by ``(from_stage, to_stage)``."""

    moves: Mapping[tuple[str | None, str | None], int]
    unchanged: int

    @property
    def moved(self) -> int:
        return sum(self.moves.values())

    @property
    def total(self) -> int:
        return self.moved + self.unchanged


def preview_rule_change(
    current: Mapping[K, str | None], proposed: Mapping[K, str | None]
) -> RuleChangePreview:
    """Compare each account's stage now and under proposed rules (missing means no stage).

    >>> preview = preview_rule_change({"a": "Trial", "b": "Customer", "c": "Churn"},
    ...                               {"a": "Customer", "b": "Customer", "c": None})
    >>> sorted(preview.moves.items(), key=str), preview.unchanged
    ([(('Churn', None), 1), (('Trial', 'Customer'), 1)], 1)
    """
    moves: Counter[tuple[str | None, str | None]] = Counter()
    unchanged = 0
    for account in {*current, *proposed}:
        before, after = current.get(account), proposed.get(account)
        if before == after:
            unchanged += 1
        else:
            moves[(before, after)] += 1
    return RuleChangePreview(moves=dict(moves), unchanged=unchanged)
