"""Coupons and promotion codes named in a request, redeemed into discounts.

``discounts[n]`` (on a subscription or one of its items) is ``{"coupon": id}``,
``{"promotion_code": id}`` or ``{"discount": id}`` (a discount already on the customer or
subscription, kept). Redeeming checks what Stripe checks (the coupon still valid, under its
``max_redemptions`` and ``redeem_by``; the promotion code active, unexpired and, when it
names one, for this customer) and counts the redemption.

>>> from stageline_sandbox.store import SandboxStore
>>> store = SandboxStore()
>>> store.put("coupon", {"id": "HALF", "object": "coupon", "percent_off": 50.0,
...                      "duration": "forever", "created": 1})
>>> owner = Owner(customer="cus_1", subscription="sub_1", item="si_1")
>>> discount = redeem(store, owner, {"coupon": "HALF"}, now=10, param="items[0][discounts][0]")
>>> discount["subscription_item"], discount["source"], store.get("coupon", "HALF")["times_redeemed"]
('si_1', {'coupon': 'HALF', 'type': 'coupon'}, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stageline_sandbox.errors import (
    invalid_request,
    parameter_invalid,
    parameter_missing,
    resource_missing,
)
from stageline_sandbox.ids import new_id
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import SandboxStore
from stageline_sandbox.timeline import add_interval

_KINDS = ("coupon", "discount", "promotion_code")


@dataclass(frozen=True)
class Owner:
    """What a discount is applied to: a customer, and maybe a subscription and one item."""

    customer: str
    subscription: str | None = None
    item: str | None = None


def _coupon(store: SandboxStore, coupon_id: str, now: int, param: str) -> Obj:
    coupon = store.get("coupon", coupon_id)
    if coupon is None or coupon.get("deleted"):
        raise resource_missing("coupon", coupon_id, param=param)
    redeem_by = coupon.get("redeem_by")
    limit = coupon.get("max_redemptions")
    if (redeem_by is not None and redeem_by <= now) or (
        limit is not None and int(coupon.get("times_redeemed") or 0) >= limit
    ):
        raise invalid_request(
            f"Coupon {coupon_id} is no longer valid.", param=param, code="coupon_expired"
        )
    return coupon


def _promotion_code(store: SandboxStore, code_id: str, owner: Owner, now: int, param: str) -> Obj:
    code = store.get("promotion_code", code_id)
    if code is None:
        raise resource_missing("promotion_code", code_id, param=param)
    limit = code.get("max_redemptions")
    expires_at = code.get("expires_at")
    if (
        code.get("active") is False
        or (expires_at is not None and expires_at <= now)
        or (limit is not None and int(code.get("times_redeemed") or 0) >= limit)
    ):
        raise invalid_request(
            f"Promotion code {code_id} is no longer valid.", param=param, code="coupon_expired"
        )
    if code.get("customer") not in (None, owner.customer):
        raise invalid_request(
            f"Promotion code {code_id} cannot be used by customer {owner.customer}.", param=param
        )
    return code


def _counted(store: SandboxStore, obj_type: str, obj: Obj) -> None:
    obj["times_redeemed"] = int(obj.get("times_redeemed") or 0) + 1
    store.put(obj_type, obj)


def redeem(store: SandboxStore, owner: Owner, entry: Any, *, now: int, param: str) -> Obj:
    """The discount ``entry`` (one element of a ``discounts`` list) gives ``owner``.

    ``param`` names the entry in errors (``discounts[0]``); ``""`` for a top-level
    ``coupon`` or ``promotion_code``.
    """

    def name(kind: str) -> str:
        return f"{param}[{kind}]" if param else kind

    if not isinstance(entry, dict):
        raise parameter_invalid(param, "Invalid hash")
    given = [kind for kind in _KINDS if entry.get(kind)]
    if not given:
        raise parameter_missing(name("coupon"))
    if len(given) > 1:
        raise invalid_request(
            f"You may only specify one of these parameters: {', '.join(given)}.",
            param=name(given[1]),
        )
    kind = given[0]
    value = entry[kind]
    if not isinstance(value, str):
        raise parameter_invalid(name(kind), "Invalid string")
    if kind == "discount":
        kept = store.get("discount", value)
        if kept is None or kept.get("customer") != owner.customer:
            raise resource_missing("discount", value, param=name("discount"))
        return kept
    code = None
    if kind == "promotion_code":
        code = _promotion_code(store, value, owner, now, name("promotion_code"))
        coupon_id = str(code["promotion"]["coupon"])
    else:
        coupon_id = value
    coupon = _coupon(store, coupon_id, now, name(kind))
    months = int(coupon.get("duration_in_months") or 0)
    repeating = coupon.get("duration") == "repeating" and months > 0
    discount: Obj = {
        "id": new_id("di"),
        "object": "discount",
        "created": now,
        "start": now,
        "end": add_interval(now, "month", months) if repeating else None,
        "customer": owner.customer,
        "subscription": owner.subscription,
        "subscription_item": owner.item,
        "promotion_code": code["id"] if code else None,
        "source": {"coupon": coupon_id, "type": "coupon"},
    }
    _counted(store, "coupon", coupon)
    if code is not None:
        _counted(store, "promotion_code", code)
    store.put("discount", discount)
    return discount


def redeem_all(
    store: SandboxStore, owner: Owner, raw: Any, *, now: int, param: str = "discounts"
) -> list[str]:
    """The ids of the discounts a ``discounts`` parameter gives ``owner`` (``""``: none)."""
    if raw in ("", None):
        return []
    if not isinstance(raw, list):
        raise parameter_invalid(param, "Invalid array")
    ids: list[str] = []
    for n, entry in enumerate(raw):
        discount = redeem(store, owner, entry, now=now, param=f"{param}[{n}]")
        if discount["id"] in ids:
            raise invalid_request("The same discount cannot be applied twice.", param=param)
        ids.append(discount["id"])
    return ids
