"""The OpenAPI document as clients meet the API: the API key as bearer authentication, and
every error in the one envelope (``Error``) with the statuses Stageline answers.

FastAPI documents validation errors as 422 ``{"detail": [...]}``; Stageline answers them 400
in the envelope (:mod:`stageline.web.errors`), so the document says that instead.

Example::

    document = openapi_document(create_app(settings))
    document["paths"]["/api/v1/settings/mrr"]["put"]["responses"].keys()
    # dict_keys(['200', '400', '401', '404', '413'])
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "code", "message", "param", "hint"],
            "properties": {
                "type": {"type": "string", "description": "the error's class, e.g. NotFound"},
                "code": {"type": "string", "description": "a finer, stable snake_case code"},
                "message": {"type": "string"},
                "param": {"type": ["string", "null"], "description": "the field at fault"},
                "hint": {"type": ["string", "null"], "description": "how to fix it"},
            },
        }
    },
}
_WHY = {
    "400": "invalid input: a malformed body, a parameter that is missing, unknown or invalid",
    "401": "missing or wrong API key",
    "404": "no such resource (or a feature switched off on this server)",
    "409": "the request clashes with existing state",
    "413": "the request body is over the size limit",
}


def _error_statuses(method: str, operation: dict[str, Any]) -> list[str]:
    statuses = ["400", "404"]
    if operation.get("security"):
        statuses.append("401")
    if method in ("post", "put", "patch"):
        statuses.append("413")
    return sorted(statuses)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """Build (once) and return the app's OpenAPI document."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(title=app.title, version=app.version, routes=app.routes)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in _error_statuses(method, operation):
                responses.setdefault(
                    status,
                    {
                        "description": _WHY[status],
                        "content": {"application/json": {"schema": ERROR_REF}},
                    },
                )
    app.openapi_schema = document
    return document
