"""The sandbox's accounts: each with its own store and engine, and who may act on which.

The default account is the platform; every other configured account is connected to it.
A key acts on its own account; the platform's keys may also act on a connected account
named by the ``Stripe-Account`` header. A header naming the key's own account is accepted.

>>> from stageline_sandbox.config import AccountProfile
>>> from stageline_sandbox.store import SandboxStore
>>> platform = Tenant(AccountProfile("acct_p"), SandboxStore(), None)
>>> connected = Tenant(AccountProfile("acct_c"), SandboxStore(), None, platform_id="acct_p")
>>> registry = AccountRegistry(platform, [connected])
>>> registry.acting("sk_test_1", "acct_p", "acct_c").profile.id
'acct_c'
>>> registry.acting("sk_test_2", "acct_c", None).profile.id
'acct_c'
>>> from stageline_sandbox.errors import StripeApiError
>>> try:
...     registry.acting("sk_test_2", "acct_c", "acct_p")
... except StripeApiError as refused:
...     print(refused.status, refused.code)
403 account_invalid
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from stageline_sandbox.config import AccountProfile
from stageline_sandbox.permissions import no_access
from stageline_sandbox.store import SandboxStore


@dataclass(frozen=True)
class Tenant:
    """One account's profile, its data and the engine that writes it."""

    profile: AccountProfile
    store: SandboxStore
    services: Any
    """The account's engine (events, webhooks, lifecycle); ``None`` outside a served app."""
    platform_id: str | None = None
    """The platform this account is connected to (``None`` for the platform itself)."""


@dataclass(frozen=True)
class AccountScope:
    """What one request may see of the accounts: the one it acts on and its connections."""

    profile: AccountProfile
    connected: tuple[AccountProfile, ...] = ()
    """The accounts connected to it (only a platform has any)."""
    platform_id: str | None = None

    def visible(self, account_id: str) -> AccountProfile | None:
        """The profile of ``account_id`` if this account may read it (itself or a connection)."""
        if account_id == self.profile.id:
            return self.profile
        return next((p for p in self.connected if p.id == account_id), None)


class AccountRegistry:
    """Every account of one sandbox app, by id."""

    def __init__(self, default: Tenant, others: Iterable[Tenant] = ()) -> None:
        self.default = default
        self._tenants = {default.profile.id: default}
        for tenant in others:
            self._tenants[tenant.profile.id] = tenant

    def __iter__(self) -> Iterator[Tenant]:
        return iter(self._tenants.values())

    def get(self, account_id: str) -> Tenant | None:
        return self._tenants.get(account_id)

    def connected_to(self, account_id: str) -> tuple[Tenant, ...]:
        return tuple(t for t in self._tenants.values() if t.platform_id == account_id)

    def scope(self, tenant: Tenant) -> AccountScope:
        connected = tuple(t.profile for t in self.connected_to(tenant.profile.id))
        return AccountScope(tenant.profile, connected, tenant.platform_id)

    def acting(self, key: str, key_account: str, header: str | None) -> Tenant:
        """The account a request acts on: the key's own, or the one ``Stripe-Account`` names.

        Raises Stripe's 403 ``account_invalid`` when the key may not act on that account.
        """
        own = self._tenants[key_account]
        wanted = (header or "").strip()
        if not wanted or wanted == key_account:
            return own
        target = self._tenants.get(wanted)
        if target is None or target.platform_id != key_account:
            raise no_access(key, wanted)
        return target

    def close(self) -> None:
        """Stop every account's engine (its webhook threads)."""
        for tenant in self._tenants.values():
            close = getattr(tenant.services, "close", None)
            if close is not None:
                close()
