"""Invoice lines: stored compactly, answered with every field Stripe sends.

>>> line = compact_line("il_1", "in_1", amount=4900, currency="usd", description="1 × Team",
...                     period=(0, 10), quantity=1, subscription="sub_1", item="si_1",
...                     price="price_1", product="prod_1", unit_amount_decimal="4900")
>>> full = full_line(line)
>>> full["parent"]["subscription_item_details"]["subscription_item"], "_sub" in full
('si_1', False)
"""

from __future__ import annotations

from stageline_sandbox.discounting import pretax_credits
from stageline_sandbox.shapes import Obj, with_defaults


def compact_line(
    line_id: str,
    invoice_id: str,
    *,
    amount: int,
    currency: str,
    description: str,
    period: tuple[int, int],
    quantity: int,
    subscription: str,
    item: str,
    price: str,
    product: str,
    unit_amount_decimal: str | None,
    discount_amounts: list[Obj] | None = None,
    discounts: list[str] | None = None,
) -> Obj:
    """A subscription invoice line as stored: what :func:`full_line` needs, nothing more.

    ``discount_amounts`` lists every discount's part of the line (the item's own and its
    share of the invoice's); ``discounts`` names only the item's own, as Stripe does.
    """
    line: Obj = {
        "id": line_id,
        "invoice": invoice_id,
        "amount": amount,
        "currency": currency,
        "description": description,
        "period": {"start": period[0], "end": period[1]},
        "quantity": quantity,
        "_sub": subscription,
        "_si": item,
        "_price": price,
        "_product": product,
        "_unit": unit_amount_decimal,
    }
    if discount_amounts:
        line["discount_amounts"] = discount_amounts
    if discounts:
        line["discounts"] = discounts
    return line


def full_line(stored: Obj) -> Obj:
    """A stored invoice line rendered with every field Stripe sends."""
    line = with_defaults("line_item", stored)
    line.setdefault("subtotal", line.get("amount"))
    line["pretax_credit_amounts"] = pretax_credits(line["discount_amounts"])
    if "_sub" in stored:
        line["parent"] = {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": stored["_sub"],
                "subscription_item": stored["_si"],
            },
        }
        line["pricing"] = {
            "type": "price_details",
            "price_details": {"price": stored["_price"], "product": stored["_product"]},
            "unit_amount_decimal": stored["_unit"],
        }
    return line
