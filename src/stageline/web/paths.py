"""Path segments as RFC 3986 has them: an id is one segment, percent-encoded, decoded once.

Servers hand Starlette the path already decoded, so ``/accounts/org%2F9`` would be routed as
``/accounts/org/9``: two segments, no such page. :class:`SegmentRouting` routes on the raw
path instead: each segment is checked (well-formed ``%XX``, UTF-8) and re-encoded in one
canonical form (unreserved characters plain, everything else ``%XX``); route parameters are
declared ``{name:segment}`` and :class:`SegmentConvertor` decodes them, exactly once. Links
to a segment are built with :func:`encode_segment` (the ``segment`` template filter).

>>> canonical_path(b"/api/v1/accounts/org%2f9")
'/api/v1/accounts/org%2F9'
>>> canonical_path(b"/api/v1/%61ccounts/caf%C3%A9")
'/api/v1/accounts/caf%C3%A9'
>>> SegmentConvertor().convert("org%2F9"), encode_segment("org/9")
('org/9', 'org%2F9')
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, unquote_to_bytes

from starlette.convertors import Convertor, register_url_convertor
from starlette.types import ASGIApp, Receive, Scope, Send

from stageline.errors import InvalidInput
from stageline.web.errors import send_error

SEGMENT = "segment"
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def encode_segment(value: object) -> str:
    """One path segment for ``value``: every character but the unreserved ones as ``%XX``."""
    return quote(str(value), safe="")


class SegmentConvertor(Convertor[str]):
    """A route parameter matched in the canonical path and decoded once."""

    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return unquote(value, errors="strict")

    def to_string(self, value: str) -> str:
        return encode_segment(value)


register_url_convertor(SEGMENT, SegmentConvertor())


def canonical_path(raw_path: bytes) -> str:
    """The raw path with every segment decoded once and re-encoded canonically.

    Raises ``InvalidInput`` for a ``%`` not followed by two hex digits, bytes that are not
    UTF-8, or U+0000: no id can be spelled that way.
    """
    segments = []
    for segment in raw_path.split(b"/"):
        if _BAD_ESCAPE.search(segment):
            raise InvalidInput(
                "the path has a '%' that is not followed by two hex digits",
                code="invalid_path",
                hint="encode '%' in an id as %25",
            )
        try:
            decoded = unquote_to_bytes(segment).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(
                "the path is not UTF-8 once percent-decoded",
                code="invalid_path",
                hint="percent-encode the UTF-8 bytes of each character",
            ) from None
        if "\x00" in decoded:
            raise InvalidInput(
                "the path holds U+0000 (%00), which no id can contain", code="invalid_path"
            )
        segments.append(encode_segment(decoded))
    return "/".join(segments)


class SegmentRouting:
    """ASGI middleware: route on :func:`canonical_path` of the raw path (400 if malformed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path")
        if raw_path is None:  # a server that keeps only the decoded path: encode it again
            raw_path = encode_segment_path(scope["path"]).encode("ascii")
        try:
            path = canonical_path(raw_path)
        except InvalidInput as exc:
            await send_error(scope, receive, send, exc)
            return
        root = str(scope.get("root_path", ""))
        if root and scope["path"].startswith(root):  # a server that puts root_path in path only
            prefix = encode_segment_path(root)
            path = path if path.startswith(prefix) else prefix + path
        await self.app({**scope, "path": path}, receive, send)


def encode_segment_path(path: str) -> str:
    """A decoded path encoded again, segment by segment (its ``/`` stay separators)."""
    return "/".join(encode_segment(segment) for segment in path.split("/"))
