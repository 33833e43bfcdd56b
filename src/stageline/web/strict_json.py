"""JSON bodies as RFC 8259 defines them: no ``NaN``, no ``Infinity``, no number that overflows.

Python's ``json`` accepts ``NaN`` and turns ``1e400`` into infinity; neither is JSON, and
neither can be stored or echoed back. :class:`StrictJsonRoute` makes a router parse bodies
with :func:`loads_strict`, so such a body is refused as invalid JSON (400 in the error
envelope) before any handler sees it.

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
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


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


def loads_strict(body: bytes) -> Any:
    """``json.loads`` that refuses what RFC 8259 does not allow, always as ``JSONDecodeError``."""
    try:
        return json.loads(body, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except UnicodeDecodeError:
        raise _refused("the body is not UTF-8") from None
    except RecursionError:
        raise _refused("the body is nested too deeply") from None


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads_strict(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """An ``APIRoute`` whose handlers read JSON bodies with :func:`loads_strict`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler
