"""Monthly recurring revenue per account, by the published definition in ``docs/mrr.md``.

Every subscription item becomes one explainable :class:`MrrLine`; the account's totals are the
exact per-currency sums of the counted lines, rounded once (half to even) to minor units.

>>> from datetime import UTC, datetime
>>> from decimal import Decimal
>>> now = datetime(2026, 1, 15, tzinfo=UTC)
>>> yearly = Price(id="price_y", currency="usd", unit_amount=Decimal(120000),
...                interval=Interval.YEAR)
>>> sub = Subscription(id="sub_1", customer_id="cus_1", status="active", currency="usd",
...                    items=(SubscriptionItem(id="si_1", price=yearly),), created=now)
>>> breakdown = account_mrr([sub], now=now)
>>> dict(breakdown.totals), breakdown.primary().format()
({'usd': 10000}, '$100.00')
>>> breakdown.lines[0].reason
'counted'
>>> account_mrr([replace(sub, status="trialing")], now=now).primary().format()
'$0.00'
>>> account_mrr([replace(sub, status="trialing")], now=now,
...             policy=MrrPolicy(count_trials=True)).primary().format()
'$100.00'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

from stageline.domain.billing import (
    Discount,
    Interval,
    Price,
    Subscription,
    SubscriptionItem,
    UsageType,
)
from stageline.domain.currency import convert_exact, largest_total
from stageline.domain.discounts import (
    covers_price,
    currency_mismatch,
    describe_discount,
    reduce_amounts,
    skip_reason,
)
from stageline.domain.money import Money, fraction_to_decimal, round_fraction
from stageline.domain.pricing import (
    PriceError,
    billed_quantity,
    normalization_factor,
    period_amount,
)

__all__ = [
    "COUNTED_STATUSES",
    "MrrBreakdown",
    "MrrLine",
    "MrrPolicy",
    "account_mrr",
    "monthly_amount",
    "subscription_lines",
    "subscription_status",
]

COUNTED_STATUSES = frozenset({"active", "past_due"})


@dataclass(frozen=True)
class MrrPolicy:
    """Workspace switches; the defaults are Stripe Billing's definition of MRR.

    - ``count_trials``: ``trialing`` subscriptions count at their price.
    - ``keep_scheduled_cancellations``: a scheduled cancellation counts until it takes effect
      (Stripe stops counting it as soon as it is scheduled).
    - ``apply_all_active_discounts``: every discount active at ``now`` reduces MRR, not only
      ``forever`` ones.
    """

    count_trials: bool = False
    keep_scheduled_cancellations: bool = False
    apply_all_active_discounts: bool = False

    @property
    def counted_statuses(self) -> frozenset[str]:
        return COUNTED_STATUSES | {"trialing"} if self.count_trials else COUNTED_STATUSES


@dataclass(frozen=True)
class MrrLine:
    """One subscription item's contribution, with everything needed to explain it.

    ``period_amount`` is minor units per billing period before discounts; ``monthly_amount`` is
    the normalized, discounted amount (0 when not counted), exact, or to 12 decimals when it has
    no finite decimal form; ``exact_monthly`` keeps the exact fraction the totals are summed from.
    """

    subscription_id: str
    item_id: str
    price_id: str
    product_id: str | None
    currency: str
    quantity: int | None
    interval: Interval | None
    interval_count: int
    unit_amount: Decimal | None
    period_amount: Decimal
    discount_note: str | None
    monthly_amount: Decimal
    counted: bool
    reason: str
    exact_monthly: Fraction = Fraction(0)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MrrBreakdown:
    """An account's MRR: the lines, and per-currency totals in integer minor units.

    ``totals`` lists every currency the account's subscriptions are in (0 when nothing counts).
    """

    lines: tuple[MrrLine, ...]
    totals: Mapping[str, int]
    exact_totals: Mapping[str, Fraction] = field(default_factory=lambda: MappingProxyType({}))

    def primary(self, default_currency: str = "usd") -> Money:
        """The total in the currency with the largest amount (major units compared); ties go to
        ``default_currency``, then alphabetical order; zero in ``default_currency`` when empty."""
        return largest_total(self.totals, default_currency)

    def in_currency(self, target: str, rates: Mapping[str, Decimal]) -> Money:
        """All currencies as one amount of ``target``, using the user's ``rates``.

        ``rates[c]`` is how many units of ``target`` one unit of ``c`` is worth. The exact sums are
        converted, then rounded once; a missing rate raises ``MissingRateError``.
        """
        exact = {c: self.exact_totals.get(c, Fraction(t)) for c, t in self.totals.items()}
        return convert_exact(exact, target, rates)

    def total(self, currency: str) -> Money:
        """The total in one currency (zero when the account has none in it)."""
        return Money(self.totals.get(currency, 0), currency)


def account_mrr(
    subscriptions: Iterable[Subscription],
    *,
    now: datetime,
    policy: MrrPolicy = MrrPolicy(),
    customer_discounts: Mapping[str, Discount] | None = None,
) -> MrrBreakdown:
    """The MRR of an account from all its subscriptions (of one or several customers).

    ``customer_discounts`` maps a customer id to its customer-level discount, which applies to
    that customer's subscriptions that have no subscription-level discount of their own.
    """
    lines: list[MrrLine] = []
    for subscription in subscriptions:
        customer_discount = (customer_discounts or {}).get(subscription.customer_id)
        lines.extend(
            subscription_lines(
                subscription, now=now, policy=policy, customer_discount=customer_discount
            )
        )
    lines.sort(key=lambda line: (line.subscription_id, line.item_id))
    exact: dict[str, Fraction] = {}
    for line in lines:
        exact[line.currency] = exact.get(line.currency, Fraction(0)) + line.exact_monthly
    ordered = dict(sorted(exact.items()))
    return MrrBreakdown(
        lines=tuple(lines),
        totals=MappingProxyType({c: round_fraction(v) for c, v in ordered.items()}),
        exact_totals=MappingProxyType(ordered),
    )


def monthly_amount(
    item: SubscriptionItem,
    subscription: Subscription,
    *,
    now: datetime,
    policy: MrrPolicy = MrrPolicy(),
    customer_discount: Discount | None = None,
) -> Decimal:
    """One item's monthly contribution (after its share of subscription-level discounts).

    >>> from datetime import UTC
    >>> price = Price(id="p", currency="usd", unit_amount=Decimal(1000), interval=Interval.WEEK)
    >>> item = SubscriptionItem(id="si", price=price)
    >>> sub = Subscription(id="s", customer_id="c", status="active", currency="usd",
    ...                    items=(item,), created=datetime(2026, 1, 1, tzinfo=UTC))
    >>> monthly_amount(item, sub, now=datetime(2026, 1, 2, tzinfo=UTC))
    Decimal('4333.333333333333')
    """
    if all(existing.id != item.id for existing in subscription.items):
        subscription = replace(subscription, items=(*subscription.items, item))
    lines = subscription_lines(
        subscription, now=now, policy=policy, customer_discount=customer_discount
    )
    return next(line.monthly_amount for line in lines if line.item_id == item.id)


def subscription_status(subscription: Subscription, *, now: datetime, policy: MrrPolicy) -> str:
    """``'counted'``, or why the whole subscription does not count toward MRR at ``now``."""
    if subscription.status not in policy.counted_statuses:
        return f"status {subscription.status} not counted"
    if not subscription.counts_as_scheduled_to_cancel:
        return "counted"
    if not policy.keep_scheduled_cancellations:
        return "scheduled to cancel"
    ends = subscription.cancel_at
    if ends is None and subscription.cancel_at_period_end:
        ends = subscription.earliest_period_end
    return "scheduled cancellation reached" if ends is not None and ends <= now else "counted"


def subscription_lines(
    subscription: Subscription,
    *,
    now: datetime,
    policy: MrrPolicy = MrrPolicy(),
    customer_discount: Discount | None = None,
) -> tuple[MrrLine, ...]:
    """One line per item of ``subscription``; item discounts apply before subscription ones."""
    currency = subscription.currency.lower()
    status_reason = subscription_status(subscription, now=now, policy=policy)
    excluded: dict[str, str] = {}
    base: dict[str, Fraction] = {}
    for item in subscription.items:
        amount_or_reason = _period_amount_or_reason(item)
        if isinstance(amount_or_reason, str):
            excluded[item.id] = amount_or_reason
        else:
            base[item.id] = amount_or_reason
    amounts = dict(base)
    discount_notes: dict[str, list[str]] = {item.id: [] for item in subscription.items}
    if status_reason == "counted":
        for item in subscription.items:
            for discount in item.discounts:
                _apply(discount, [item], amounts, discount_notes, now, policy, currency)
        level = subscription.discounts or ((customer_discount,) if customer_discount else ())
        for discount in level:
            _apply(discount, subscription.items, amounts, discount_notes, now, policy, currency)
    lines = []
    for item in subscription.items:
        price = item.price
        counted = item.id in amounts and status_reason == "counted"
        exact = amounts[item.id] * _factor(price) if counted else Fraction(0)
        lines.append(
            MrrLine(
                subscription_id=subscription.id,
                item_id=item.id,
                price_id=price.id,
                product_id=price.product_id,
                currency=currency,
                quantity=item.quantity,
                interval=price.interval,
                interval_count=price.interval_count,
                unit_amount=price.unit_amount,
                period_amount=fraction_to_decimal(base.get(item.id, Fraction(0))),
                discount_note="; ".join(discount_notes[item.id]) or None,
                monthly_amount=fraction_to_decimal(exact),
                counted=counted,
                reason=excluded.get(item.id, status_reason),
                exact_monthly=exact,
                notes=_price_notes(price, currency),
            )
        )
    return tuple(lines)


def _apply(
    discount: Discount,
    items: Iterable[SubscriptionItem],
    amounts: dict[str, Fraction],
    discount_notes: dict[str, list[str]],
    now: datetime,
    policy: MrrPolicy,
    currency: str,
) -> None:
    covered = [i for i in items if i.id in amounts and covers_price(discount.coupon, i.price)]
    if not covered:
        return
    why_not = skip_reason(discount, now=now, all_active=policy.apply_all_active_discounts)
    if why_not is None and currency_mismatch(discount.coupon, currency):
        why_not = f"coupon currency {discount.coupon.currency} is not {currency}"
    note = describe_discount(discount) + (f" not applied: {why_not}" if why_not else "")
    for item in covered:
        discount_notes[item.id].append(note)
    if why_not is None:
        reduced = reduce_amounts([amounts[i.id] for i in covered], discount, currency=currency)
        amounts.update((i.id, value) for i, value in zip(covered, reduced, strict=True))


def _period_amount_or_reason(item: SubscriptionItem) -> Fraction | str:
    """The item's exact amount per billing period, or why it is left out of MRR."""
    price = item.price
    if price.interval is None:
        return "one-time price excluded"
    if price.usage_type == UsageType.METERED:
        return "metered price excluded"
    try:
        normalization_factor(price.interval, price.interval_count)
        return period_amount(price, billed_quantity(item))
    except PriceError as error:
        return f"price cannot be computed: {error}"


def _factor(price: Price) -> Fraction:
    assert price.interval is not None
    return normalization_factor(price.interval, price.interval_count)


def _price_notes(price: Price, currency: str) -> tuple[str, ...]:
    notes = []
    if price.tax_behavior == "inclusive":
        notes.append("price includes tax (tax_behavior=inclusive): counted as billed")
    if price.currency.lower() != currency:
        notes.append(f"price currency {price.currency} is not the subscription's {currency}")
    return tuple(notes)
