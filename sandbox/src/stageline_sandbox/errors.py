"""Stripe's error model, raised by handlers and rendered once at the HTTP edge.

>>> err = resource_missing("customer", "cus_123")
>>> err.status, err.body()["error"]["code"]
(404, 'resource_missing')
"""

from __future__ import annotations

from typing import Any


class StripeApiError(Exception):
    """An error answered the way Stripe answers it: a status and an ``error`` object."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body Stripe sends for this error."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://docs.stripe.com/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


def resource_missing(object_name: str, object_id: str, *, param: str = "id") -> StripeApiError:
    """404 for an object that does not exist (or was never visible to this key)."""
    return StripeApiError(
        404, f"No such {object_name}: '{object_id}'", code="resource_missing", param=param
    )


def parameter_invalid(param: str, message: str) -> StripeApiError:
    """400 for a known parameter with a value Stripe would refuse."""
    return StripeApiError(400, message, code="parameter_invalid", param=param)


def parameter_missing(param: str) -> StripeApiError:
    """400 for a required parameter that was not sent."""
    return StripeApiError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def parameter_unknown(param: str) -> StripeApiError:
    """400 for a parameter the endpoint does not take."""
    return StripeApiError(
        400,
        f"Received unknown parameter: {param}",
        code="parameter_unknown",
        param=param,
    )


def invalid_request(
    message: str, *, param: str | None = None, code: str | None = None
) -> StripeApiError:
    """400 for a request that is well formed but cannot be carried out."""
    return StripeApiError(400, message, code=code, param=param)


def authentication_error(message: str) -> StripeApiError:
    """401 for a missing or wrong API key (Stripe types it ``invalid_request_error``)."""
    return StripeApiError(401, message)


def rate_limited(reason: str) -> StripeApiError:
    """429 with the header Stripe uses to say which limit was hit."""
    return StripeApiError(
        429,
        "Request rate limit exceeded. Learn more about rate limits here "
        "https://docs.stripe.com/rate-limits.",
        type="invalid_request_error",
        code="rate_limit",
        headers={"Stripe-Rate-Limited-Reason": reason, "Stripe-Should-Retry": "true"},
    )


def api_error(message: str = "An unknown error occurred") -> StripeApiError:
    """500 for a failure on the sandbox's side (or an injected fault)."""
    return StripeApiError(500, message, type="api_error")


def idempotency_error(key: str) -> StripeApiError:
    """400 when an idempotency key is reused with different parameters."""
    return StripeApiError(
        400,
        "Keys for idempotent requests can only be used with the same parameters they were "
        f"first used with. Try using a key other than '{key}' if you meant to execute a "
        "different request.",
        type="idempotency_error",
    )
