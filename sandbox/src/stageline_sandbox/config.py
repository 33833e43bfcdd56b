"""Configuration of one sandbox run: its accounts and their keys, limits and faults.

By default any well-formed test secret key (``sk_test_...``) is the default account's key,
as with Stripe's own mock server; ``api_keys`` restricts that to the keys given.

>>> config = SandboxConfig(db_path=None, rate_limit=None)
>>> config.accepts("sk_test_stageline_sandbox"), config.accepts("sk_test_anything_else")
(True, True)
>>> SandboxConfig(api_keys=("sk_test_only",)).accepts("sk_test_anything_else")
False
>>> config.livemode_for("sk_live_other"), config.livemode_for("sk_test_stageline_sandbox")
(True, False)
>>> two = SandboxConfig(accounts=(SandboxAccount("acct_2", api_keys=("sk_test_two",)),))
>>> two.account_of("sk_test_two"), two.account_of("sk_test_one")
('acct_2', 'acct_1SandboxDefault0')
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

SANDBOX_API_KEY = "sk_test_stageline_sandbox"
"""A test secret key of the default account (any ``sk_test_...`` key is, unless restricted)."""

DEFAULT_ACCOUNT_ID = "acct_1SandboxDefault0"
"""The id of the default account (the platform of any connected accounts)."""

TEST_SECRET_KEY = re.compile(r"^sk_test_[A-Za-z0-9_]+$")
"""A well-formed test secret key: the default account accepts any of them unless restricted."""

SECRET_KEY = re.compile(r"^sk_(test|live)_[A-Za-z0-9_]+$")
RESTRICTED_KEY = re.compile(r"^rk_(test|live)_[A-Za-z0-9_]+$")
ACCOUNT_ID = re.compile(r"^acct_[A-Za-z0-9]+$")
PERMISSION = re.compile(r"^rak_[a-z][a-z0-9_]*_(read|write)$")
CURRENCY = re.compile(r"^[a-z]{3}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")

TEST_MODE_RATE_LIMIT = 25.0
"""Requests per second Stripe allows a test-mode account; the sandbox default."""

LIVE_MODE_RATE_LIMIT = 100.0
"""Requests per second Stripe allows a live-mode account (keys starting ``sk_live_``)."""


def wall_clock() -> int:
    """Seconds since the epoch, the sandbox's notion of "now" outside test clocks."""
    return int(time.time())


@dataclass(frozen=True)
class FaultConfig:
    """Faults injected into a run, to test how a client copes with a flaky Stripe.

    Fractions are probabilities in ``[0, 1]`` drawn per request (or per webhook delivery)
    from a generator seeded with ``random_seed``, so a run with the same seed misbehaves
    the same way.
    """

    error_rate: float = 0.0
    """Fraction of API requests answered with an error of status ``error_status``."""
    error_status: int = 500
    """The status of those errors: 5xx is an ``api_error``; 4xx an ``invalid_request_error``
    (a 404 with code ``resource_missing``), each as Stripe words it."""
    rate_limit_rate: float = 0.0
    """Fraction of API requests answered with a 429 ``rate_limit`` error."""
    should_retry: bool | None = None
    """``Stripe-Should-Retry`` on every injected error (``true`` or ``false``); ``None`` keeps
    Stripe's habit: ``true`` on a 429, no header on the others."""
    path_pattern: str | None = None
    """A regular expression: only requests whose path it finds are faulted (e.g.
    ``^/v1/customers/[^/]+$`` for retrieving a customer); ``None``: every request."""
    latency_seconds: float = 0.0
    """Delay added before answering every API request."""
    webhook_drop_rate: float = 0.0
    """Fraction of webhook deliveries never sent (the event stays pending)."""
    webhook_duplicate_rate: float = 0.0
    """Fraction of webhook deliveries sent twice."""
    webhook_reorder: bool = False
    """Deliver each batch of pending webhooks in shuffled order."""
    random_seed: int = 0

    def __post_init__(self) -> None:
        if not 400 <= self.error_status <= 599:
            raise ValueError(f"error_status must be a 4xx or 5xx status, not {self.error_status}")


@dataclass(frozen=True)
class AccountProfile:
    """What ``GET /v1/account`` says about an account."""

    id: str = DEFAULT_ACCOUNT_ID
    country: str = "US"
    """ISO 3166-1 alpha-2, upper case."""
    default_currency: str = "usd"
    """ISO 4217, lower case, as Stripe writes currencies."""
    display_name: str | None = None
    """``settings.dashboard.display_name`` and ``business_profile.name``."""
    email: str | None = None
    created: int = 1_704_067_200
    """When the account was created (epoch seconds; 2024-01-01 by default)."""

    def __post_init__(self) -> None:
        if not ACCOUNT_ID.match(self.id):
            raise ValueError(f"an account id looks like acct_1AbC...: {self.id!r}")
        if not COUNTRY.match(self.country):
            raise ValueError(f"country is a two-letter upper-case code: {self.country!r}")
        if not CURRENCY.match(self.default_currency):
            raise ValueError(
                f"default currency is a three-letter lower-case code: {self.default_currency!r}"
            )


DEFAULT_PROFILE = AccountProfile(display_name="Stageline Sandbox", email="owner@sandbox.example")
"""The default account's profile unless configured."""


