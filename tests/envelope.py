"""The one error envelope every HTTP error is answered with, checked in one place."""

from __future__ import annotations

from typing import Any

from httpx import Response

ENVELOPE_KEYS = {"type", "code", "message", "param", "hint"}


def envelope(response: Response, status: int) -> dict[str, Any]:
    """The error of ``response``, checked to be the envelope with ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == ENVELOPE_KEYS
    error: dict[str, Any] = body["error"]
    assert error["type"] and error["code"] and error["message"]
    return error
