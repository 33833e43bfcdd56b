"""Stripe's form encoding, decoded into nested values, and checked access to them.

The SDK sends ``metadata[plan]=pro&items[0][price]=price_1&expand[0]=customer``; Stripe
reads that as ``{"metadata": {"plan": "pro"}, "items": [{"price": "price_1"}],
"expand": ["customer"]}``.

>>> p = Params(decode_form("limit=5&expand[0]=data.customer&metadata[k]=v"))
>>> p.integer("limit", low=1, high=100), p.strings("expand"), p.mapping("metadata")
(5, ['data.customer'], {'k': 'v'})
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from stageline_sandbox.errors import parameter_invalid, parameter_missing

_KEY_PART = re.compile(r"\[([^\]]*)\]")
_INDEX = re.compile(r"[0-9]{1,6}")


def _split_key(key: str) -> list[str]:
    head, bracket, _ = key.partition("[")
    if not bracket:
        return [key]
    return [head, *_KEY_PART.findall(key[len(head) :])]


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        converted = {k: _listify(v) for k, v in value.items()}
        if converted and all(_INDEX.fullmatch(k) or k == "" for k in converted):
            keys = sorted((k for k in converted if k != ""), key=int)
            items = [converted[k] for k in keys]
            if "" in converted:
                extra = converted[""]
                items.extend(extra if isinstance(extra, list) else [extra])
            return items
        return converted
    return value


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest ``key[sub][0]=value`` pairs into dicts and lists, as Stripe reads them."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = _split_key(key)
        node = root
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            if parts[i + 1] == "":
                # ``expand[]=a&expand[]=b``: give each value its own slot.
                parts[i + 1] = str(len(child))
            node = child
        node[parts[-1]] = value
    result = _listify(root)
    assert isinstance(result, dict)
    return result


def decode_form(text: str) -> dict[str, Any]:
    """Decode a query string or ``application/x-www-form-urlencoded`` body."""
    return decode_pairs(parse_qsl(text, keep_blank_values=True))


_INTEGER = re.compile(r"-?[0-9]{1,19}")
MAX_INTEGER = 2**63 - 1
"""Stripe's integers are 64-bit: anything larger is refused, never overflows the store."""


def parse_integer(value: object) -> int | None:
    """``value`` as a 64-bit integer if it is one written in ASCII digits, else ``None``.

    >>> parse_integer("-42"), parse_integer("²"), parse_integer("99999999999999999999")
    (-42, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if -MAX_INTEGER <= number <= MAX_INTEGER else None


_DECIMAL = re.compile(r"[0-9]{1,19}(\.[0-9]{1,12})?")
_TRUE = {"true"}
_FALSE = {"false"}


class Params:
    """Read parameters the way Stripe validates them, raising Stripe's 400s.

    Which parameters an endpoint takes is checked before its handler runs
    (:mod:`stageline_sandbox.honoured`); this class reads and validates their values.
    """

    def __init__(self, values: dict[str, Any], prefix: str = "") -> None:
        self.values = values
        self.prefix = prefix

    def _p(self, name: str) -> str:
        """The name Stripe reports, e.g. ``items[0][price]`` for a nested param."""
        return f"{self.prefix}[{name}]" if self.prefix else name

    def has(self, name: str) -> bool:
        return name in self.values

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self.raw(name)
        if value is None:
            if required:
                raise parameter_missing(self._p(name))
            return None
        if not isinstance(value, str):
            raise parameter_invalid(self._p(name), f"Invalid string: {_show(value)}")
        return value

    def required_string(self, name: str) -> str:
        value = self.string(name, required=True)
        assert value is not None
        return value

    def nullable_string(self, name: str) -> str | None:
        """A string where ``""`` means "unset" (Stripe's way to clear a field)."""
        value = self.string(name)
        return value or None

    def integer(self, name: str, *, low: int | None = None, high: int | None = None) -> int | None:
        value = self.raw(name)
        if value is None:
            return None
        number = parse_integer(value) if isinstance(value, str) else None
        if number is None:
            raise parameter_invalid(self._p(name), f"Invalid integer: {_show(value)}")
        if (low is not None and number < low) or (high is not None and number > high):
            raise parameter_invalid(self._p(name), _range_message(name, number, low, high))
        return number

    def number(
        self, name: str, *, low: float | None = None, high: float | None = None
    ) -> float | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            number = float(value) if isinstance(value, str) else float("nan")
        except ValueError:
            number = float("nan")
        if number != number:
            raise parameter_invalid(self._p(name), f"Invalid decimal: {_show(value)}")
        if (low is not None and number < low) or (high is not None and number > high):
            raise parameter_invalid(self._p(name), _range_message(name, number, low, high))
        return number

    def decimal(self, name: str) -> str | None:
        """A non-negative decimal string (``unit_amount_decimal``), at most 12 places."""
        value = self.raw(name)
        if value is None:
            return None
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            raise parameter_invalid(self._p(name), f"Invalid decimal: {_show(value)}")
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, str) and value in _TRUE:
            return True
        if isinstance(value, str) and value in _FALSE:
            return False
        raise parameter_invalid(self._p(name), f"Invalid boolean: {_show(value)}")

    def choice(self, name: str, choices: Iterable[str]) -> str | None:
        value = self.string(name)
        allowed = tuple(choices)
        if value is not None and value not in allowed:
            raise parameter_invalid(
                self._p(name),
                f"Invalid {name}: must be one of {', '.join(allowed)}",
            )
        return value

    def strings(self, name: str) -> list[str]:
        value = self.raw(name)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise parameter_invalid(self._p(name), f"Invalid array: {_show(value)}")
        return list(value)

    def mapping(self, name: str) -> dict[str, Any] | None:
        value = self.raw(name)
        if value is None:
            return None
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise parameter_invalid(self._p(name), f"Invalid hash: {_show(value)}")
        return value

    def objects(self, name: str) -> list[dict[str, Any]]:
        value = self.raw(name)
        if value is None or value == "":
            return []
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise parameter_invalid(self._p(name), f"Invalid array: {_show(value)}")
        return list(value)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _range_message(name: str, value: float, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"Invalid {name}: must be between {low:g} and {high:g} (got {value:g})"
    if low is not None:
        return f"Invalid {name}: must be at least {low:g} (got {value:g})"
    return f"Invalid {name}: must be at most {high:g} (got {value:g})"
