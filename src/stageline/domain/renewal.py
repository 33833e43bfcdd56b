"""The next date an account renews, or when it ends, from its subscriptions.

Rules (``docs/mrr.md`` and ``docs/stages.md`` link here):

- ``active`` and ``past_due`` subscriptions renew at their earliest item-level
  ``current_period_end`` (older payloads: the subscription-level field);
- ``trialing`` ones renew (first charge) at ``trial_end``, else at their period end;
- a subscription scheduled to cancel (``cancel_at_period_end`` or ``cancel_at``) does not renew:
  it ends at ``cancel_at``, else at its period end;
- ``unpaid`` (invoices are created and closed without collecting), ``incomplete`` (first payment
  not made), ``incomplete_expired``, ``canceled`` and ``paused`` ones do not renew.

The account renews at the earliest renewal over its subscriptions. ``ends_at`` is the earliest
scheduled end among subscriptions that will not renew; when nothing renews nor is scheduled, it
is the latest time a subscription ended (``ended_at``, else ``canceled_at``), or ``None``.
``renews_in_days`` rounds the time left **up** to whole days: 1 means "within the next 24 hours".

>>> from dataclasses import replace
>>> from datetime import UTC, datetime, timedelta
>>> from stageline.domain.billing import Interval, Price, SubscriptionItem
>>> now = datetime(2026, 3, 1, 12, tzinfo=UTC)
>>> price = Price(id="p", currency="usd", interval=Interval.MONTH)
>>> item = SubscriptionItem(id="si", price=price, current_period_end=now + timedelta(days=9.5))
>>> sub = Subscription(id="sub_1", customer_id="c", status="active", currency="usd",
...                    items=(item,), created=now)
>>> facts = renewal_facts([sub], now=now)
>>> facts.renewal_date.isoformat(), facts.renews_in_days, facts.ends_at
('2026-03-11T00:00:00+00:00', 10, None)
>>> renewal_facts([replace(sub, cancel_at_period_end=True)], now=now).ends_at.isoformat()
'2026-03-11T00:00:00+00:00'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from stageline.domain.billing import Subscription

__all__ = [
    "RENEWING_STATUSES",
    "RenewalFacts",
    "SubscriptionRenewal",
    "days_until",
    "renewal_facts",
    "subscription_renewal",
]

RENEWING_STATUSES = frozenset({"active", "past_due", "trialing"})
_ENDED_STATUSES = frozenset({"canceled", "incomplete_expired"})
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class RenewalFacts:
    """When the account renews next (and from which subscription), or when it ends."""

    renewal_date: datetime | None
    ends_at: datetime | None
    renews_in_days: int | None
    subscription_id: str | None


@dataclass(frozen=True)
class SubscriptionRenewal:
    """One subscription's renewal or end: at most one of the two is set."""

    subscription_id: str
    renews_at: datetime | None
    ends_at: datetime | None


def subscription_renewal(subscription: Subscription) -> SubscriptionRenewal:
    """When one subscription renews, or when it ends (or ended)."""
    status = subscription.status
    if status in _ENDED_STATUSES:
        ended = subscription.ended_at or subscription.canceled_at
        return SubscriptionRenewal(subscription.id, None, ended)
    if status not in RENEWING_STATUSES:
        return SubscriptionRenewal(subscription.id, None, None)
    period_end = subscription.earliest_period_end
    if status == "trialing":
        period_end = subscription.trial_end or period_end
    if subscription.counts_as_scheduled_to_cancel:
        ends_at = subscription.cancel_at or period_end
        return SubscriptionRenewal(subscription.id, None, ends_at)
    return SubscriptionRenewal(subscription.id, period_end, None)


def renewal_facts(subscriptions: Iterable[Subscription], *, now: datetime) -> RenewalFacts:
    """The account's renewal facts at ``now`` (see the module docstring for the rules)."""
    renewals = [subscription_renewal(s) for s in subscriptions]
    renewing = [r for r in renewals if r.renews_at is not None]
    if renewing:
        first = min(renewing, key=lambda r: (r.renews_at, r.subscription_id))
        assert first.renews_at is not None
        return RenewalFacts(
            renewal_date=first.renews_at,
            ends_at=_earliest_scheduled_end(renewals, now),
            renews_in_days=days_until(first.renews_at, now=now),
            subscription_id=first.subscription_id,
        )
    scheduled = [r for r in renewals if r.ends_at is not None and r.ends_at > now]
    if scheduled:
        first = min(scheduled, key=lambda r: (r.ends_at, r.subscription_id))
        return RenewalFacts(None, first.ends_at, None, first.subscription_id)
    ended = [r for r in renewals if r.ends_at is not None]
    if ended:
        last = max(ended, key=lambda r: (r.ends_at, r.subscription_id))
        return RenewalFacts(None, last.ends_at, None, last.subscription_id)
    return RenewalFacts(None, None, None, None)


def days_until(moment: datetime, *, now: datetime) -> int:
    """Whole days from ``now`` to ``moment``, rounded up (negative when ``moment`` is past).

    >>> from datetime import UTC
    >>> now = datetime(2026, 1, 1, tzinfo=UTC)
    >>> days_until(now + timedelta(hours=1), now=now), days_until(now, now=now)
    (1, 0)
    """
    return -((now - moment) // _DAY)


def _earliest_scheduled_end(renewals: list[SubscriptionRenewal], now: datetime) -> datetime | None:
    upcoming = [r.ends_at for r in renewals if r.ends_at is not None and r.ends_at > now]
    return min(upcoming) if upcoming else None
