"""Per-currency totals: choosing the primary one, and converting with rates the user sets.

No rate is ever looked up: the caller passes ``rates`` (``currency -> units of the target
currency per unit``, in major units, e.g. ``{"eur": Decimal("1.08")}`` for a USD target).

>>> from decimal import Decimal
>>> totals = {"eur": Fraction(10000), "usd": Fraction(10000)}
>>> convert_exact(totals, "usd", {"eur": Decimal("1.08")}).format()
'$208.00'
>>> convert_exact({"jpy": Fraction(15000)}, "usd", {"jpy": Decimal("0.0067")}).format()
'$100.50'
>>> largest_total({"eur": 9000, "usd": 10000}, "usd")
Money(amount=10000, currency='usd')
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from stageline.domain.money import Money, minor_units_exponent, round_fraction

__all__ = ["MissingRateError", "convert_exact", "largest_total"]


class MissingRateError(ValueError):
    """A total is in a currency for which no rate to the target currency was set."""

    def __init__(self, currency: str, target: str) -> None:
        super().__init__(f"no rate set from {currency} to {target}")
        self.currency = currency
        self.target = target


def convert_exact(
    totals: Mapping[str, Fraction], target: str, rates: Mapping[str, Decimal]
) -> Money:
    """Sum exact minor-unit totals into ``target`` minor units, rounding once at the end.

    A currency converts to itself at 1 unless ``rates`` says otherwise; zero totals need no rate.
    """
    target = target.lower()
    target_scale = 10 ** minor_units_exponent(target)
    total = Fraction(0)
    for currency, amount in totals.items():
        if amount == 0:
            continue
        rate = rates.get(currency)
        if rate is None:
            if currency != target:
                raise MissingRateError(currency, target)
            rate = Decimal(1)
        major = amount / 10 ** minor_units_exponent(currency)
        total += major * Fraction(rate) * target_scale
    return Money(round_fraction(total), target)


def largest_total(totals: Mapping[str, int], default_currency: str = "usd") -> Money:
    """The largest total, comparing major units (so 100 JPY is less than 1 USD, not more).

    Ties go to ``default_currency``, then alphabetical order. No totals: zero in the default.
    """
    if not totals:
        return Money(0, default_currency)

    def rank(currency: str) -> tuple[Fraction, bool, str]:
        major = Fraction(totals[currency], 10 ** minor_units_exponent(currency))
        return (-major, currency != default_currency, currency)

    best = min(totals, key=rank)
    return Money(totals[best], best)
