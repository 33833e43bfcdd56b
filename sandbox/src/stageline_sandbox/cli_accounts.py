"""The accounts and keys of ``stageline sandbox serve``, from its command-line options.

``--account acct_ID=KEY[,country=DE][,currency=eur][,name=Beta GmbH][,email=...][,seed=N]``
adds another account (repeat it to give an account more keys; the key may be left out:
``--account acct_ID`` is reached only through the default account's keys and
``Stripe-Account``). ``--restricted-key [acct_ID:]rk_test_X=rak_customer_read,...`` adds a
restricted key to the default account (or to ``acct_ID``).

>>> accounts = parse_accounts(["acct_B=sk_test_b,country=DE,currency=eur,seed=5"], [])
>>> accounts[0].account.id, accounts[0].account.country, accounts[0].seed
('acct_B', 'DE', 5)
>>> parse_restricted_key("rk_test_ro=rak_customer_read,rak_event_read")
(None, 'rk_test_ro', ('rak_customer_read', 'rak_event_read'))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from stageline_sandbox.config import ACCOUNT_ID, SandboxAccount

_OPTIONS = {"country", "currency", "name", "email", "seed", "db"}


@dataclass
class AccountOption:
    """One ``--account`` (merged over its repetitions) and how many customers to seed."""

    account: SandboxAccount
    seed: int = 0


@dataclass
class _Draft:
    keys: list[str] = field(default_factory=list)
    restricted: dict[str, tuple[str, ...]] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)


def parse_restricted_key(text: str) -> tuple[str | None, str, tuple[str, ...]]:
    """``[acct_ID:]rk_test_X=perm,perm`` → (account id or ``None``, key, permissions)."""
    owner, colon, rest = text.partition(":")
    account = owner.strip() if colon else None
    if not colon:
        rest = text
    key, equals, names = rest.partition("=")
    permissions = tuple(name.strip() for name in names.split(",") if name.strip())
    if not equals or not permissions:
        raise ValueError(f"--restricted-key takes rk_test_KEY=rak_customer_read,... (got {text!r})")
    if account is not None and not ACCOUNT_ID.match(account):
        raise ValueError(f"an account id looks like acct_1AbC...: {account!r}")
    return account, key.strip(), permissions


def _parse_one(text: str, drafts: dict[str, _Draft]) -> None:
    head, *pairs = text.split(",")
    account_id, _, key = head.partition("=")
    account_id, key = account_id.strip(), key.strip()
    if not ACCOUNT_ID.match(account_id):
        raise ValueError(f"--account takes acct_ID=KEY[,country=..] (got {text!r})")
    draft = drafts.setdefault(account_id, _Draft())
    if key:
        draft.keys.append(key)
    for pair in pairs:
        name, equals, value = pair.partition("=")
        name = name.strip()
        if not equals or name not in _OPTIONS:
            raise ValueError(
                f"--account options are {', '.join(sorted(_OPTIONS))} as name=value "
                f"(got {pair.strip()!r})"
            )
        if draft.options.setdefault(name, value.strip()) != value.strip():
            raise ValueError(f"{account_id} has two values for {name}")


def parse_accounts(
    specs: Sequence[str], restricted: Sequence[tuple[str, str, tuple[str, ...]]]
) -> list[AccountOption]:
    """``--account`` options (and the restricted keys that name an account) as accounts."""
    drafts: dict[str, _Draft] = {}
    for text in specs:
        _parse_one(text, drafts)
    for account_id, key, permissions in restricted:
        if account_id not in drafts:
            raise ValueError(f"--restricted-key names {account_id}, which no --account adds")
        drafts[account_id].restricted[key] = permissions
    parsed = []
    for account_id, draft in drafts.items():
        options = draft.options
        seed = options.get("seed", "0")
        if not seed.isdigit():
            raise ValueError(f"seed of {account_id} is a number of customers: {seed!r}")
        account = SandboxAccount(
            account_id,
            country=options.get("country", "US"),
            default_currency=options.get("currency", "usd"),
            display_name=options.get("name"),
            email=options.get("email"),
            api_keys=tuple(draft.keys),
            restricted_keys=draft.restricted,
            db_path=options.get("db"),
        )
        parsed.append(AccountOption(account, int(seed)))
    return parsed
