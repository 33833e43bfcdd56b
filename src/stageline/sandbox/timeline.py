"""Billing periods on the calendar, the way Stripe steps them.

Months are counted from the billing cycle anchor, so a period anchored on the 31st ends
on the last day of shorter months and returns to the 31st after.

>>> jan31 = 1706659200  # 2024-01-31T00:00:00Z
>>> from datetime import UTC, datetime
>>> datetime.fromtimestamp(add_interval(jan31, "month", 1), UTC).date().isoformat()
'2024-02-29'
>>> period_containing(jan31, "month", 1, jan31 + 40 * DAY) == (
...     add_interval(jan31, "month", 1), add_interval(jan31, "month", 2))
True
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

DAY = 86_400
WEEK = 7 * DAY
_FIXED = {"day": DAY, "week": WEEK}


def _add_months(ts: int, months: int) -> int:
    moment = datetime.fromtimestamp(ts, UTC)
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return int(moment.replace(year=year, month=month + 1, day=day).timestamp())


def add_interval(anchor: int, interval: str, count: int, periods: int = 1) -> int:
    """``anchor`` moved ``periods`` billing periods of ``count`` × ``interval`` ahead."""
    if interval in _FIXED:
        return anchor + _FIXED[interval] * count * periods
    months = count * (12 if interval == "year" else 1)
    if interval not in ("month", "year"):
        raise ValueError(f"unknown interval: {interval}")
    return _add_months(anchor, months * periods)


def period_containing(anchor: int, interval: str, count: int, moment: int) -> tuple[int, int]:
    """The billing period ``[start, end)`` that contains ``moment`` (``moment >= anchor``)."""
    if moment < anchor:
        return anchor, add_interval(anchor, interval, count)
    if interval in _FIXED:
        length = _FIXED[interval] * count
        k = (moment - anchor) // length
        return anchor + k * length, anchor + (k + 1) * length
    months = count * (12 if interval == "year" else 1)
    a = datetime.fromtimestamp(anchor, UTC)
    m = datetime.fromtimestamp(moment, UTC)
    k = max(((m.year - a.year) * 12 + (m.month - a.month)) // months, 0)
    while k > 0 and _add_months(anchor, k * months) > moment:
        k -= 1
    while _add_months(anchor, (k + 1) * months) <= moment:
        k += 1
    return _add_months(anchor, k * months), _add_months(anchor, (k + 1) * months)


def periods_between(anchor: int, interval: str, count: int, moment: int) -> int:
    """How many whole periods started at or after ``anchor`` and before ``moment``."""
    start, _ = period_containing(anchor, interval, count, moment)
    n = 0
    probe = anchor
    while probe < start:
        n += 1
        probe = add_interval(anchor, interval, count, n)
    return n
