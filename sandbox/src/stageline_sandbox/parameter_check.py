"""Checking a request's parameters against the list of those its endpoint honours.

>>> first_unknown("POST", "/v1/subscriptions", {"items": [{"price": "p", "foo": "1"}]}, None)
'items[0][foo]'
>>> first_unknown("POST", "/v1/customers", {"coupon": "SAVE"}, None)
'coupon'
>>> first_unknown("POST", "/v1/customers", {"coupon": "SAVE"}, "2024-06-20") is None
True
>>> honours("POST", "/v1/subscriptions", ("items", 0, "discounts", 0, "coupon"), None)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stageline_sandbox.honoured import ANY_KEY, EXPAND, HONOURED, OLDER, Node


def is_before(api_version: str | None, version: str) -> bool:
    """True when a request's ``Stripe-Version`` predates ``version`` (``None``: the pinned)."""
    return api_version is not None and api_version[:10] < version[:10]


def parameters_for(method: str, path: str, api_version: str | None) -> dict[str, Node]:
    """The parameters ``method path`` honours for a request at ``api_version``."""
    honoured = dict(HONOURED.get((method, path), EXPAND))
    for removed_in, older in OLDER.get((method, path), []):
        if is_before(api_version, removed_in):
            honoured.update(older)
    return honoured


def _unknown_in(value: Any, node: Node, name: str) -> str | None:
    if isinstance(node, list):
        if isinstance(value, list):
            for n, element in enumerate(value):
                found = _unknown_in(element, node[0], f"{name}[{n}]")
                if found:
                    return found
        elif isinstance(value, dict):
            return _unknown_keys(value, node[0], name)
        return None
    if isinstance(node, Mapping) and isinstance(value, dict):
        return _unknown_keys(value, node, name)
    return None


def _unknown_keys(values: dict[str, Any], node: Node, prefix: str) -> str | None:
    keys: Mapping[str, Node] = node if isinstance(node, Mapping) else {}
    for key, value in values.items():
        name = f"{prefix}[{key}]" if prefix else key
        if key in keys:
            child = keys[key]
        elif ANY_KEY in keys:
            child = keys[ANY_KEY]
        else:
            return name
        found = _unknown_in(value, child, name)
        if found:
            return found
    return None


def first_unknown(
    method: str, path: str, values: dict[str, Any], api_version: str | None
) -> str | None:
    """The bracketed name of the first parameter ``method path`` does not honour, if any."""
    return _unknown_keys(values, parameters_for(method, path, api_version), "")


def honours(
    method: str, path: str, parameter: tuple[str | int, ...], api_version: str | None
) -> bool:
    """Whether ``parameter`` (a path such as ``("items", 0, "price")``) is honoured."""
    node: Node = parameters_for(method, path, api_version)
    for part in parameter:
        if isinstance(part, int):
            if isinstance(node, list):
                node = node[0]
            elif node is not None:
                return False
            continue
        if not isinstance(node, Mapping):
            return False
        if part in node:
            node = node[part]
        elif ANY_KEY in node:
            node = node[ANY_KEY]
        else:
            return False
    return True
