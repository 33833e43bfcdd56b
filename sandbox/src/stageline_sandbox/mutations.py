"""Rules every write follows: metadata merging, and reading Stripe's nested params.

>>> merge_metadata({"a": "1", "b": "2"}, {"b": "", "c": "3"})
{'a': '1', 'c': '3'}
"""

from __future__ import annotations

from typing import Any

from stageline_sandbox.errors import parameter_invalid
from stageline_sandbox.params import Params, parse_integer
from stageline_sandbox.shapes import Obj

MAX_METADATA_KEYS = 50


def merge_metadata(
    current: dict[str, Any] | None, update: Any, param: str = "metadata"
) -> dict[str, str]:
    """Stripe's metadata update: keys merge, ``""`` deletes a key, ``metadata=""`` clears."""
    if update == "" or update is None:
        return {} if update == "" else dict(current or {})
    if not isinstance(update, dict):
        raise parameter_invalid(param, "Invalid hash")
    merged = dict(current or {})
    for key, value in update.items():
        if not isinstance(value, str):
            raise parameter_invalid(f"{param}[{key}]", "Metadata values must be strings.")
        if len(key) > 40:
            raise parameter_invalid(
                f"{param}[{key}]", "Metadata keys can be at most 40 characters long."
            )
        if len(value) > 500:
            raise parameter_invalid(
                f"{param}[{key}]", "Metadata values can be at most 500 characters long."
            )
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > MAX_METADATA_KEYS:
        raise parameter_invalid(param, "Metadata can have at most 50 keys.")
    return merged


def set_strings(params: Params, obj: Obj, names: tuple[str, ...]) -> None:
    """Copy plain string params onto ``obj`` (``""`` clears a field to null)."""
    for name in names:
        if params.has(name):
            obj[name] = params.nullable_string(name)


def sub_params(params: Params, name: str) -> Params:
    """The nested hash ``name`` as its own :class:`Params` (empty if absent)."""
    return Params(params.mapping(name) or {})


def integer_value(value: Any, param: str, *, low: int | None = None) -> int:
    """An integer given inside a nested param (e.g. ``items[0][quantity]``)."""
    number = parse_integer(value)
    if number is None:
        raise parameter_invalid(param, f"Invalid integer: {value!r}")
    if low is not None and number < low:
        raise parameter_invalid(param, f"Invalid {param}: must be at least {low}")
    return number


def timestamp_or_keyword(value: Any, param: str, keywords: tuple[str, ...] = ()) -> int | str:
    """A unix timestamp, or one of Stripe's keywords such as ``now``."""
    if isinstance(value, str) and value in keywords:
        return value
    return integer_value(value, param, low=0)
