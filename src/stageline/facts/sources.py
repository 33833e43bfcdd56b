"""Business settings: which value is an account's MRR and which its renewal date.

By default both come from Stripe (the MRR of ``docs/mrr.md`` and the renewal date of its
subscriptions). A workspace may choose a property of the account instead; an account whose
property is missing or unreadable falls back to Stripe's value, and says so.

>>> source = ValueSource.parse("property:arr_override:year", what="MRR")
>>> str(source), source.property
('property:arr_override:year', 'arr_override')
>>> property_mrr(source, {"arr_override": "1200"}, reporting_currency="usd")
(Money(amount=10000, currency='usd'), None)
>>> property_renewal(ValueSource.parse("property:renews", what="renewal date"),
...                  {"renews": "2026-03-01"})[0].isoformat()
'2026-03-01T00:00:00+00:00'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Literal

from stageline.domain.money import Money, minor_units_exponent, round_fraction
from stageline.errors import InvalidInput

__all__ = ["STRIPE", "ValueSource", "property_mrr", "property_renewal"]

_AMOUNT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]{3})?\s*$")
_FORMS = "'stripe', 'property:NAME' or, for MRR, 'property:NAME:year' (a yearly amount)"


@dataclass(frozen=True)
class ValueSource:
    """Where a value comes from: ``stripe``, or an account property (``period``: for an MRR
    property, whether it holds a monthly or a yearly amount)."""

    kind: Literal["stripe", "property"] = "stripe"
    property: str | None = None
    period: Literal["month", "year"] = "month"

    @classmethod
    def parse(cls, text: str, *, what: str, allow_period: bool = True) -> ValueSource:
        """``stripe``, ``property:NAME`` or ``property:NAME:month|year``; ``InvalidInput``
        naming the accepted forms otherwise."""
        parts = [part.strip() for part in str(text).strip().split(":")]
        if parts == ["stripe"]:
            return cls()
        if parts[0] == "property" and len(parts) in (2, 3) and parts[1]:
            period = parts[2] if len(parts) == 3 else "month"
            if period == "month" or (period == "year" and allow_period):
                return cls("property", parts[1], "year" if period == "year" else "month")
        forms = _FORMS if allow_period else "'stripe' or 'property:NAME'"
        raise InvalidInput(f"unknown {what} source {text!r}", hint=f"use {forms}")

    def __str__(self) -> str:
        if self.kind == "stripe":
            return "stripe"
        suffix = ":year" if self.period == "year" else ""
        return f"property:{self.property}{suffix}"


STRIPE = ValueSource()


def property_mrr(
    source: ValueSource, properties: Mapping[str, object], *, reporting_currency: str
) -> tuple[Money | None, str | None]:
    """The MRR an account's property gives, or ``None`` and why it cannot be used.

    The property holds an amount in major units (``"99.50"``), optionally followed by a
    currency code (``"99.50 eur"``); without one it is in the reporting currency. A yearly
    amount is divided by 12, then rounded once (half to even).
    """
    assert source.property is not None
    raw = properties.get(source.property)
    if raw is None or str(raw).strip() == "":
        return None, f"property {source.property!r} is not set"
    found = _AMOUNT.match(str(raw).replace(",", "").replace("_", ""))
    if found is None:
        return None, f"property {source.property!r} is not an amount: {raw!r}"
    currency = (found.group(2) or reporting_currency).lower()
    try:
        major = Fraction(Decimal(found.group(1)))
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        return None, f"property {source.property!r} is not an amount: {raw!r}"
    if major < 0:
        return None, f"property {source.property!r} is negative: {raw!r}"
    monthly = major / 12 if source.period == "year" else major
    return Money(round_fraction(monthly * 10 ** minor_units_exponent(currency)), currency), None


def property_renewal(
    source: ValueSource, properties: Mapping[str, object]
) -> tuple[datetime | None, str | None]:
    """The renewal date an account's property gives (an ISO 8601 date or date-time; a date is
    midnight UTC, a date-time without offset is UTC), or ``None`` and why not."""
    assert source.property is not None
    raw = properties.get(source.property)
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None, f"property {source.property!r} is not set"
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC), None
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, f"property {source.property!r} is not an ISO 8601 date: {raw!r}"
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)), None
