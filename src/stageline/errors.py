"""One error tree for Stageline; adapters translate lower-layer errors into it once.

::

    StagelineError
    ├── ConfigError            settings or environment are unusable
    ├── InvalidInput           the caller sent something we refuse (bad CSV row, bad JSON...)
    │   └── SignatureError     a webhook or app request whose signature does not verify
    ├── NotFound               an id that does not exist (or belongs to another workspace)
    ├── Conflict               the request clashes with existing state
    │   └── ConcurrentChange   another writer changed the same rows first; run it again
    ├── AuthenticationFailed   missing or wrong credentials for Stageline itself
    └── StripeError            Stripe (or a Stripe-compatible server) said no or is unreachable
        ├── StripeAuthError        401/403 from Stripe: the key is wrong, revoked or lacks a scope
        ├── StripeRefused          another 4xx: Stripe refused this request; never retried
        │   └── StripeObjectMissing   404 resource_missing: Stripe has no such object
        ├── StripeRateLimited      429, retryable
        └── StripeUnavailable      network error or 5xx, retryable

Every error carries ``hint``: one line telling the user how to fix it, and ``retryable``.

>>> err = NotFound("workspace 'acme' not found", hint="run `stageline workspace create acme`")
>>> err.one_line()
"workspace 'acme' not found (run `stageline workspace create acme`)"
"""

from __future__ import annotations


class StagelineError(Exception):
    """Base of every error Stageline raises on purpose."""

    retryable: bool = False
    http_status: int = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(StagelineError):
    http_status = 500


class InvalidInput(StagelineError):
    http_status = 400


class SignatureError(InvalidInput):
    http_status = 400


class NotFound(StagelineError):
    http_status = 404


class Conflict(StagelineError):
    http_status = 409


class ConcurrentChange(Conflict):
    """Another transaction wrote the same change first; running again starts from its result."""

    retryable = True


class AuthenticationFailed(StagelineError):
    http_status = 401


class StripeError(StagelineError):
    http_status = 502


class StripeAuthError(StripeError):
    pass


class StripeRefused(StripeError):
    """Stripe answered a 4xx other than 401, 403 and 429: asking again gets the same answer."""


class StripeObjectMissing(StripeRefused):
    """A 404 ``resource_missing``: the one answer meaning Stripe has no such object."""


class StripeRateLimited(StripeError):
    retryable = True


class StripeUnavailable(StripeError):
    retryable = True
