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

from datetime import UTC, date, datetime

DAY = 86_400
WEEK = 7 * DAY
_FIXED = {"day": DAY, "week": WEEK}


_EPOCH = date(1970, 1, 1).toordinal()
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month - 1]


def _add_months(ts: int, months: int) -> int:
    days, seconds = divmod(ts, DAY)
    day = date.fromordinal(_EPOCH + days)
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    target = date(year, month + 1, min(day.day, _days_in(year, month + 1)))
    return (target.toordinal() - _EPOCH) * DAY + seconds


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
    start = _add_months(anchor, k * months)
    while k > 0 and start > moment:
        k -= 1
        start = _add_months(anchor, k * months)
    end = _add_months(anchor, (k + 1) * months)
    while end <= moment:
        k += 1
        start, end = end, _add_months(anchor, (k + 1) * months)
    return start, end
