"""``/v1/{customers,subscriptions,invoices}/search``: Stripe's Search API.

Answers ``{"object": "search_result", "data", "has_more", "next_page", "url"}``; the SDK's
``auto_paging_iter`` follows ``next_page``.

>>> [route.path for route in ROUTES][0]
'/v1/customers/search'
"""

from __future__ import annotations

import base64

from stageline_sandbox.context import Ctx, Route
from stageline_sandbox.errors import parameter_invalid
from stageline_sandbox.search import (
    CUSTOMER_FIELDS,
    INVOICE_FIELDS,
    SUBSCRIPTION_FIELDS,
    to_sql,
)
from stageline_sandbox.shapes import Obj
from stageline_sandbox.store import Filter


def _page_offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        return int(text.removeprefix("offset:"))
    except ValueError:
        raise parameter_invalid("page", f"Invalid page: {token}") from None


def _search(ctx: Ctx, obj_type: str, fields: dict[str, str], url: str) -> Obj:
    params = ctx.params
    query = params.required_string("query")
    limit = params.integer("limit", low=1, high=100) or 10
    offset = _page_offset(params.string("page"))
    sql, args = to_sql(query, fields)
    where = Filter(status_not_in=("deleted",), sql=[(sql, tuple(args))])
    page = ctx.store.slice(obj_type, where, limit=limit, offset=offset)
    next_page = (
        base64.urlsafe_b64encode(f"offset:{offset + limit}".encode()).decode()
        if page.has_more
        else None
    )
    result: Obj = {
        "object": "search_result",
        "data": [ctx.renderer.render(obj_type, item) for item in page.items],
        "has_more": page.has_more,
        "next_page": next_page,
        "url": url,
    }
    ctx.renderer.expand(result, ctx.expand_paths())
    return result


ROUTES = [
    Route(
        "GET",
        "/v1/customers/search",
        lambda ctx: _search(ctx, "customer", CUSTOMER_FIELDS, "/v1/customers/search"),
    ),
    Route(
        "GET",
        "/v1/subscriptions/search",
        lambda ctx: _search(ctx, "subscription", SUBSCRIPTION_FIELDS, "/v1/subscriptions/search"),
    ),
    Route(
        "GET",
        "/v1/invoices/search",
        lambda ctx: _search(ctx, "invoice", INVOICE_FIELDS, "/v1/invoices/search"),
    ),
]
