"""``/v1/customers`` (create, retrieve, update, delete, list) and payment methods.

Deleting a customer cancels its subscriptions and leaves the ``{"id", "object":
"customer", "deleted": true}`` stub that retrieving it answers afterwards.

>>> [route.method + " " + route.path for route in ROUTES][:2]
['GET /v1/customers', 'POST /v1/customers']
"""

from __future__ import annotations

import copy
import re

from stageline_sandbox.context import Ctx, Route, list_objects
from stageline_sandbox.errors import invalid_request, parameter_invalid, resource_missing
from stageline_sandbox.ids import new_id
from stageline_sandbox.mutations import merge_metadata, set_strings
from stageline_sandbox.params import Params
from stageline_sandbox.payments import attach_payment_method
from stageline_sandbox.resources.redemptions import Owner, redeem
from stageline_sandbox.shapes import Obj, deleted_stub
from stageline_sandbox.store import Filter

_STRINGS = ("email", "name", "description", "phone", "business_name", "individual_name")
_INVOICE_PREFIX = re.compile(r"[A-Z0-9]{3,12}")


def list_customers(ctx: Ctx) -> Obj:
    where = Filter(status_not_in=("deleted",))
    email = ctx.params.string("email")
    if email is not None:
        where.equals["email"] = email
    clock = ctx.params.string("test_clock")
    if clock is not None:
        where.equals["test_clock"] = clock
    return list_objects(ctx, "customer", where, "/v1/customers")


def _live_customer(ctx: Ctx, customer_id: str, param: str = "id") -> Obj:
    customer = ctx.store.get("customer", customer_id)
    if customer is None or customer.get("deleted"):
        raise resource_missing("customer", customer_id, param=param)
    return customer


def _apply(ctx: Ctx, customer: Obj) -> None:
    params = ctx.params
    set_strings(params, customer, _STRINGS)
    prefix = params.string("invoice_prefix")
    if prefix is not None:
        if not _INVOICE_PREFIX.fullmatch(prefix):
            raise parameter_invalid(
                "invoice_prefix", "The prefix must be 3 to 12 uppercase letters or digits."
            )
        customer["invoice_prefix"] = prefix
    if params.has("metadata"):
        customer["metadata"] = merge_metadata(customer.get("metadata"), params.raw("metadata"))
    for name in ("address", "shipping"):
        if params.has(name):
            customer[name] = params.mapping(name) or None
    if params.has("preferred_locales"):
        customer["preferred_locales"] = params.strings("preferred_locales")
    tax_exempt = params.choice("tax_exempt", ("none", "exempt", "reverse"))
    if tax_exempt is not None:
        customer["tax_exempt"] = tax_exempt
    balance = params.integer("balance")
    if balance is not None:
        customer["balance"] = balance
    sequence = params.integer("next_invoice_sequence", low=1)
    if sequence is not None:
        customer["next_invoice_sequence"] = sequence
    now = ctx.time_for(customer.get("test_clock"))
    token = params.string("payment_method")
    attached = None
    if token:
        attached = attach_payment_method(
            ctx.store, token, customer["id"], now=now, param="payment_method"
        )
        ctx.engine.emit_current("payment_method", attached, "payment_method.attached", ctx.origin)
    settings_param = params.mapping("invoice_settings")
    if settings_param is not None:
        settings = dict(customer.get("invoice_settings") or {})
        default = Params(settings_param, prefix="invoice_settings").string("default_payment_method")
        if default is not None:
            if attached is not None and default == token:
                default = attached["id"]
            elif default:
                pm = attach_payment_method(
                    ctx.store,
                    default,
                    customer["id"],
                    now=now,
                    param="invoice_settings[default_payment_method]",
                )
                default = pm["id"]
            settings["default_payment_method"] = default or None
        for key in ("footer", "custom_fields", "rendering_options"):
            if key in settings_param:
                settings[key] = settings_param[key] or None
        customer["invoice_settings"] = {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
            **settings,
        }


def _apply_discount(ctx: Ctx, customer: Obj) -> tuple[Obj, str] | None:
    """``coupon`` or ``promotion_code`` (API versions before ``2025-03-31.basil``): a discount
    on every invoice of the customer's subscriptions that have none of their own.

    Returns the discount and the event to emit once the customer is saved.
    """
    named = [name for name in ("coupon", "promotion_code") if ctx.params.has(name)]
    if not named:
        return None
    if len(named) > 1:
        raise invalid_request(
            "You may only specify one of these parameters: coupon, promotion_code.",
            param="promotion_code",
        )
    now = ctx.time_for(customer.get("test_clock"))
    entry = {named[0]: ctx.params.raw(named[0])}
    discount = redeem(ctx.store, Owner(str(customer["id"])), entry, now=now, param="")
    replaced = customer.get("discount") is not None
    customer["discount"] = discount
    return discount, "customer.discount.updated" if replaced else "customer.discount.created"


