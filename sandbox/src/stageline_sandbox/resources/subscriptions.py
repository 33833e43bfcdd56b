"""``/v1/subscriptions`` and ``/v1/subscription_items``: list and retrieve.

Listing follows Stripe: without ``status`` every subscription but the canceled ones;
``status=all`` everything; ``status=ended`` canceled and incomplete_expired.

>>> [route.path for route in ROUTES][0]
'/v1/subscriptions'
"""

from __future__ import annotations

from stageline_sandbox.context import Ctx, Route, list_objects, timestamp_filter
from stageline_sandbox.errors import parameter_missing, resource_missing
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import Filter

STATUSES = (
    "active",
    "all",
    "canceled",
    "ended",
    "incomplete",
    "incomplete_expired",
    "past_due",
    "paused",
    "trialing",
    "unpaid",
)


def list_subscriptions(ctx: Ctx) -> Obj:
    params = ctx.params
    status = params.choice("status", STATUSES)
    where = Filter()
    if status is None:
        where.status_not_in = ("canceled",)
    elif status == "ended":
        where.status_in = ("canceled", "incomplete_expired")
    elif status != "all":
        where.equals["status"] = status
    for name in ("customer", "test_clock"):
        value = params.string(name)
        if value is not None:
            where.equals[name] = value
    collection = params.choice("collection_method", ("charge_automatically", "send_invoice"))
    if collection is not None:
        where.sql.append(
            (
                "coalesce(json_extract(data, '$.collection_method'), 'charge_automatically') = ?",
                (collection,),
            )
        )
    for name in ("price", "plan"):
        price = params.string(name)
        if price is None:
            continue
        where.sql.append(
            (
                "EXISTS (SELECT 1 FROM json_each(data, '$.items') WHERE"
                " json_extract(value, '$.price') = ?)",
                (price,),
            )
        )
    for name, aggregate in (("current_period_end", "MIN"), ("current_period_start", "MAX")):
        if params.has(name):
            for op, bound in timestamp_filter(params, name).items():
                sign = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
                where.sql.append(
                    (
                        f"(SELECT {aggregate}(json_extract(value, '$.{name}')) FROM"
                        f" json_each(data, '$.items')) {sign} ?",
                        (bound,),
                    )
                )
    return list_objects(ctx, "subscription", where, "/v1/subscriptions")


def list_items(ctx: Ctx) -> Obj:
    params = ctx.params
    subscription_id = params.string("subscription")
    if subscription_id is None:
        raise parameter_missing("subscription")
    sub = ctx.store.get("subscription", subscription_id)
    if sub is None:
        raise resource_missing("subscription", subscription_id, param="subscription")
    limit = params.integer("limit", low=1, high=100) or 10
    rendered = ctx.renderer.render("subscription", sub)
    items: Obj = rendered["items"]
    data: list[Obj] = items["data"]
    ids = [item["id"] for item in data]
    after, before = params.string("starting_after"), params.string("ending_before")
    cursor, name = (after, "starting_after") if after else (before, "ending_before")
    if cursor:
        if cursor not in ids:
            error = resource_missing("subscription_item", cursor, param=name)
            error.status = 400
            raise error
        at = ids.index(cursor)
        data = data[at + 1 :] if after else data[:at]
    items["has_more"] = len(data) > limit
    items["data"] = data[-limit:] if cursor and not after else data[:limit]
    ctx.renderer.expand(items, ctx.expand_paths())
    items.pop("total_count", None)
    return items


def retrieve_item(ctx: Ctx) -> Obj:
    item_id = ctx.path["id"]
    owner = ctx.store.owner_of(item_id)
    sub = ctx.store.get("subscription", owner) if owner else None
    for item in (sub or {}).get("items", []):
        if item["id"] == item_id:
            return ctx.respond("subscription_item", {**item, "subscription": owner})
    raise resource_missing("subscription_item", item_id)


ROUTES = [
    Route("GET", "/v1/subscriptions", list_subscriptions),
    Route("GET", "/v1/subscriptions/{id}", lambda ctx: ctx.retrieve("subscription")),
    Route("GET", "/v1/subscription_items", list_items),
    Route("GET", "/v1/subscription_items/{id}", retrieve_item),
]
