"""``/v1/webhook_endpoints``: where events are delivered, signed with a ``whsec_`` secret.

The secret is answered once, on creation. ``api_version`` (fixed at creation) chooses the
shape events are rendered in for this endpoint. ``connect=true`` (fixed at creation) makes
an endpoint of the connected accounts' events instead of its own account's.

>>> [route.method for route in ROUTES]
['GET', 'POST', 'GET', 'POST', 'DELETE']
"""

from __future__ import annotations

import copy
import typing
from functools import cache
from urllib.parse import urlparse

from stageline_sandbox.context import Ctx, Route, list_objects
from stageline_sandbox.errors import parameter_invalid, parameter_missing
from stageline_sandbox.ids import new_id, secret_token
from stageline_sandbox.mutations import merge_metadata
from stageline_sandbox.shapes import Obj, deleted_stub
from stageline_sandbox.store import Filter

MAX_ENDPOINTS = 16


@cache
def _sdk_literals(field: str) -> frozenset[str]:
    """The values the SDK's typed params allow for a webhook endpoint field."""
    from stripe.params._webhook_endpoint_create_params import WebhookEndpointCreateParams

    hint = WebhookEndpointCreateParams.__annotations__[field]
    values: set[str] = set()
    stack = [hint]
    while stack:
        current = stack.pop()
        args = typing.get_args(current)
        if typing.get_origin(current) is typing.Literal:
            values.update(str(a) for a in args)
        else:
            stack.extend(args)
    return frozenset(values)


def known_event_types() -> frozenset[str]:
    return _sdk_literals("enabled_events")


def _events(ctx: Ctx, required: bool) -> list[str] | None:
    if not ctx.params.has("enabled_events"):
        if required:
            raise parameter_missing("enabled_events")
        return None
    events = ctx.params.strings("enabled_events")
    if not events:
        raise parameter_missing("enabled_events")
    known = known_event_types()
    for n, name in enumerate(events):
        if name not in known:
            raise parameter_invalid(f"enabled_events[{n}]", f"Invalid event type: {name}")
    return events


def _url(ctx: Ctx, required: bool) -> str | None:
    url = ctx.params.string("url", required=required)
    if url is None:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise parameter_invalid("url", f"Invalid URL: {url}")
    return url


def create_endpoint(ctx: Ctx) -> Obj:
    url = _url(ctx, required=True)
    events = _events(ctx, required=True)
    version = ctx.params.string("api_version")
    if version is not None and version not in _sdk_literals("api_version"):
        raise parameter_invalid("api_version", f"Invalid API version: {version}")
    if ctx.store.count("webhook_endpoint") >= MAX_ENDPOINTS:
        raise parameter_invalid("url", f"You can have at most {MAX_ENDPOINTS} endpoints.")
    connect = ctx.params.boolean("connect")
    endpoint: Obj = {
        "id": new_id("we"),
        "object": "webhook_endpoint",
        "created": ctx.now,
        "api_version": version,
        "application": None,
        "description": ctx.params.string("description"),
        "enabled_events": events,
        "livemode": ctx.livemode,
        "metadata": merge_metadata({}, ctx.params.raw("metadata") or {}),
        "status": "enabled",
        "url": url,
        "_secret": secret_token("whsec_"),
        **({"_connect": True} if connect else {}),
    }
    ctx.store.put("webhook_endpoint", endpoint)
    response = ctx.respond("webhook_endpoint", endpoint)
    response["secret"] = endpoint["_secret"]
    return response


def update_endpoint(ctx: Ctx) -> Obj:
    endpoint = ctx.object_or_404("webhook_endpoint", ctx.path["id"])
    old = copy.deepcopy(endpoint)
    url = _url(ctx, required=False)
    if url:
        endpoint["url"] = url
    events = _events(ctx, required=False)
    if events is not None:
        endpoint["enabled_events"] = events
    if ctx.params.has("description"):
        endpoint["description"] = ctx.params.nullable_string("description")
    if ctx.params.has("metadata"):
        endpoint["metadata"] = merge_metadata(endpoint.get("metadata"), ctx.params.raw("metadata"))
    disabled = ctx.params.boolean("disabled")
    if disabled is not None:
        endpoint["status"] = "disabled" if disabled else "enabled"
    if endpoint != old:
        ctx.store.put("webhook_endpoint", endpoint)
    return ctx.respond("webhook_endpoint", endpoint)


def delete_endpoint(ctx: Ctx) -> Obj:
    endpoint = ctx.object_or_404("webhook_endpoint", ctx.path["id"])
    ctx.store.delete("webhook_endpoint", endpoint["id"])
    return deleted_stub("webhook_endpoint", endpoint["id"])


ROUTES = [
    Route(
        "GET",
        "/v1/webhook_endpoints",
        lambda ctx: list_objects(ctx, "webhook_endpoint", Filter(), "/v1/webhook_endpoints"),
    ),
    Route("POST", "/v1/webhook_endpoints", create_endpoint),
    Route("GET", "/v1/webhook_endpoints/{id}", lambda ctx: ctx.retrieve("webhook_endpoint")),
    Route("POST", "/v1/webhook_endpoints/{id}", update_endpoint),
    Route("DELETE", "/v1/webhook_endpoints/{id}", delete_endpoint),
]
