"""Which ``rak_*`` permission a restricted key needs for each endpoint, as Stripe names them.

A request that reads (``GET``) needs ``rak_<resource>_read``; one that writes needs
``rak_<resource>_write``, which also grants reading. Secret keys need nothing.

>>> required_permission("GET", "/v1/customers/search", own_account="acct_1")
'rak_customer_read'
>>> required_permission("POST", "/v1/prices", own_account="acct_1")
'rak_plan_write'
>>> required_permission("GET", "/v1/accounts/acct_2", own_account="acct_1")
'rak_connected_account_read'
>>> allows(frozenset({"rak_customer_write"}), "rak_customer_read")
True
>>> allows(frozenset({"rak_customer_read"}), "rak_customer_write")
False
"""

from __future__ import annotations

import re

from stageline_sandbox.errors import StripeApiError

RESOURCE_PERMISSIONS: tuple[tuple[str, str], ...] = (
    (r"/v1/customers/[^/]+/payment_methods", "payment_method"),
    (r"/v1/customers", "customer"),
    (r"/v1/payment_methods", "payment_method"),
    (r"/v1/subscriptions", "subscription"),
    (r"/v1/subscription_items", "subscription"),
    (r"/v1/prices", "plan"),
    (r"/v1/products", "product"),
    (r"/v1/coupons", "coupon"),
    (r"/v1/promotion_codes", "promotion_code"),
    (r"/v1/invoices", "invoice"),
    (r"/v1/invoiceitems", "invoice_item"),
    (r"/v1/events", "event"),
    (r"/v1/webhook_endpoints", "webhook"),
    (r"/v1/test_helpers/test_clocks", "test_clock"),
    (r"/v1/billing/meters", "billing_meter"),
    (r"/v1/account", "accounts_kyc_basic"),
)
"""Path prefix → the resource part of the permission's name. Prices keep the name of the
object they replaced (``rak_plan_*``), as in Stripe's dashboard; ``GET /v1/account`` needs
``rak_accounts_kyc_basic_read``; another account's ``/v1/accounts/...`` needs
``rak_connected_account_*``."""

_PREFIXES = [(re.compile(f"^{prefix}(/|$)"), name) for prefix, name in RESOURCE_PERMISSIONS]
_ACCOUNTS = re.compile(r"^/v1/accounts(?:/(?P<id>[^/]+))?(/|$)")


def resource_of(path: str, *, own_account: str) -> str | None:
    """The resource part of the permission ``path`` needs (``None``: no rule names it)."""
    accounts = _ACCOUNTS.match(path)
    if accounts:
        own = accounts.group("id") == own_account
        return "accounts_kyc_basic" if own else "connected_account"
    for pattern, name in _PREFIXES:
        if pattern.match(path):
            return name
    return None


def required_permission(method: str, path: str, *, own_account: str) -> str | None:
    """The ``rak_*`` permission a restricted key needs for ``method path``."""
    resource = resource_of(path, own_account=own_account)
    if resource is None:
        return None
    return f"rak_{resource}_{'read' if method.upper() == 'GET' else 'write'}"


def allows(permissions: frozenset[str], required: str) -> bool:
    """Whether ``permissions`` grant ``required`` (a ``_write`` grants its ``_read``)."""
    if required in permissions:
        return True
    return required.endswith("_read") and f"{required[: -len('_read')]}_write" in permissions


def redacted(key: str) -> str:
    """A key as Stripe shows it in errors: its prefix, stars, its last four characters.

    >>> redacted("rk_test_abcdefgh1234")
    'rk_test_********1234'
    """
    prefix = key[:8] if key.startswith(("sk_", "rk_", "pk_")) else ""
    return f"{prefix}{'*' * max(len(key) - len(prefix) - 4, 0)}{key[-4:]}"


def missing_permission(key: str, account_id: str, permission: str) -> StripeApiError:
    """Stripe's 403 for a restricted key without the permission an endpoint needs."""
    return StripeApiError(
        403,
        f"The provided key '{redacted(key)}' does not have the required permissions for this "
        f"endpoint on account '{account_id}'. Having the '{permission}' permission would allow "
        "this request to continue.",
    )


def no_access(key: str, account_id: str) -> StripeApiError:
    """Stripe's 403 for a key acting on an account it may not reach (or that does not exist)."""
    return StripeApiError(
        403,
        f"The provided key '{redacted(key)}' does not have access to account '{account_id}' "
        "(or that account does not exist). Application access may have been revoked.",
        code="account_invalid",
    )


def check(method: str, path: str, *, key: str, permissions: frozenset[str], account: str) -> None:
    """Raise Stripe's 403 unless a restricted key's ``permissions`` cover ``method path``."""
    required = required_permission(method, path, own_account=account)
    if required is not None and not allows(permissions, required):
        raise missing_permission(key, account, required)
