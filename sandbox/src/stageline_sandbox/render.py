"""Stored objects turned into what Stripe answers: defaults, embedded objects, expansion.

A :class:`Renderer` lives for one request and remembers what it read, so a page of 100
subscriptions on the same three prices reads each price once.

>>> from stageline_sandbox.store import SandboxStore
>>> store = SandboxStore()
>>> store.put("customer", {"id": "cus_1", "object": "customer", "created": 1})
>>> store.put("subscription", {"id": "sub_1", "object": "subscription", "created": 2,
...                            "customer": "cus_1", "items": []})
>>> sub = Renderer(store).render_id("subscription", "sub_1", expand=["customer"])
>>> sub["customer"]["object"], sub["items"]["object"]
('customer', 'list')
"""

from __future__ import annotations

from typing import Any

from stageline_sandbox.discounting import pretax_credits
from stageline_sandbox.errors import invalid_request
from stageline_sandbox.lines import full_line
from stageline_sandbox.shapes import (
    Obj,
    deleted_stub,
    plan_from_price,
    with_defaults,
)
from stageline_sandbox.store import SandboxStore

EXPANDABLE: dict[str, str] = {
    "customer": "customer",
    "product": "product",
    "price": "price",
    "default_price": "price",
    "latest_invoice": "invoice",
    "invoice": "invoice",
    "subscription": "subscription",
    "discounts": "discount",
    "discount": "discount",
    "coupon": "coupon",
    "promotion_code": "promotion_code",
    "default_payment_method": "payment_method",
    "payment_method": "payment_method",
    "test_clock": "test_clock",
}
"""Fields that hold an id by default and the object in its place when expanded."""

INCLUDABLE: dict[str, tuple[str, ...]] = {
    "tiers": ("price",),
    "currency_options": ("price", "coupon"),
    "applies_to": ("coupon",),
}
"""Fields left out unless named in ``expand[]`` (the field → the resource that has it)."""

MAX_EXPAND_DEPTH = 4


class Renderer:
    """Render stored objects into full Stripe objects, reading each object once."""

    def __init__(self, store: SandboxStore) -> None:
        self.store = store
        self._memo: dict[tuple[str, str], Obj | None] = {}

    def stored(self, obj_type: str, obj_id: str) -> Obj | None:
        key = (obj_type, obj_id)
        if key not in self._memo:
            self._memo[key] = self.store.get(obj_type, obj_id)
        return self._memo[key]

    def forget(self, obj_type: str, obj_id: str) -> None:
        self._memo.pop((obj_type, obj_id), None)

    def render_id(
        self, obj_type: str, obj_id: str, *, expand: list[str] | None = None
    ) -> Obj | None:
        stored = self.stored(obj_type, obj_id)
        if stored is None:
            return None
        rendered = self.render(obj_type, stored)
        if expand:
            self.expand(rendered, expand)
        return rendered

    def render(self, obj_type: str, stored: Obj) -> Obj:
        if stored.get("deleted"):
            return deleted_stub(str(stored["object"]), str(stored["id"]))
        if obj_type == "subscription":
            return self._subscription(stored)
        if obj_type == "subscription_item":
            return self._item(stored)
        if obj_type == "invoice":
            return self._invoice(stored)
        if obj_type == "price":
            price = with_defaults("price", stored)
            price.pop("tiers", None)
            price.pop("currency_options", None)
            return price
        if obj_type == "coupon":
            coupon = with_defaults("coupon", stored)
            coupon.pop("applies_to", None)
            coupon.pop("currency_options", None)
            return coupon
        if obj_type in ("customer", "product", "discount", "promotion_code"):
            return with_defaults(obj_type, stored)
        return {key: value for key, value in stored.items() if not key.startswith("_")}

    def _price(self, price_id: str) -> Obj:
        stored = self.stored("price", price_id)
        if stored is None:
            return deleted_stub("price", price_id)
        return self.render("price", stored)

    def _item(self, stored: Obj) -> Obj:
        item = with_defaults("subscription_item", stored)
        price = self._price(str(stored["price"]))
        item["price"] = price
        item["plan"] = plan_from_price(price) if not price.get("deleted") else None
        return item

    def _subscription(self, stored: Obj) -> Obj:
        sub = with_defaults("subscription", stored)
        items = [self._item({**item, "subscription": sub["id"]}) for item in stored["items"]]
        sub["items"] = {
            "object": "list",
            "data": items,
            "has_more": False,
            "total_count": len(items),
            "url": f"/v1/subscription_items?subscription={sub['id']}",
        }
        sub.setdefault("billing_cycle_anchor", sub["created"])
        sub.setdefault("start_date", sub["created"])
        return sub

    def _invoice(self, stored: Obj) -> Obj:
        invoice = with_defaults("invoice", stored)
        invoice["total_pretax_credit_amounts"] = pretax_credits(invoice["total_discount_amounts"])
        lines = [full_line(line) for line in stored.get("lines", [])]
        invoice["lines"] = {
            "object": "list",
            "data": lines,
            "has_more": False,
            "total_count": len(lines),
            "url": f"/v1/invoices/{invoice['id']}/lines",
        }
        return invoice

    def expand(self, root: Obj, paths: list[str]) -> None:
        """Replace ids by objects (and add includable fields) along each ``expand[]`` path."""
        for path in paths:
            parts = path.split(".")
            if len(parts) > MAX_EXPAND_DEPTH:
                raise invalid_request(
                    f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property. "
                    f"Property: {path}",
                    param="expand",
                )
            if not self._walk(root, parts):
                raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")

    def _walk(self, node: Any, parts: list[str]) -> bool:
        if isinstance(node, list):
            return all(self._walk(element, parts) for element in node) if node else True
        if not isinstance(node, dict):
            return False
        head, rest = parts[0], parts[1:]
        kind = node.get("object")
        if head in INCLUDABLE and not rest and kind in INCLUDABLE[head]:
            stored = self.stored(str(kind), str(node["id"])) or {}
            node[head] = stored.get(head)
            return True
        if head not in node:
            return False
        value = node[head]
        if head in EXPANDABLE:
            value = self._expand_value(EXPANDABLE[head], value)
            node[head] = value
        elif not rest:
            return False
        if not rest or value is None:
            return True
        return self._walk(value, rest)

    def _expand_value(self, obj_type: str, value: Any) -> Any:
        if isinstance(value, str):
            return self.render_id(obj_type, value) or deleted_stub(obj_type, value)
        if isinstance(value, list):
            return [self._expand_value(obj_type, element) for element in value]
        if isinstance(value, dict) and obj_type == "coupon" and value.get("object") != "coupon":
            return value
        return value
