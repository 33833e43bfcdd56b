"""What discounts take off an invoice's lines, the way Stripe applies them.

A line's own discounts (a subscription item's) come first, each on what is left of the
line; then each invoice-level discount (the subscription's, else the customer's) on what
is left of the lines it applies to, shared out in proportion to them. A coupon with
``applies_to.products`` only touches lines of those products; a line that is not
``discountable`` is never touched.

>>> half = {"percent_off": 50.0}
>>> lines = [DraftLine(10_000, "prod_a"), DraftLine(10_000, "prod_a", [("di_item", half)])]
>>> per_line, totals = discount_lines(lines, [], "usd")
>>> per_line
[[], [{'amount': 5000, 'discount': 'di_item'}]]
>>> totals
[{'amount': 5000, 'discount': 'di_item'}]
>>> three_off = ("di_sub", {"amount_off": 300, "currency": "usd"})  # shared out 10,000 : 5,000
>>> per_line, totals = discount_lines(lines, [three_off], "usd")
>>> per_line[1]
[{'amount': 5000, 'discount': 'di_item'}, {'amount': 100, 'discount': 'di_sub'}]
>>> totals[-1]
{'amount': 300, 'discount': 'di_sub'}
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stageline_sandbox.pricing import discount_amount
from stageline_sandbox.shapes import Obj

Applied = tuple[str, Obj]
"""A discount's id and its coupon."""


@dataclass
class DraftLine:
    """A line before discounts: its amount, product, and its own discounts."""

    amount: int
    product: str | None
    discounts: list[Applied] = field(default_factory=list)
    discountable: bool = True


def applies_to(coupon: Obj, product: str | None) -> bool:
    """Whether ``coupon`` may discount a line of ``product``."""
    products = (coupon.get("applies_to") or {}).get("products")
    return not products or product in products


def share(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights``, in whole units summing to ``total``.

    >>> share(100, [1, 1, 1])
    [34, 33, 33]
    """
    base = sum(weights)
    if base <= 0:
        return [0] * len(weights)
    shares = [total * weight // base for weight in weights]
    rest = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % base), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares


def discount_lines(
    lines: list[DraftLine], invoice_level: list[Applied], currency: str
) -> tuple[list[list[Obj]], list[Obj]]:
    """Each line's ``discount_amounts`` and the invoice's ``total_discount_amounts``."""
    remaining = [line.amount for line in lines]
    per_line: list[list[Obj]] = [[] for _ in lines]
    totals: dict[str, int] = {}
    for n, line in enumerate(lines):
        for discount_id, coupon in line.discounts:
            if not line.discountable or not applies_to(coupon, line.product):
                continue
            off = discount_amount(coupon, remaining[n], currency)
            remaining[n] -= off
            per_line[n].append({"amount": off, "discount": discount_id})
            totals[discount_id] = totals.get(discount_id, 0) + off
    for discount_id, coupon in invoice_level:
        eligible = [
            n
            for n, line in enumerate(lines)
            if line.discountable and applies_to(coupon, line.product)
        ]
        base = sum(remaining[n] for n in eligible)
        off = discount_amount(coupon, base, currency)
        for n, part in zip(eligible, share(off, [remaining[n] for n in eligible]), strict=True):
            remaining[n] -= part
            per_line[n].append({"amount": part, "discount": discount_id})
        totals[discount_id] = totals.get(discount_id, 0) + off
    return per_line, [{"amount": amount, "discount": key} for key, amount in totals.items()]


def pretax_credits(discount_amounts: list[Obj]) -> list[Obj]:
    """The ``pretax_credit_amounts`` Stripe lists beside ``discount_amounts``."""
    return [
        {
            "amount": entry["amount"],
            "credit_balance_transaction": None,
            "discount": entry["discount"],
            "type": "discount",
        }
        for entry in discount_amounts
    ]
