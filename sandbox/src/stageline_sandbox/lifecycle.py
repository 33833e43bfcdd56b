"""A subscription's life over time: start, trial end, renewals, dunning, cancel, pause.

Every transition saves the subscription and emits what Stripe emits
(``customer.subscription.created|updated|deleted|trial_will_end|paused|resumed`` and the
``invoice.*`` events). :meth:`Lifecycle.next_action` says what is due next, so a test
clock can replay them in time order.
"""

from __future__ import annotations

import copy

from stageline_sandbox.errors import StripeApiError
from stageline_sandbox.events import Origin
from stageline_sandbox.invoicing import Invoicing
from stageline_sandbox.recorder import Recorder
from stageline_sandbox.shapes import Obj
from stageline_sandbox.timeline import DAY, add_interval, period_containing

HOUR = 3_600
TRIAL_WILL_END_NOTICE = 3 * DAY
INCOMPLETE_EXPIRES_AFTER = 23 * HOUR
_PRIORITY = {
    "cancel_at": 0,
    "expire": 1,
    "trial_will_end": 2,
    "trial_end": 3,
    "period_end": 4,
    "retry": 5,
    "resume_collection": 6,
}


def period_end(sub: Obj) -> int:
    """When the current billing period ends (the earliest item period end)."""
    return min(int(item["current_period_end"]) for item in sub["items"])


