"""What a Stripe event means for the mirror: which object it carries, and how to read it.

An event either carries an object to upsert (``customer.updated`` → the customer), points at
an object to re-fetch (``customer.discount.created`` → its customer), or is ignored (types the
mirror does not hold). Payloads rendered at an older API version are brought to the current
shape (``current_period_end`` moves from the subscription onto its items), and a payload the
mapping cannot read is reported instead of poisoning the mirror.

>>> plan_for("customer.subscription.updated").object_type
'subscription'
>>> plan_for("customer.discount.deleted").refetch_only
True
>>> plan_for("charge.succeeded").ignored
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from stageline.stripe_api import mapping

Json = dict[str, Any]


@dataclass(frozen=True)
class EventPlan:
    """How one event type is applied; ``object_type=None`` means the event is ignored."""

    object_type: str | None
    endpoint: str | None = None
    deleted: bool = False
    refetch_only: bool = False

    @property
    def ignored(self) -> bool:
        return self.object_type is None


# (event type prefix, mirror object type, API endpoint), most specific prefix first.
_PREFIXES: tuple[tuple[str, str, str], ...] = (
    ("customer.subscription.", "subscription", "subscriptions"),
    ("customer.discount.", "customer", "customers"),
    ("customer.", "customer", "customers"),
    ("invoice.", "invoice", "invoices"),
    ("product.", "product", "products"),
    ("price.", "price", "prices"),
    ("coupon.", "coupon", "coupons"),
)
_NO_OBJECT = frozenset({"invoice.upcoming"})  # an invoice preview without an id
_DELETING = frozenset({"customer", "invoice", "product", "price", "coupon"})

NEEDED_EVENT_TYPES: tuple[str, ...] = (
    "customer.created", "customer.updated", "customer.deleted",
    "customer.discount.created", "customer.discount.updated", "customer.discount.deleted",
    "customer.subscription.created", "customer.subscription.updated",
    "customer.subscription.deleted", "customer.subscription.paused",
    "customer.subscription.resumed", "customer.subscription.pending_update_applied",
    "customer.subscription.pending_update_expired", "customer.subscription.trial_will_end",
    "invoice.created", "invoice.updated", "invoice.deleted", "invoice.finalized", "invoice.paid",
    "invoice.payment_failed", "invoice.payment_succeeded", "invoice.voided",
    "invoice.marked_uncollectible",
    "product.created", "product.updated", "product.deleted",
    "price.created", "price.updated", "price.deleted",
    "coupon.created", "coupon.updated", "coupon.deleted",
)  # fmt: skip
"""The event types Stageline's webhook endpoint subscribes to."""

FACT_OBJECT_TYPES = frozenset({"customer", "subscription", "price", "coupon"})
"""Object types the account facts are computed from (invoices and products are not)."""


class UnreadableObject(ValueError):
    """A payload whose shape Stageline does not understand; kept raw, never mirrored."""


def plan_for(event_type: str) -> EventPlan:
    if event_type in _NO_OBJECT:
        return EventPlan(object_type=None)
    for prefix, object_type, endpoint in _PREFIXES:
        if event_type.startswith(prefix):
            return EventPlan(
                object_type=object_type,
                endpoint=endpoint,
                deleted=event_type.endswith(".deleted")
                and object_type in _DELETING
                and prefix != "customer.discount.",
                refetch_only=prefix == "customer.discount.",
            )
    return EventPlan(object_type=None)


def target_id(plan: EventPlan, data_object: Mapping[str, Any]) -> str:
    """The id of the mirror object an event is about."""
    ref = data_object.get("customer") if plan.refetch_only else data_object.get("id")
    found = mapping.object_id(ref)
    if not found:
        raise UnreadableObject("the event's object has no id")
    return found


def normalize(object_type: str, data: Mapping[str, Any]) -> Json:
    """The object in the current API shape; older shapes keep their extra fields."""
    result = dict(data)
    if object_type == "subscription":
        result = _periods_onto_items(result)
    return result


def _periods_onto_items(sub: Json) -> Json:
    """Before 2025-03-31 the billing period lived on the subscription; copy it to each item."""
    end, start = sub.get("current_period_end"), sub.get("current_period_start")
    items = sub.get("items")
    if end is None or not isinstance(items, Mapping) or not isinstance(items.get("data"), list):
        return sub
    copied = []
    for item in items["data"]:
        if isinstance(item, Mapping) and item.get("current_period_end") is None:
            item = {**item, "current_period_end": end}
            if item.get("current_period_start") is None and start is not None:
                item["current_period_start"] = start
        copied.append(item)
    return {**sub, "items": {**items, "data": copied}}


def check_readable(object_type: str, data: Mapping[str, Any]) -> None:
    """Raise ``UnreadableObject`` when the mapping cannot read ``data``."""
    if not isinstance(data.get("id"), str) or not data["id"]:
        raise UnreadableObject(f"a {object_type} without an id")
    if data.get("deleted"):
        return
    readers: dict[str, Callable[[Mapping[str, Any]], object]] = {
        "customer": mapping.to_customer,
        "subscription": mapping.to_subscription,
        "price": mapping.to_price,
        "coupon": mapping.to_coupon,
    }
    reader = readers.get(object_type)
    if reader is None:
        return
    try:
        reader(data)
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise UnreadableObject(f"{object_type} {data['id']}: {exc!r}") from exc


def resolve_references(object_type: str, incoming: Json, held: Mapping[str, Any] | None) -> Json:
    """Replace unexpanded discount ids with the expanded copies already held."""
    if object_type != "subscription" or held is None:
        return incoming
    known = {d["id"]: d for d in held.get("discounts") or () if isinstance(d, Mapping)}
    discounts = incoming.get("discounts")
    if isinstance(discounts, list):
        incoming = {**incoming, "discounts": [known.get(d, d) for d in discounts]}
    return incoming


def expansion_needed(object_type: str, data: Mapping[str, Any]) -> list[str]:
    """What to ``expand`` when re-fetching, because the payload left it out."""
    if object_type == "subscription" and any(
        isinstance(d, str) for d in data.get("discounts") or ()
    ):
        return ["discounts"]
    if object_type == "price" and data.get("billing_scheme") == "tiered" and not data.get("tiers"):
        return ["tiers"]
    return []
