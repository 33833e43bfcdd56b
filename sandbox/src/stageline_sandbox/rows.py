"""How an object becomes a row: its indexed columns, its JSON, and list filters over them.

>>> store_row("customer", {"id": "cus_1", "created": 5, "email": "a@b.c"})[:3]
('customer', 'cus_1', 5)
>>> Filter(equals={"status": "active"}).where("subscription")
('type = ? AND status = ?', ['subscription', 'active'])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

INDEXED_COLUMNS = ("customer", "status", "parent", "email", "test_clock")


def _customer_of(obj: dict[str, Any]) -> str | None:
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    return customer if isinstance(customer, str) else None


def _parent_of(obj_type: str, obj: dict[str, Any]) -> str | None:
    if obj_type == "price":
        return str(obj.get("product") or "") or None
    if obj_type == "invoice":
        parent = obj.get("parent") or {}
        details = parent.get("subscription_details") or {}
        return details.get("subscription")
    if obj_type == "discount":
        return obj.get("subscription") or obj.get("customer")
    if obj_type == "event":
        return ((obj.get("data") or {}).get("object") or {}).get("id")
    if obj_type == "invoiceitem":
        return obj.get("invoice")
    return None


def _status_of(obj_type: str, obj: dict[str, Any]) -> str | None:
    if obj.get("deleted"):
        return "deleted"
    if obj_type == "event":
        return str(obj.get("type"))
    if obj_type in ("price", "product", "coupon", "promotion_code"):
        return "active" if obj.get("active", obj.get("valid", True)) else "inactive"
    status = obj.get("status")
    return status if isinstance(status, str) else None


def index_columns(obj_type: str, obj: dict[str, Any]) -> tuple[Any, ...]:
    """The indexed columns of a row, derived from the object itself."""
    clock = obj.get("test_clock")
    return (
        obj_type,
        obj["id"],
        int(obj.get("created") or 0),
        _customer_of(obj),
        _status_of(obj_type, obj),
        _parent_of(obj_type, obj),
        obj.get("email") if isinstance(obj.get("email"), str) else None,
        clock if isinstance(clock, str) else None,
        1 if obj.get("livemode") else 0,
    )


_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def dumps(obj: Any) -> str:
    """Compact JSON, as the store keeps objects."""
    return _ENCODER.encode(obj)


def store_row(obj_type: str, obj: dict[str, Any]) -> tuple[Any, ...]:
    """The row the store keeps for ``obj``: its indexed columns, then its JSON."""
    return (*index_columns(obj_type, obj), dumps(obj))


@dataclass
class Filter:
    """Conditions of a list query; every field narrows the result.

    ``created`` maps Stripe's operators (``gt``, ``gte``, ``lt``, ``lte``) to timestamps.
    ``sql`` holds extra conditions over the row, e.g. on ``json_extract(data, ...)``.
    """

    equals: dict[str, Any] = field(default_factory=dict)
    status_in: Sequence[str] | None = None
    status_not_in: Sequence[str] = ()
    created: dict[str, int] = field(default_factory=dict)
    ids: Sequence[str] | None = None
    sql: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def where(self, obj_type: str) -> tuple[str, list[Any]]:
        clauses = ["type = ?"]
        args: list[Any] = [obj_type]
        for column, value in self.equals.items():
            if column not in INDEXED_COLUMNS and column != "livemode":
                raise ValueError(f"not an indexed column: {column}")
            clauses.append(f"{column} = ?" if value is not None else f"{column} IS NULL")
            if value is not None:
                args.append(value)
        if self.status_in is not None:
            clauses.append(f"status IN ({','.join('?' * len(self.status_in))})")
            args.extend(self.status_in)
        if self.status_not_in:
            clauses.append(
                f"(status IS NULL OR status NOT IN ({','.join('?' * len(self.status_not_in))}))"
            )
            args.extend(self.status_not_in)
        operators = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
        for op, value in self.created.items():
            clauses.append(f"created {operators[op]} ?")
            args.append(value)
        if self.ids is not None:
            clauses.append(f"id IN ({','.join('?' * len(self.ids))})")
            args.extend(self.ids)
        for sql, sql_args in self.sql:
            clauses.append(f"({sql})")
            args.extend(sql_args)
        return " AND ".join(clauses), args


@dataclass
class Page:
    items: list[dict[str, Any]]
    has_more: bool