def create_customer(ctx: Ctx) -> Obj:
    clock_id = ctx.params.string("test_clock")
    if clock_id and ctx.store.get("test_clock", clock_id) is None:
        raise resource_missing("test_clock", clock_id, param="test_clock")
    customer: Obj = {
        "id": new_id("cus"),
        "object": "customer",
        "created": ctx.time_for(clock_id),
        "livemode": ctx.livemode,
        "metadata": {},
        "test_clock": clock_id,
    }
    _apply(ctx, customer)
    discounted = _apply_discount(ctx, customer)
    ctx.engine.save("customer", customer, "customer.created", origin=ctx.origin)
    if discounted:
        ctx.engine.emit_current("discount", *discounted, ctx.origin)
    return ctx.respond("customer", customer)


def update_customer(ctx: Ctx) -> Obj:
    customer = _live_customer(ctx, ctx.path["id"])
    old = copy.deepcopy(customer)
    _apply(ctx, customer)
    discounted = _apply_discount(ctx, customer)
    ctx.engine.save("customer", customer, "customer.updated", old=old, origin=ctx.origin)
    if discounted:
        ctx.engine.emit_current("discount", *discounted, ctx.origin)
    return ctx.respond("customer", customer)


def delete_customer(ctx: Ctx) -> Obj:
    customer = _live_customer(ctx, ctx.path["id"])
    engine = ctx.engine
    now = ctx.time_for(customer.get("test_clock"))
    subs = ctx.store.find("subscription", Filter(equals={"customer": customer["id"]}))
    for sub in subs:
        if sub["status"] not in ("canceled", "incomplete_expired"):
            engine.lifecycle.cancel(sub, now, ctx.origin, reason="cancellation_requested")
    engine.emit_current("customer", customer, "customer.deleted", ctx.origin)
    stub = {**deleted_stub("customer", customer["id"]), "created": customer["created"]}
    ctx.store.put("customer", stub)
    return deleted_stub("customer", customer["id"])


def delete_customer_discount(ctx: Ctx) -> Obj:
    customer = _live_customer(ctx, ctx.path["id"])
    discount = customer.get("discount")
    if not discount:
        raise invalid_request(f"Customer {customer['id']} does not have a discount.")
    old = copy.deepcopy(customer)
    customer["discount"] = None
    ctx.engine.save("customer", customer, "customer.updated", old=old, origin=ctx.origin)
    ctx.engine.emit_current("discount", discount, "customer.discount.deleted", ctx.origin)
    return {**deleted_stub("discount", discount["id"]), **{"customer": customer["id"]}}


def attach(ctx: Ctx) -> Obj:
    customer_id = ctx.params.required_string("customer")
    customer = _live_customer(ctx, customer_id, param="customer")
    pm = attach_payment_method(
        ctx.store, ctx.path["id"], customer_id, now=ctx.time_for(customer.get("test_clock"))
    )
    ctx.engine.emit_current("payment_method", pm, "payment_method.attached", ctx.origin)
    return ctx.respond("payment_method", pm)


def detach(ctx: Ctx) -> Obj:
    pm = ctx.object_or_404("payment_method", ctx.path["id"])
    if pm.get("customer") is None:
        raise invalid_request(
            "The payment method you provided is not attached to a customer so detachment "
            "is impossible.",
            code="payment_method_unexpected_state",
        )
    pm["customer"] = None
    ctx.store.put("payment_method", pm)
    ctx.engine.emit_current("payment_method", pm, "payment_method.detached", ctx.origin)
    return ctx.respond("payment_method", pm)


def list_payment_methods(ctx: Ctx) -> Obj:
    customer_id = ctx.path.get("id") or ctx.params.string("customer")
    if customer_id is None:
        raise invalid_request("Missing required param: customer.", param="customer")
    _live_customer(ctx, customer_id, param="customer")
    ctx.params.choice("type", ("card",))
    where = Filter(equals={"customer": customer_id})
    url = (
        f"/v1/customers/{customer_id}/payment_methods"
        if "id" in ctx.path
        else ("/v1/payment_methods")
    )
    return list_objects(ctx, "payment_method", where, url)


ROUTES = [
    Route("GET", "/v1/customers", list_customers),
    Route("POST", "/v1/customers", create_customer),
    Route("GET", "/v1/customers/{id}/payment_methods", list_payment_methods),
    Route("DELETE", "/v1/customers/{id}/discount", delete_customer_discount),
    Route("GET", "/v1/customers/{id}", lambda ctx: ctx.retrieve("customer")),
    Route("POST", "/v1/customers/{id}", update_customer),
    Route("DELETE", "/v1/customers/{id}", delete_customer),
    Route("GET", "/v1/payment_methods", list_payment_methods),
    Route("GET", "/v1/payment_methods/{id}", lambda ctx: ctx.retrieve("payment_method")),
    Route("POST", "/v1/payment_methods/{id}/attach", attach),
    Route("POST", "/v1/payment_methods/{id}/detach", detach),
]
