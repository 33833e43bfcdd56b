"""MRR movements between two per-currency totals."""

from __future__ import annotations

import pytest

from stageline.domain.movements import Movement, MovementKind, classify_movement

from .builders import NOW

NEW, EXP, CON, CHURN, REACT = (
    MovementKind.NEW,
    MovementKind.EXPANSION,
    MovementKind.CONTRACTION,
    MovementKind.CHURN,
    MovementKind.REACTIVATION,
)


@pytest.mark.parametrize(
    ("previous", "current", "had_before", "expected"),
    [
        ({}, {"usd": 4900}, False, [(NEW, "usd", 4900)]),
        ({"usd": 0}, {"usd": 4900}, False, [(NEW, "usd", 4900)]),
        ({}, {"usd": 4900}, True, [(REACT, "usd", 4900)]),
        ({"usd": 4900}, {"usd": 14700}, True, [(EXP, "usd", 9800)]),
        ({"usd": 14700}, {"usd": 4900}, True, [(CON, "usd", -9800)]),
        ({"usd": 4900}, {"usd": 0}, True, [(CHURN, "usd", -4900)]),
        ({"usd": 4900}, {}, False, [(CHURN, "usd", -4900)]),
        ({"usd": 4900}, {"usd": 4900}, True, []),
        ({}, {}, False, []),
        ({"usd": 0}, {"eur": 0}, True, []),
        ({}, {"eur": 100, "usd": 200}, False, [(NEW, "eur", 100), (NEW, "usd", 200)]),
        ({"eur": 100, "usd": 200}, {}, True, [(CHURN, "eur", -100), (CHURN, "usd", -200)]),
        # Still paying, in another currency: no churn, no new business.
        ({"usd": 10000}, {"eur": 9000}, True, [(EXP, "eur", 9000), (CON, "usd", -10000)]),
        (
            {"eur": 100, "usd": 200},
            {"eur": 50, "usd": 300},
            True,
            [(CON, "eur", -50), (EXP, "usd", 100)],
        ),
    ],
)
def test_classify_movement(
    previous: dict[str, int],
    current: dict[str, int],
    had_before: bool,
    expected: list[tuple[MovementKind, str, int]],
) -> None:
    moves = classify_movement(previous, current, had_mrr_before=had_before)
    assert [(m.kind, m.currency, m.amount) for m in moves] == expected
    for move in moves:
        assert move.amount == move.current_amount - move.previous_amount


def test_movement_carries_time_and_cause() -> None:
    (move,) = classify_movement({}, {"usd": 4900}, at=NOW, cause="evt_123")
    assert move == Movement(NEW, "usd", 4900, 0, 4900, at=NOW, cause="evt_123")
    assert move.money.format() == "$49.00"
    (churn,) = classify_movement({"usd": 4900}, {})
    assert churn.money.format() == "$49.00"
