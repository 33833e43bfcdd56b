"""Routers whose JSON bodies are read with :func:`stageline.json_input.loads_strict`.

A body with ``NaN``, ``Infinity``, a number that overflows, U+0000 or a lone surrogate is
refused as invalid JSON (400 in the error envelope) before any handler sees it.

Example::

    router = APIRouter(prefix="/api/v1", route_class=StrictJsonRoute)
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from stageline.json_input import loads_strict


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
