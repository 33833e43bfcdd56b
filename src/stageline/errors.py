"""One error tree for Stageline; adapters translate lower-layer errors into it once.

::

    StagelineError
    ├── ConfigError            settings or environment are unusable
    ├── InvalidInput           the caller sent something we refuse (bad CSV row, bad JSON...)
    │   ├── SignatureError     a webhook or app request whose signature does not verify
    │   ├── PayloadTooLarge    a request body over the configured limit
    │   └── MethodNotAllowed   an HTTP method a route does not answer
    ├── NotFound               an id that does not exist (or belongs to another workspace),
    │                          an unknown route, or a feature switched off on this server
    ├── Conflict               the request clashes with existing state
    │   └── ConcurrentChange   another writer changed the same rows first; run it again
    ├── AuthenticationFailed   missing or wrong credentials for Stageline itself
    ├── StripeError            Stripe (or a Stripe-compatible server) said no or is unreachable
    │   ├── StripeAuthError        401/403 from Stripe: the key is wrong, revoked or lacks a scope
    │   ├── StripeRefused          another 4xx: Stripe refused this request; never retried
    │   │   └── StripeObjectMissing   404 resource_missing: Stripe has no such object
    │   ├── StripeRateLimited      429, retryable
    │   └── StripeUnavailable      network error or 5xx, retryable
    └── InternalError          an unexpected failure (a bug): never raised on purpose

Every error carries ``hint``: one line telling the user how to fix it, and ``retryable``; a
``code`` (a stable snake_case name, finer than the class) and, when one field of the request is
to blame, ``param``. :meth:`StagelineError.to_json` is the one error envelope that the API, the
webhook receivers and ``--json`` commands print (docs/api.md lists the types and codes).

>>> err = NotFound("workspace 'acme' not found", hint="run `stageline workspace create acme`")
>>> err.one_line()
"workspace 'acme' not found (run `stageline workspace create acme`)"
>>> InvalidInput("'rate' is not a number", code="parameter_invalid", param="rate").to_json()
{'error': {'type': 'InvalidInput', 'code': 'parameter_invalid', 'message': "'rate' is not a number", 'param': 'rate', 'hint': None}}
"""  # noqa: E501

from __future__ import annotations

from typing import Any


class StagelineError(Exception):
    """Base of every error Stageline raises on purpose."""

    retryable: bool = False
    http_status: int = 500
    default_code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code or self.default_code
        self.param = param

    def one_line(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_json(self) -> dict[str, Any]:
        """The error envelope: ``{"error": {"type", "code", "message", "param", "hint"}}``."""
        return {
            "error": {
                "type": type(self).__name__,
                "code": self.code,
                "message": self.message,
                "param": self.param,
                "hint": self.hint,
            }
        }


class ConfigError(StagelineError):
    http_status = 500
    default_code = "config_error"


class InvalidInput(StagelineError):
    http_status = 400
    default_code = "invalid_input"


class SignatureError(InvalidInput):
    http_status = 400
    default_code = "signature_invalid"


class PayloadTooLarge(InvalidInput):
    http_status = 413
    default_code = "body_too_large"


class MethodNotAllowed(InvalidInput):
    http_status = 405
    default_code = "method_not_allowed"


class NotFound(StagelineError):
    http_status = 404
    default_code = "not_found"


class Conflict(StagelineError):
    http_status = 409
    default_code = "conflict"


class ConcurrentChange(Conflict):
    """Another transaction wrote the same change first; running again starts from its result."""

    retryable = True


class AuthenticationFailed(StagelineError):
    http_status = 401
    default_code = "authentication_failed"


class StripeError(StagelineError):
    http_status = 502
    default_code = "stripe_error"


class StripeAuthError(StripeError):
    default_code = "stripe_auth_failed"


class StripeRefused(StripeError):
    """Stripe answered a 4xx other than 401, 403 and 429: asking again gets the same answer."""


class StripeObjectMissing(StripeRefused):
    """A 404 ``resource_missing``: the one answer meaning Stripe has no such object."""


class StripeRateLimited(StripeError):
    retryable = True
    default_code = "stripe_rate_limited"


class StripeUnavailable(StripeError):
    retryable = True
    default_code = "stripe_unavailable"


class InternalError(StagelineError):
    http_status = 500
    default_code = "internal_error"