def _permissions(restricted_keys: Mapping[str, Collection[str]]) -> Mapping[str, frozenset[str]]:
    checked: dict[str, frozenset[str]] = {}
    for key, permissions in restricted_keys.items():
        if not RESTRICTED_KEY.match(key):
            raise ValueError(f"a restricted key looks like rk_test_...: {key!r}")
        if isinstance(permissions, str):
            raise ValueError(f"the permissions of {key} are a list of names, not one string")
        for name in permissions:
            if not PERMISSION.match(name):
                raise ValueError(f"a permission looks like rak_customer_read: {name!r}")
        checked[key] = frozenset(permissions)
    return checked


def _secret_keys(keys: Collection[str]) -> None:
    for key in keys:
        if not SECRET_KEY.match(key):
            raise ValueError(f"a secret key looks like sk_test_...: {key!r}")


@dataclass(frozen=True)
class SandboxAccount(AccountProfile):
    """Another account, with its own keys and its own data, connected to the default one.

    An account without keys is reached only through the default account's keys and a
    ``Stripe-Account`` header (as an app installed on it would reach it).
    """

    api_keys: tuple[str, ...] = ()
    restricted_keys: Mapping[str, Collection[str]] = field(default_factory=dict)
    """Restricted key → the ``rak_*`` permissions it carries."""
    db_path: str | None = None
    """Its SQLite file; by default ``<stem>.<id><suffix>`` beside the config's ``db_path``,
    or memory when that is ``None``."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _secret_keys(self.api_keys)
        object.__setattr__(self, "restricted_keys", _permissions(self.restricted_keys))


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that shapes one sandbox: its store, its keys, its limits and its faults.

    ``db_path=None`` keeps the state in memory (tests); a path keeps it in a SQLite file
    that survives restarts (the demo). ``rate_limit=None`` turns rate limiting off; the
    default follows Stripe's test mode (25 requests per second, 100 for ``sk_live_`` keys).
    """

    db_path: str | None = None
    api_keys: tuple[str, ...] | None = None
    """The default account's secret keys; ``None``: any well-formed ``sk_test_`` key."""
    restricted_keys: Mapping[str, Collection[str]] = field(default_factory=dict)
    """The default account's restricted keys → the ``rak_*`` permissions each carries."""
    account: AccountProfile = DEFAULT_PROFILE
    """The default account: the one every key reaches unless it is another account's."""
    accounts: tuple[SandboxAccount, ...] = ()
    """Other accounts, each with its own data, all connected to the default account."""
    rate_limit: float | None = TEST_MODE_RATE_LIMIT
    live_rate_limit: float | None = LIVE_MODE_RATE_LIMIT
    faults: FaultConfig = field(default_factory=FaultConfig)
    webhook_retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0)
    """Seconds to wait before each retry of a failed webhook delivery (Stripe retries a
    sandbox delivery three times over a few hours; the sandbox compresses that)."""
    webhook_timeout: float = 10.0
    webhook_concurrency: int = 4
    """Deliveries in flight at once (Stripe sends concurrently, in no guaranteed order)."""
    dunning_retry_days: tuple[int, ...] = (3, 5, 7)
    """Days between a failed renewal payment and each retry (Stripe's default schedule
    retries a few times within about two weeks)."""
    dunning_final_action: str = "cancel"
    """What happens when the last retry fails: ``cancel``, ``unpaid`` or ``past_due``."""
    clock: Callable[[], int] = wall_clock
    """Where the sandbox reads the time of day; tests may pass a fixed clock."""
    rate_clock: Callable[[], float] = time.monotonic
    """Where the rate limiter reads elapsed seconds; tests may pass a clock they move."""
    _owners: dict[str, str] = field(init=False, repr=False, compare=False, default_factory=dict)
    _permissions: dict[str, frozenset[str]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if self.api_keys is not None:
            _secret_keys(self.api_keys)
        object.__setattr__(self, "restricted_keys", _permissions(self.restricted_keys))
        ids = [self.account.id, *(account.id for account in self.accounts)]
        if len(set(ids)) != len(ids):
            raise ValueError(f"account ids must differ: {ids}")
        owners: dict[str, str] = {}
        permissions: dict[str, frozenset[str]] = {}
        for owner, secret, restricted in [
            (self.account.id, self.api_keys or (), self.restricted_keys),
            *((a.id, a.api_keys, a.restricted_keys) for a in self.accounts),
        ]:
            for key in [*secret, *restricted]:
                if owners.setdefault(key, owner) != owner:
                    raise ValueError(f"{key} is a key of both {owners[key]} and {owner}")
            permissions.update((key, frozenset(names)) for key, names in restricted.items())
        object.__setattr__(self, "_owners", owners)
        object.__setattr__(self, "_permissions", permissions)

    def account_of(self, api_key: str) -> str | None:
        """The id of the account ``api_key`` belongs to, or ``None`` if no account has it."""
        owner = self._owners.get(api_key)
        if owner is None and self.api_keys is None and TEST_SECRET_KEY.match(api_key):
            return self.account.id
        return owner

    def permissions_of(self, api_key: str) -> frozenset[str] | None:
        """The permissions of a restricted key; ``None`` for a secret key (it may do anything)."""
        return self._permissions.get(api_key)

    def accepts(self, api_key: str) -> bool:
        """Whether ``api_key`` may call this sandbox."""
        return self.account_of(api_key) is not None

    def livemode_for(self, api_key: str) -> bool:
        """Whether objects created with ``api_key`` are live-mode objects."""
        return api_key.startswith(("sk_live_", "rk_live_"))

    def rate_limit_for(self, api_key: str) -> float | None:
        """Requests per second allowed for ``api_key``, or ``None`` for no limit."""
        if self.livemode_for(api_key):
            return self.live_rate_limit if self.rate_limit is not None else None
        return self.rate_limit
