"""Compare sandbox JSON with Stripe's own example objects and the SDK's typed classes."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest

# Stripe's published reference data, trimmed to what the checks read (see reference/README.md).
REFERENCE = Path(__file__).resolve().parent / "reference"


def load_fixtures() -> dict[str, dict[str, Any]]:
    """Stripe's example object of each resource the checks compare, by resource name."""
    path = REFERENCE / "fixtures3.json"
    if not path.exists():
        pytest.fail(f"Stripe's reference data is missing: expected {path}")
    resources: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["resources"]
    return resources


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _nullable(sdk_class: type | None, field: str) -> bool:
    if sdk_class is None:
        return True
    annotation = getattr(sdk_class, "__annotations__", {}).get(field)
    if annotation is None:
        return True
    return type(None) in typing.get_args(annotation)


def shape_problems(
    ours: dict[str, Any], reference: dict[str, Any], sdk_class: type | None, where: str = ""
) -> list[str]:
    """Fields of ``reference`` missing in ``ours``, or present with another JSON type.

    ``null`` is accepted where the SDK types the field as Optional; nested objects are
    compared recursively when both sides have one. An expandable field may hold an id
    where the example embeds an object and the reverse.
    """
    problems = []
    for field, expected in reference.items():
        path = f"{where}{field}"
        if field not in ours:
            problems.append(f"missing {path}")
            continue
        actual = ours[field]
        if actual is None:
            if expected is not None and not _nullable(sdk_class, field):
                problems.append(f"{path} is null but the SDK does not allow null")
            continue
        if expected is None:
            continue
        kinds = {_json_type(expected), _json_type(actual)}
        if len(kinds) > 1 and kinds != {"string", "object"}:
            problems.append(f"{path}: {_json_type(actual)} instead of {_json_type(expected)}")
        if isinstance(actual, dict) and isinstance(expected, dict):
            if expected.get("object") == "list" or field in {"metadata", "payment_method_options"}:
                continue
            inner = getattr(sdk_class, "__annotations__", {}).get(field) if sdk_class else None
            inner_class = _class_of(inner)
            problems.extend(shape_problems(actual, expected, inner_class, f"{path}."))
    return problems


def _class_of(annotation: Any) -> type | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type):
            return candidate
    return None
