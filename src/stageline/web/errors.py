"""Every HTTP error answered in one envelope: ``{"error": {"type", "code", "message", "param",
"hint"}}`` (docs/api.md lists the types and codes).

Stageline's own errors carry their status; FastAPI's validation errors, Starlette's routing
errors (404, 405) and any unexpected exception are translated here, once, so no client ever
sees ``{"detail": ...}`` or a plain-text 500. Nothing a client sent is echoed back but the
name of the field at fault.

>>> exc = validation_error([{"type": "extra_forbidden", "loc": ("body", "count_trial")}])
>>> exc.to_json()["error"]["code"], exc.param, exc.message
('parameter_unknown', 'count_trial', "unknown parameter 'count_trial'")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from stageline.errors import (
    AuthenticationFailed,
    InternalError,
    InvalidInput,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    StagelineError,
)

MAX_LISTED_PROBLEMS = 5
_LOCATIONS = ("body", "query", "path", "header", "cookie")


def error_response(exc: StagelineError, *, status: int | None = None) -> JSONResponse:
    """The envelope with the error's status (``status`` overrides it)."""
    headers: dict[str, str] = {}
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(exc.to_json(), status_code=status or exc.http_status, headers=headers)


async def send_error(scope: Scope, receive: Receive, send: Send, exc: StagelineError) -> None:
    """Answer ``exc`` from ASGI middleware, before or instead of the app."""
    await error_response(exc)(scope, receive, send)


def _param(location: Sequence[Any]) -> str | None:
    parts = list(location)
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    return ".".join(str(part) for part in parts) or None


def _problem(error: Mapping[str, Any]) -> tuple[str, str | None, str]:
    """(code, param, message) for one pydantic/FastAPI error, never quoting its input."""
    kind = str(error.get("type", ""))
    param = _param(error.get("loc", ()))
    field = repr(param) if param else "the body"
    if kind == "json_invalid":
        reason = (error.get("ctx") or {}).get("error") or "malformed"
        return "invalid_json", None, f"the body is not valid JSON: {reason}"
    if kind == "missing":
        return "parameter_missing", param, f"{field} is required"
    if kind == "extra_forbidden":
        return "parameter_unknown", param, f"unknown parameter {field}"
    message = str(error.get("msg") or "is not valid")
    return "parameter_invalid", param, f"{field}: {message[:1].lower()}{message[1:]}"


def validation_error(errors: Sequence[Mapping[str, Any]]) -> InvalidInput:
    """FastAPI's list of validation problems as one ``InvalidInput`` named by the first."""
    problems = [_problem(error) for error in errors] or [("invalid_input", None, "not valid")]
    code, param, _ = problems[0]
    messages = [message for _, _, message in problems[:MAX_LISTED_PROBLEMS]]
    if len(problems) > MAX_LISTED_PROBLEMS:
        messages.append(f"and {len(problems) - MAX_LISTED_PROBLEMS} more")
    return InvalidInput("; ".join(messages), code=code, param=param)


def http_error(status: int, request: Request) -> StagelineError:
    """Starlette's and FastAPI's own HTTP errors, in the error tree."""
    if status == 404:
        return NotFound(
            "no route answers this path", code="route_not_found", hint="see docs/api.md"
        )
    if status == 405:
        return MethodNotAllowed(f"{request.method} is not allowed on this path")
    if status == 413:
        return PayloadTooLarge("the request body is over the size limit")
    if status == 401:
        return AuthenticationFailed("authentication required")
    if status >= 500:
        return InternalError("the server failed to answer this request")
    if status == 400:
        return InvalidInput("the body could not be read", code="invalid_body")
    return InvalidInput(f"the request was refused (HTTP {status})", code=f"http_{status}")


def install_error_handlers(app: FastAPI) -> None:
    """Register the translations above on ``app``."""

    @app.exception_handler(StagelineError)
    async def stageline_error(_request: Request, exc: StagelineError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_request: Request, exc: RequestValidationError) -> Response:
        return error_response(validation_error(exc.errors()))

    @app.exception_handler(HTTPException)
    async def http_exception(request: Request, exc: HTTPException) -> Response:
        response = error_response(http_error(exc.status_code, request), status=exc.status_code)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, _exc: Exception) -> Response:
        """A bug: answered in the envelope; the server still logs the traceback."""
        return error_response(
            InternalError(
                "the server failed to answer this request",
                hint="this is a bug in Stageline: the server log has the details",
            )
        )
