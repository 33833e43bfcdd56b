"""Billing period arithmetic: properties that must hold for any anchor and moment."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from stageline_sandbox.timeline import add_interval, period_containing

ANCHORS = st.integers(min_value=946_684_800, max_value=1_893_456_000)  # 2000..2030
INTERVALS = st.sampled_from([("day", 1), ("week", 2), ("month", 1), ("month", 3), ("year", 1)])


@given(ANCHORS, st.integers(min_value=0, max_value=10 * 366 * 86_400), INTERVALS)
def test_the_period_contains_the_moment_and_starts_on_the_anchor_grid(
    anchor: int, offset: int, interval: tuple[str, int]
) -> None:
    name, count = interval
    moment = anchor + offset
    start, end = period_containing(anchor, name, count, moment)
    assert start <= moment < end
    n = 0
    while add_interval(anchor, name, count, n) < start:
        n += 1
    assert add_interval(anchor, name, count, n) == start
    assert add_interval(anchor, name, count, n + 1) == end


@given(ANCHORS, st.integers(min_value=0, max_value=240))
def test_months_keep_the_anchor_day_or_the_month_end(anchor: int, months: int) -> None:
    before = datetime.fromtimestamp(anchor, UTC)
    after = datetime.fromtimestamp(add_interval(anchor, "month", 1, months), UTC)
    assert (after.hour, after.minute, after.second) == (before.hour, before.minute, before.second)
    assert after.day == before.day or after.day < before.day
    assert (after.year * 12 + after.month) - (before.year * 12 + before.month) == months