class Lifecycle:
    """Applies time and requests to subscriptions, saving them through the recorder."""

    def __init__(self, recorder: Recorder, invoicing: Invoicing) -> None:
        self.recorder = recorder
        self.invoicing = invoicing

    def _prices(self, sub: Obj) -> dict[str, Obj]:
        return self.recorder.store.get_many("price", [item["price"] for item in sub["items"]])

    def _roll(self, sub: Obj, moment: int, *, every: bool = False) -> set[str]:
        """Move items whose period has ended (or ``every`` item) into the period of ``moment``."""
        prices = self._prices(sub)
        anchor = int(sub["billing_cycle_anchor"])
        rolled = set()
        for item in sub["items"]:
            if every or item["current_period_end"] <= moment:
                recurring = prices[item["price"]]["recurring"]
                start, end = period_containing(
                    anchor, recurring["interval"], int(recurring["interval_count"]), moment
                )
                item["current_period_start"], item["current_period_end"] = start, end
                rolled.add(item["id"])
        return rolled

    def first_periods(self, sub: Obj, now: int) -> None:
        """Set the first period of each item (the trial, or one interval from now)."""
        prices = self._prices(sub)
        for item in sub["items"]:
            recurring = prices[item["price"]]["recurring"]
            item["current_period_start"] = now
            trial_end = sub.get("trial_end")
            if trial_end and trial_end > now:
                item["current_period_end"] = trial_end
            else:
                anchor = int(sub.get("billing_cycle_anchor") or now)
                end = (
                    anchor
                    if anchor > now
                    else add_interval(now, recurring["interval"], int(recurring["interval_count"]))
                )
                item["current_period_end"] = end

    def _customer(self, sub: Obj) -> Obj:
        customer = self.recorder.store.get("customer", sub["customer"])
        return customer or {"id": sub["customer"], "object": "customer"}

    def _invoice(self, sub: Obj) -> Obj | None:
        latest = sub.get("latest_invoice")
        return self.recorder.store.get("invoice", latest) if latest else None

    def _save(self, sub: Obj, old: Obj, origin: Origin) -> None:
        self.recorder.save(
            "subscription", sub, "customer.subscription.updated", old=old, origin=origin
        )

    def start(self, sub: Obj, customer: Obj, now: int, origin: Origin, behavior: str) -> None:
        """Invoice and collect a new subscription; emits created (then updated if active)."""
        trialing = bool(sub.get("trial_end") and sub["trial_end"] > now)
        sub["status"] = "trialing" if trialing else "incomplete"
        period = (sub["items"][0]["current_period_start"], period_end(sub))
        invoicing = self.invoicing
        invoice = invoicing.create(
            sub, customer, period, "subscription_create", now, origin, zero=trialing
        )
        sub["latest_invoice"] = invoice["id"]
        if sub.get("collection_method") == "send_invoice" and not trialing:
            sub["status"] = "active"
        self.recorder.save("subscription", sub, "customer.subscription.created", origin=origin)
        if sub["status"] != "incomplete":
            invoicing.attempt(invoice, sub, customer, now, origin)
            return
        if behavior == "default_incomplete" and invoice["amount_due"] > 0:
            return
        old = copy.deepcopy(sub)
        if invoicing.attempt(invoice, sub, customer, now, origin):
            sub["status"] = "active"
            self._save(sub, old, origin)
        elif behavior == "error_if_incomplete":
            raise StripeApiError(
                402, "Your card was declined.", type="card_error", code="card_declined"
            )

    def next_action(self, sub: Obj) -> tuple[int, str] | None:
        """The earliest transition due for ``sub``, as ``(time, action)``."""
        status = sub["status"]
        due: list[tuple[int, str]] = []
        if status in ("canceled", "incomplete_expired"):
            return None
        if status == "incomplete":
            due.append((int(sub["created"]) + INCOMPLETE_EXPIRES_AFTER, "expire"))
        if status == "trialing":
            notice = int(sub["trial_end"]) - TRIAL_WILL_END_NOTICE
            if not sub.get("_trial_will_end_sent") and notice > int(sub["created"]):
                due.append((notice, "trial_will_end"))
            due.append((int(sub["trial_end"]), "trial_end"))
        if status in ("active", "past_due", "unpaid"):
            due.append((period_end(sub), "period_end"))
        if status not in ("paused", "incomplete") and sub.get("cancel_at"):
            due.append((int(sub["cancel_at"]), "cancel_at"))
        invoice = self._invoice(sub)
        retry = invoice.get("next_payment_attempt") if invoice else None
        if status in ("past_due", "active") and invoice and invoice["status"] == "open" and retry:
            due.append((int(retry), "retry"))
        resumes = (sub.get("pause_collection") or {}).get("resumes_at")
        if resumes:
            due.append((int(resumes), "resume_collection"))
        if not due:
            return None
        return min(due, key=lambda d: (d[0], _PRIORITY[d[1]]))

    def apply(self, sub: Obj, action: str, moment: int, origin: Origin) -> None:
        """Carry out one due transition at ``moment``."""
        old = copy.deepcopy(sub)
        if action == "trial_will_end":
            sub["_trial_will_end_sent"] = True
            self.recorder.store.put("subscription", sub)
            self.recorder.emit_current(
                "subscription", sub, "customer.subscription.trial_will_end", origin
            )
        elif action == "cancel_at" or (action == "period_end" and sub.get("cancel_at_period_end")):
            self.cancel(sub, moment, origin, reason="cancellation_requested", requested=False)
        elif action == "expire":
            sub.update(status="incomplete_expired", ended_at=moment)
            invoice = self._invoice(sub)
            if invoice and invoice["status"] == "open":
                self.invoicing.close(invoice, "void", moment, origin)
            self._save(sub, old, origin)
        elif action == "trial_end":
            self._end_trial(sub, old, moment, origin)
        elif action == "period_end":
            self._renew(sub, old, moment, origin)
        elif action == "retry":
            self._retry(sub, old, moment, origin)
        elif action == "resume_collection":
            sub["pause_collection"] = None
            self._save(sub, old, origin)

    def _has_payment_method(self, sub: Obj, customer: Obj) -> bool:
        settings = customer.get("invoice_settings") or {}
        return bool(sub.get("default_payment_method") or settings.get("default_payment_method"))

    def _end_trial(self, sub: Obj, old: Obj, moment: int, origin: Origin) -> None:
        customer = self._customer(sub)
        behavior = ((sub.get("trial_settings") or {}).get("end_behavior") or {}).get(
            "missing_payment_method", "create_invoice"
        )
        charged = sub.get("collection_method") != "send_invoice"
        if charged and not self._has_payment_method(sub, customer) and behavior != "create_invoice":
            if behavior == "cancel":
                self.cancel(sub, moment, origin, reason="cancellation_requested", requested=False)
                return
            self._pause(sub, old, moment, origin, "trial_end_without_payment_method")
            return
        sub["billing_cycle_anchor"] = moment
        rolled = self._roll(sub, moment, every=True)
        self._collect(sub, old, moment, origin, "subscription_cycle", rolled)

    def _renew(self, sub: Obj, old: Obj, moment: int, origin: Origin) -> None:
        rolled = self._roll(sub, moment)
        self._expire_discounts(sub, moment, origin)
        self._collect(sub, old, moment, origin, "subscription_cycle", rolled)

    def _collect(
        self, sub: Obj, old: Obj, moment: int, origin: Origin, reason: str, items: set[str]
    ) -> None:
        customer = self._customer(sub)
        period = (min(i["current_period_start"] for i in sub["items"]), period_end(sub))
        invoice = self.invoicing.create(
            sub, customer, period, reason, moment, origin, only_items=items
        )
        sub["latest_invoice"] = invoice["id"]
        if sub["status"] == "unpaid":
            self._save(sub, old, origin)
            return
        paid = invoice["status"] != "open" or self.invoicing.attempt(
            invoice, sub, customer, moment, origin
        )
        if paid and sub["status"] in ("trialing", "past_due", "active"):
            sub["status"] = "active"
        elif not paid:
            sub["status"] = "past_due"
        self._save(sub, old, origin)

    def _retry(self, sub: Obj, old: Obj, moment: int, origin: Origin) -> None:
        invoice = self._invoice(sub)
        if invoice is None:
            return
        if self.invoicing.attempt(invoice, sub, self._customer(sub), moment, origin):
            sub["status"] = "active"
            self._save(sub, old, origin)
            return
        if invoice.get("next_payment_attempt") is not None:
            return
        final = self.recorder.config.dunning_final_action
        if final == "cancel":
            self.cancel(sub, moment, origin, reason="payment_failed", requested=False)
        elif final == "unpaid":
            sub["status"] = "unpaid"
            self._save(sub, old, origin)

    def _expire_discounts(self, sub: Obj, moment: int, origin: Origin) -> None:
        """Drop the subscription's and its items' discounts that ended by ``moment``."""
        sub["discounts"] = self._running(sub.get("discounts") or [], moment, origin)
        for item in sub["items"]:
            if item.get("discounts"):
                item["discounts"] = self._running(item["discounts"], moment, origin)

    def _running(self, discount_ids: list[str], moment: int, origin: Origin) -> list[str]:
        kept = []
        for discount_id in discount_ids:
            discount = self.recorder.store.get("discount", discount_id)
            if discount and discount.get("end") is not None and discount["end"] <= moment:
                self.recorder.emit_current(
                    "discount", discount, "customer.discount.deleted", origin
                )
                continue
            kept.append(discount_id)
        return kept

    def cancel(
        self,
        sub: Obj,
        moment: int,
        origin: Origin,
        *,
        reason: str,
        requested: bool = True,
        feedback: str | None = None,
        comment: str | None = None,
    ) -> None:
        """End ``sub`` now; emits ``customer.subscription.deleted``."""
        if sub["status"] == "canceled":
            raise StripeApiError(
                400,
                "A canceled subscription can only update its cancellation_details and metadata.",
            )
        sub.update(status="canceled", ended_at=moment)
        if requested or not sub.get("canceled_at"):
            sub["canceled_at"] = moment
        sub["cancellation_details"] = {"comment": comment, "feedback": feedback, "reason": reason}
        invoice = self._invoice(sub)
        if invoice and invoice["status"] == "open":
            invoice.update(auto_advance=False, next_payment_attempt=None)
            self.recorder.store.put("invoice", invoice)
        self.recorder.save("subscription", sub, "customer.subscription.deleted", origin=origin)

    def _pause(self, sub: Obj, old: Obj, moment: int, origin: Origin, why: str) -> None:
        sub["status"] = "paused"
        sub["status_details"] = {
            "paused": {
                "type": "subscription",
                "transitioned_at": moment,
                "subscription": {"type": why},
            },
        }
        self.recorder.store.put("subscription", sub)
        self.recorder.emit_current("subscription", sub, "customer.subscription.paused", origin)
        self._save(sub, old, origin)

    def pause(self, sub: Obj, moment: int, origin: Origin) -> None:
        """``POST /v1/subscriptions/{id}/pause``: stop billing until resumed."""
        if sub["status"] not in ("active", "past_due", "trialing", "unpaid"):
            raise StripeApiError(
                400,
                f"You cannot pause a subscription with status `{sub['status']}`.",
                param="status",
            )
        self._pause(sub, copy.deepcopy(sub), moment, origin, "pause_requested")

    def resume(self, sub: Obj, moment: int, origin: Origin, *, anchor: str, behavior: str) -> None:
        """``POST /v1/subscriptions/{id}/resume``: back to active, invoicing from now."""
        if sub["status"] != "paused":
            raise StripeApiError(
                400, "Only a paused subscription can be resumed.", param="subscription"
            )
        old = copy.deepcopy(sub)
        sub["status_details"] = None
        if anchor == "now":
            sub["billing_cycle_anchor"] = moment
            rolled = self._roll(sub, moment, every=True)
        else:
            rolled = self._roll(sub, moment)
        customer = self._customer(sub)
        period = (min(i["current_period_start"] for i in sub["items"]), period_end(sub))
        invoice = self.invoicing.create(
            sub,
            customer,
            period,
            "subscription_update",
            moment,
            origin,
            only_items=rolled,
            zero=anchor != "now",
        )
        sub["latest_invoice"] = invoice["id"]
        paid = self.invoicing.attempt(invoice, sub, customer, moment, origin)
        if not paid and behavior == "resume_on_payment_success":
            self._save(sub, old, origin)
            return
        sub["status"] = "active" if paid else "past_due"
        self.recorder.store.put("subscription", sub)
        self.recorder.emit_current("subscription", sub, "customer.subscription.resumed", origin)
        self._save(sub, old, origin)
