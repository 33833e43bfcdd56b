"""Validate objects against Stripe's OpenAPI document for API version 2024-06-20."""

from __future__ import annotations

import gzip
import json
from functools import cache
from typing import Any

import pytest

from .shape_check import REFERENCE

_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}


@cache
def _schemas() -> dict[str, Any]:
    path = REFERENCE / "spec3.2024-06-20.schemas.json.gz"
    if not path.exists():
        pytest.fail(f"Stripe's reference data is missing: expected {path}")
    schemas: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))["components"][
        "schemas"
    ]
    return schemas


def spec_problems(value: Any, schema: dict[str, Any] | str, where: str = "$") -> list[str]:
    """Type, nullability and required-field problems of ``value`` against ``schema``."""
    if isinstance(schema, str):
        schema = _schemas()[schema]
    if "$ref" in schema:
        return spec_problems(value, schema["$ref"].rsplit("/", 1)[-1], where)
    if value is None:
        return [] if schema.get("nullable") else [f"{where} is null"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [spec_problems(value, option, where) for option in schema[key]]
            if any(not problems for problems in options):
                return []
            return min(options, key=len)
    problems: list[str] = []
    expected = schema.get("type")
    if expected in _TYPES:
        python_type = _TYPES[expected]
        if isinstance(value, bool) and expected in ("integer", "number"):
            return [f"{where} is a boolean, not {expected}"]
        if not isinstance(value, python_type):  # type: ignore[arg-type]
            return [f"{where} is {type(value).__name__}, not {expected}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}={value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}.{name} is missing")
        for name, sub_schema in (schema.get("properties") or {}).items():
            if name in value:
                problems.extend(spec_problems(value[name], sub_schema, f"{where}.{name}"))
    if isinstance(value, list) and "items" in schema:
        for n, element in enumerate(value):
            problems.extend(spec_problems(element, schema["items"], f"{where}[{n}]"))
    return problems
