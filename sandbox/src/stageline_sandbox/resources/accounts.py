"""``/v1/account`` and ``/v1/accounts``: the account a key acts on, and its connections.

``GET /v1/account`` answers the account the request acts on (the key's own, or the one
``Stripe-Account`` names); ``GET /v1/accounts/{id}`` answers it too, or, for a platform,
one of its connected accounts; ``GET /v1/accounts`` lists a platform's connected accounts.
Accounts are configuration (``SandboxConfig.account`` and ``.accounts``), not stored data.

>>> from stageline_sandbox.config import AccountProfile
>>> account = account_object(AccountProfile("acct_1", "DE", "eur", "Beta GmbH"))
>>> account["object"], account["country"], account["settings"]["dashboard"]["display_name"]
('account', 'DE', 'Beta GmbH')
"""

from __future__ import annotations

from stageline_sandbox.config import AccountProfile
from stageline_sandbox.context import Ctx, Route
from stageline_sandbox.errors import resource_missing
from stageline_sandbox.permissions import no_access
from stageline_sandbox.shapes import Obj


def _requirements() -> Obj:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }


def _settings(profile: AccountProfile) -> Obj:
    descriptor = (profile.display_name or "").upper()[:22] or None
    return {
        "bacs_debit_payments": {"display_name": None, "service_user_number": None},
        "branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
        "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
        "card_payments": {
            "decline_on": {"avs_failure": True, "cvc_failure": True},
            "statement_descriptor_prefix": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "dashboard": {"display_name": profile.display_name, "timezone": "Etc/UTC"},
        "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": None},
        "payments": {
            "statement_descriptor": descriptor,
            "statement_descriptor_kana": None,
            "statement_descriptor_kanji": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "payouts": {
            "debit_negative_balances": True,
            "schedule": {"delay_days": 2, "interval": "daily"},
            "statement_descriptor": None,
        },
        "sepa_debit_payments": {},
    }


def account_object(profile: AccountProfile) -> Obj:
    """The account as Stripe answers it: a standard account, fully onboarded."""
    return {
        "id": profile.id,
        "object": "account",
        "business_profile": {
            "annual_revenue": {"amount": None, "currency": None, "fiscal_year_end": None},
            "estimated_worker_count": None,
            "mcc": None,
            "minority_owned_business_designation": None,
            "name": profile.display_name,
            "product_description": None,
            "support_address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "support_email": profile.email,
            "support_phone": None,
            "support_url": None,
            "url": None,
        },
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "controller": {"type": "account"},
        "country": profile.country,
        "created": profile.created,
        "default_currency": profile.default_currency,
        "details_submitted": True,
        "email": profile.email,
        "external_accounts": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/accounts/{profile.id}/external_accounts",
        },
        "future_requirements": _requirements(),
        "metadata": {},
        "payouts_enabled": True,
        "requirements": _requirements(),
        "settings": _settings(profile),
        "tos_acceptance": {"date": profile.created, "ip": None, "user_agent": None},
        "type": "standard",
    }


def _answer(ctx: Ctx, profile: AccountProfile) -> Obj:
    account = account_object(profile)
    paths = ctx.expand_paths()
    ctx.renderer.expand(account, paths)
    return account


def retrieve_current(ctx: Ctx) -> Obj:
    return _answer(ctx, ctx.account.profile)


def retrieve_account(ctx: Ctx) -> Obj:
    account_id = ctx.path["id"]
    profile = ctx.account.visible(account_id)
    if profile is None:
        raise no_access(ctx.api_key, account_id)
    return _answer(ctx, profile)


def list_accounts(ctx: Ctx) -> Obj:
    """A platform's connected accounts, newest first, paged by cursor as Stripe pages."""
    params = ctx.params
    limit = params.integer("limit", low=1, high=100) or 10
    starting_after = params.string("starting_after") or None
    ending_before = params.string("ending_before") or None
    paths = ctx.expand_paths()
    connected = sorted(ctx.account.connected, key=lambda p: (p.created, p.id), reverse=True)
    ids = [profile.id for profile in connected]
    cursor = starting_after or ending_before
    if cursor is not None and cursor not in ids:
        param = "starting_after" if starting_after else "ending_before"
        missing = resource_missing("account", cursor, param=param)
        missing.status = 400
        raise missing
    if starting_after is not None:
        page = connected[ids.index(starting_after) + 1 :]
        has_more = len(page) > limit
        page = page[:limit]
    elif ending_before is not None:
        before = connected[: ids.index(ending_before)]
        page = before[-limit:]
        has_more = len(before) > limit
    else:
        page, has_more = connected[:limit], len(connected) > limit
    result: Obj = {
        "object": "list",
        "data": [account_object(profile) for profile in page],
        "has_more": has_more,
        "url": "/v1/accounts",
    }
    ctx.renderer.expand(result, paths)
    return result


ROUTES = [
    Route("GET", "/v1/account", retrieve_current),
    Route("GET", "/v1/accounts", list_accounts),
    Route("GET", "/v1/accounts/{id}", retrieve_account),
]
