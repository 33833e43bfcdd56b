"""JSON from outside, as RFC 8259 defines it and as both databases can store it.

Python's ``json`` accepts ``NaN`` and turns ``1e400`` into infinity; neither is JSON, and
neither can be stored or echoed back. It also accepts ``"\\u0000"`` and lone surrogates
(``"\\ud800"``), which PostgreSQL cannot store in text or JSONB. :func:`loads_strict` refuses
all of these with ``json.JSONDecodeError``, as it refuses any other malformed JSON.

>>> loads_strict(b'{"rate": 1.5}')
{'rate': 1.5}
>>> loads_strict(b'{"rate": NaN}')
Traceback (most recent call last):
...
json.decoder.JSONDecodeError: NaN is not a JSON value: line 1 column 1 (char 0)
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["loads_strict"]


def _refused(reason: str) -> json.JSONDecodeError:
    return json.JSONDecodeError(reason, "", 0)


def _constant(name: str) -> Any:
    raise _refused(f"{name} is not a JSON value")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _refused(f"the number {text[:40]} is out of range")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _refused(f"an integer of {len(text)} digits is out of range") from None


def _check_strings(value: Any) -> None:
    """Every string (keys too) can be stored: no U+0000, no lone surrogate."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise _refused("a string holds U+0000")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise _refused("a string holds a lone surrogate") from None


def loads_strict(body: bytes | str) -> Any:
    """``json.loads`` of UTF-8 text, refusing what RFC 8259 or the databases do not allow."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        value = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except UnicodeDecodeError:
        raise _refused("the body is not UTF-8") from None
    except RecursionError:
        raise _refused("the body is nested too deeply") from None
    _check_strings(value)
    return value
