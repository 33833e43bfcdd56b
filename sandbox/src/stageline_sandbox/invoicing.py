"""Invoices for subscription periods: built, finalized, paid or failed, with their events.

>>> # Used by the lifecycle; see tests/sandbox/test_lifecycle.py for whole scenarios.
"""

from __future__ import annotations

import copy
from typing import Any

from stageline_sandbox.discounting import Applied, DraftLine, discount_lines
from stageline_sandbox.events import Origin
from stageline_sandbox.ids import new_id
from stageline_sandbox.lines import compact_line
from stageline_sandbox.payments import charge_outcome
from stageline_sandbox.pricing import amount_for
from stageline_sandbox.recorder import Recorder
from stageline_sandbox.shapes import Obj, invoice_prefix
from stageline_sandbox.store import Filter
from stageline_sandbox.timeline import DAY


def _live(discount: Obj | None, moment: int) -> bool:
    return discount is not None and (discount.get("end") is None or discount["end"] > moment)


class Invoicing:
    """Creates and collects subscription invoices through the recorder's store and events."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def create(
        self,
        sub: Obj,
        customer: Obj,
        period: tuple[int, int],
        reason: str,
        now: int,
        origin: Origin,
        *,
        zero: bool = False,
        only_items: set[str] | None = None,
    ) -> Obj:
        """A subscription invoice for ``period``, finalized unless collection is paused."""
        recorder = self.recorder
        invoice_id = new_id("in")
        prices = recorder.store.get_many("price", [item["price"] for item in sub["items"]])
        moment = period[0]
        drafts: list[DraftLine] = []
        items = [i for i in sub["items"] if only_items is None or i["id"] in only_items]
        for item in items:
            price = prices[item["price"]]
            quantity = int(item.get("quantity") or 1)
            amount = 0 if zero else amount_for(price, quantity)
            own = [] if zero else self._applied(item.get("discounts") or [], moment)
            drafts.append(DraftLine(amount, price["product"], own))
        pending = [] if zero else self._pending_items(sub, customer)
        for waiting in pending:
            drafts.append(
                DraftLine(
                    int(waiting["amount"]),
                    ((waiting.get("pricing") or {}).get("price_details") or {}).get("product"),
                    discountable=waiting.get("discountable") is not False,
                )
            )
        invoice_level = [] if zero else self._applied(sub.get("discounts") or [], moment)
        if not zero and not invoice_level and _live(customer.get("discount"), moment):
            discount = customer["discount"]
            coupon = recorder.store.get("coupon", discount["source"]["coupon"]) or {}
            invoice_level = [(discount["id"], coupon)]
        per_line, total_off = discount_lines(drafts, invoice_level, sub["currency"])
        lines: list[Obj] = []
        count = len(items)
        for item, draft, amounts in zip(items, drafts[:count], per_line[:count], strict=True):
            price = prices[item["price"]]
            quantity = int(item.get("quantity") or 1)
            line = self._line(invoice_id, sub, item, price, draft.amount, quantity, period)
            if amounts:
                line["discount_amounts"] = amounts
            if draft.discounts:
                line["discounts"] = [discount_id for discount_id, _ in draft.discounts]
            lines.append(line)
        for waiting, amounts in zip(pending, per_line[count:], strict=True):
            line = self._item_line(invoice_id, waiting)
            if amounts:
                line["discount_amounts"] = amounts
            lines.append(line)
            old_item = copy.deepcopy(waiting)
            waiting["invoice"] = invoice_id
            recorder.save(
                "invoiceitem", waiting, "invoiceitem.updated", old=old_item, origin=origin
            )
        subtotal = sum(draft.amount for draft in drafts)
        remaining = subtotal - sum(entry["amount"] for entry in total_off)
        sequence = int(customer.get("next_invoice_sequence") or 1)
        invoice: Obj = {
            "id": invoice_id,
            "object": "invoice",
            "created": now,
            "customer": customer["id"],
            "customer_email": customer.get("email"),
            "customer_name": customer.get("name"),
            "currency": sub["currency"],
            "status": "draft",
            "billing_reason": reason,
            "collection_method": sub.get("collection_method", "charge_automatically"),
            "subtotal": subtotal,
            "subtotal_excluding_tax": subtotal,
            "total": remaining,
            "total_excluding_tax": remaining,
            "amount_due": remaining,
            "amount_paid": 0,
            "amount_remaining": remaining,
            "period_start": now,
            "period_end": now,
            "discounts": [discount_id for discount_id, _ in invoice_level],
            "total_discount_amounts": total_off,
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "metadata": sub.get("metadata", {}),
                    "subscription": sub["id"],
                },
            },
            "test_clock": sub.get("test_clock"),
            "livemode": sub.get("livemode", False),
            "lines": lines,
            "auto_advance": True,
        }
        recorder.save("invoice", invoice, "invoice.created", origin=origin)
        old_customer = copy.deepcopy(customer)
        customer["next_invoice_sequence"] = sequence + 1
        recorder.save("customer", customer, None, old=old_customer, origin=origin)
        behavior = (sub.get("pause_collection") or {}).get("behavior")
        if behavior == "keep_as_draft":
            return invoice
        self.finalize(
            invoice, customer, sequence, now, origin, int(sub.get("days_until_due") or 30)
        )
        if behavior in ("void", "mark_uncollectible"):
            self.close(invoice, "void" if behavior == "void" else "uncollectible", now, origin)
        return invoice

    def _applied(self, discount_ids: list[str], moment: int) -> list[Applied]:
        """The discounts among ``discount_ids`` still running at ``moment``, with coupons."""
        store = self.recorder.store
        found = store.get_many("discount", discount_ids)
        live = [found[d] for d in discount_ids if _live(found.get(d), moment)]
        coupons = store.get_many("coupon", [d["source"]["coupon"] for d in live])
        return [(d["id"], coupons.get(d["source"]["coupon"]) or {}) for d in live]

    def _pending_items(self, sub: Obj, customer: Obj) -> list[Obj]:
        pending = self.recorder.store.find(
            "invoiceitem",
            Filter(equals={"customer": customer["id"], "parent": None}),
            oldest_first=True,
        )
        return [
            item
            for item in pending
            if (item.get("parent") or {}).get("subscription_details", {}).get("subscription")
            in (None, sub["id"])
        ]

    @staticmethod
    def _item_line(invoice_id: str, item: Obj) -> Obj:
        details = (item.get("parent") or {}).get("subscription_details") or {}
        return {
            "id": new_id("il"),
            "invoice": invoice_id,
            "amount": item["amount"],
            "currency": item["currency"],
            "description": item.get("description"),
            "period": item["period"],
            "quantity": item.get("quantity", 1),
            "subtotal": item["amount"],
            "metadata": item.get("metadata", {}),
            "parent": {
                "type": "invoice_item_details",
                "invoice_item_details": {
                    "invoice_item": item["id"],
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": details.get("subscription"),
                },
                "subscription_item_details": None,
            },
            "pricing": item.get("pricing"),
        }

    def _line(
        self,
        invoice_id: str,
        sub: Obj,
        item: Obj,
        price: Obj,
        amount: int,
        quantity: int,
        period: tuple[int, int],
    ) -> Obj:
        product = self.recorder.store.get("product", price["product"]) or {"name": "Product"}
        return compact_line(
            new_id("il"),
            invoice_id,
            amount=amount,
            currency=sub["currency"],
            description=f"{quantity} × {product['name']}",
            period=period,
            quantity=quantity,
            subscription=sub["id"],
            item=item["id"],
            price=price["id"],
            product=price["product"],
            unit_amount_decimal=price.get("unit_amount_decimal"),
        )

    def finalize(
        self,
        invoice: Obj,
        customer: Obj,
        sequence: int,
        now: int,
        origin: Origin,
        days_until_due: int = 30,
    ) -> None:
        old = copy.deepcopy(invoice)
        invoice["status"] = "open"
        prefix = customer.get("invoice_prefix") or invoice_prefix(customer["id"])
        invoice["number"] = f"{prefix}-{sequence:04d}"
        invoice["effective_at"] = now
        invoice["status_transitions"] = {
            "finalized_at": now,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        }
        if invoice["collection_method"] == "send_invoice":
            invoice["due_date"] = now + days_until_due * DAY
        self.recorder.save("invoice", invoice, "invoice.finalized", old=old, origin=origin)

    def attempt(self, invoice: Obj, sub: Obj, customer: Obj, now: int, origin: Origin) -> bool:
        """Try to collect ``invoice``; True if it is paid afterwards."""
        if invoice["status"] != "open":
            return bool(invoice["status"] == "paid")
        if invoice["amount_due"] == 0:
            self._paid(invoice, now, origin)
            return True
        if invoice["collection_method"] == "send_invoice":
            return False
        pm_id = sub.get("default_payment_method") or (customer.get("invoice_settings") or {}).get(
            "default_payment_method"
        )
        pm = self.recorder.store.get("payment_method", pm_id) if pm_id else None
        old = copy.deepcopy(invoice)
        invoice["attempt_count"] = int(invoice.get("attempt_count") or 0) + 1
        invoice["attempted"] = True
        if charge_outcome(pm) is None:
            self._paid(invoice, now, origin, old=old)
            return True
        retry_days = self.recorder.config.dunning_retry_days
        attempt = invoice["attempt_count"]
        invoice["next_payment_attempt"] = (
            now + retry_days[attempt - 1] * DAY if attempt <= len(retry_days) else None
        )
        self.recorder.save("invoice", invoice, None, old=old, origin=origin)
        self.recorder.emit_current("invoice", invoice, "invoice.payment_failed", origin)
        return False

    def _paid(self, invoice: Obj, now: int, origin: Origin, old: Obj | None = None) -> None:
        old = old or copy.deepcopy(invoice)
        invoice.update(
            status="paid",
            amount_paid=invoice["amount_due"],
            amount_remaining=0,
            next_payment_attempt=None,
            auto_advance=False,
        )
        transitions: dict[str, Any] = dict(invoice.get("status_transitions") or {})
        transitions["paid_at"] = now
        invoice["status_transitions"] = transitions
        self.recorder.save("invoice", invoice, "invoice.paid", old=old, origin=origin)
        self.recorder.emit_current("invoice", invoice, "invoice.payment_succeeded", origin)

    def close(self, invoice: Obj, status: str, now: int, origin: Origin) -> None:
        """Void an invoice or mark it uncollectible."""
        old = copy.deepcopy(invoice)
        invoice.update(status=status, next_payment_attempt=None, auto_advance=False)
        transitions: dict[str, Any] = dict(invoice.get("status_transitions") or {})
        key = "voided_at" if status == "void" else "marked_uncollectible_at"
        transitions[key] = now
        invoice["status_transitions"] = transitions
        if status == "void":
            invoice["amount_remaining"] = 0
        event = "invoice.voided" if status == "void" else "invoice.marked_uncollectible"
        self.recorder.save("invoice", invoice, event, old=old, origin=origin)
