"""Request bodies are limited in size, by what is declared and by what actually arrives.

:class:`BodyLimit` is ASGI middleware. A ``Content-Length`` over the limit is refused before a
byte is read; a body sent without one (chunked) is counted as it streams, and reading past the
limit raises :class:`~stageline.errors.PayloadTooLarge`. Whatever the app then answers, the
client gets 413 in the error envelope, unless the app answered 413 itself (the webhook
receiver does, after counting the refusal on its connection).

Example::

    app = BodyLimit(inner_app, limit_for=lambda path: 1024 * 1024)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stageline.errors import PayloadTooLarge
from stageline.web.errors import error_response


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is over the limit of {limit} bytes",
        hint="send a smaller body (the server's limit is STAGELINE_MAX_BODY_BYTES)",
    )


@dataclass
class _Tally:
    limit: int
    declared: int | None
    received: int = 0
    exceeded: bool = False
    started: bool = False
    replaced: bool = False

    @property
    def declared_too_large(self) -> bool:
        return self.declared is not None and self.declared > self.limit


def _declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length", "")
    return int(value) if value.isdigit() else None


class BodyLimit:
    """Refuse request bodies over ``limit_for(path)`` bytes with 413."""

    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tally = _Tally(limit=self.limit_for(scope["path"]), declared=_declared_length(scope))

        async def limited_receive() -> Message:
            if tally.declared_too_large:
                tally.exceeded = True
                raise too_large(tally.limit)
            message = await receive()
            if message["type"] == "http.request":
                tally.received += len(message.get("body", b""))
                if tally.received > tally.limit:
                    tally.exceeded = True
                    raise too_large(tally.limit)
            return message

        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                refused = tally.exceeded or tally.declared_too_large
                if refused and message["status"] != 413:
                    tally.replaced = True
                    await error_response(too_large(tally.limit))(scope, receive, send)
                    tally.started = True
                    return
                tally.started = True
            if not tally.replaced:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except PayloadTooLarge:
            if tally.started:
                raise
            await error_response(too_large(tally.limit))(scope, receive, send)
