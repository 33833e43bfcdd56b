"""Money as integer minor units plus an ISO 4217 currency code.

>>> Money(14700, "usd").format()
'$147.00'
>>> Money(100, "jpy").format()
'¥100'
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf",
        "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    }
)  # fmt: skip

_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$"}


def minor_units_exponent(currency: str) -> int:
    """Number of decimal places of a currency's minor unit (``usd`` → 2, ``jpy`` → 0)."""
    return 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2


def round_minor(amount: Decimal) -> int:
    """Round an exact amount of minor units once, half to even (banker's rounding)."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def round_fraction(amount: Fraction) -> int:
    """Round an exact fraction of minor units once, half to even, like :func:`round_minor`.

    >>> round_fraction(Fraction(13000, 3)), round_fraction(Fraction(5, 2))
    (4333, 2)
    """
    return round(amount)


def fraction_to_decimal(amount: Fraction, places: int = 12) -> Decimal:
    """A fraction as a Decimal: exact when it has a finite decimal form, else ``places`` decimals.

    >>> fraction_to_decimal(Fraction(49, 4)), fraction_to_decimal(Fraction(1, 3), places=4)
    (Decimal('12.25'), Decimal('0.3333'))
    """
    denominator = amount.denominator
    for factor in (2, 5):
        while denominator % factor == 0:
            denominator //= factor
    with localcontext() as context:
        context.prec = len(str(abs(amount.numerator))) + len(str(amount.denominator)) + places + 2
        value = Decimal(amount.numerator) / Decimal(amount.denominator)
        if denominator == 1:
            return value
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, order=True)
class Money:
    """An amount in integer minor units of ``currency`` (lower-case ISO code)."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if self.currency != self.currency.lower() or len(self.currency) != 3:
            raise ValueError(f"currency must be a lower-case ISO 4217 code, got {self.currency!r}")

    def format(self) -> str:
        """Human form: ``Money(4333, 'usd').format() == '$43.33'``."""
        exponent = minor_units_exponent(self.currency)
        major = Decimal(self.amount).scaleb(-exponent)
        symbol = _SYMBOLS.get(self.currency)
        text = f"{major:,.{exponent}f}"
        return f"{symbol}{text}" if symbol else f"{text} {self.currency.upper()}"

    def to_json(self) -> dict[str, int | str]:
        """The stable wire form: ``{"amount": 14700, "currency": "usd"}``."""
        return {"amount": self.amount, "currency": self.currency}
