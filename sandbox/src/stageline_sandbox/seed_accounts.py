"""The company accounts and users a seeded Stripe account's customers belong to.

Seeding and :func:`demo_accounts` draw from the same generator, so with the same
``customers`` and ``random_seed`` the accounts the demo imports are exactly the ones the
customers' ``metadata["account_id"]`` point at. Account ids are ``acct-000123``; about 5%
of customers carry no such metadata and about 2% carry an id that matches no account
(``acct-9000000xx``); some accounts have two customers.

>>> accounts = demo_accounts(customers=20, random_seed=7)
>>> accounts == demo_accounts(customers=20, random_seed=7)
True
>>> accounts[0].external_id, accounts[0].users[0].email.endswith(accounts[0].domain)
('acct-000001', True)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

PLANS = ("starter", "team", "business", "enterprise")
_PLAN_CUMULATIVE = (45, 75, 95, 100)

_ADJECTIVES = (
    "Acme",
    "Blue",
    "Bright",
    "Cedar",
    "Clear",
    "Copper",
    "Crimson",
    "Delta",
    "Eagle",
    "Echo",
    "Evergreen",
    "First",
    "Golden",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Lunar",
    "Maple",
    "Meadow",
    "Nimbus",
    "North",
    "Nova",
    "Oak",
    "Orbit",
    "Pacific",
    "Pine",
    "Polar",
    "Prairie",
    "Quantum",
    "Quartz",
    "Red",
    "River",
    "Silver",
    "Solar",
    "Stone",
    "Summit",
    "Swift",
    "True",
    "Violet",
)
_NOUNS = (
    "Analytics",
    "Bakery",
    "Bridge",
    "Cloud",
    "Code",
    "Data",
    "Design",
    "Dynamics",
    "Energy",
    "Forge",
    "Freight",
    "Garden",
    "Health",
    "Insights",
    "Labs",
    "Logic",
    "Media",
    "Metrics",
    "Motion",
    "Networks",
    "Ops",
    "Partners",
    "Payments",
    "Pixel",
    "Robotics",
    "Security",
    "Signal",
    "Software",
    "Studio",
    "Systems",
    "Ventures",
    "Works",
)
_SUFFIXES = ("", "", "", "Inc", "LLC", "Co", "Group", "GmbH", "Ltd")
_FIRST = (
    "Ada",
    "Alex",
    "Amara",
    "Ben",
    "Carla",
    "Chen",
    "Dana",
    "Diego",
    "Elena",
    "Farah",
    "Gabe",
    "Hana",
    "Ivan",
    "Jonas",
    "Kai",
    "Lena",
    "Marco",
    "Mei",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Yara",
    "Zoe",
)
_LAST = (
    "Alvarez",
    "Baker",
    "Chen",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Martin",
    "Nakamura",
    "Okafor",
    "Patel",
    "Rossi",
    "Silva",
    "Smith",
    "Tanaka",
    "Novak",
    "Weber",
    "Young",
    "Zhang",
)

NO_METADATA_RATE = 0.05
UNMATCHED_RATE = 0.02
SECOND_CUSTOMER_RATE = 0.04
ORPHAN_BASE = 900_000_000


@dataclass(frozen=True)
class SeedUser:
    external_id: str
    name: str
    email: str


@dataclass(frozen=True)
class SeedAccount:
    external_id: str
    name: str
    domain: str
    plan_hint: str
    users: list[SeedUser] = field(default_factory=list)


@dataclass(frozen=True)
class AccountPlan:
    """Which account each customer belongs to: an index into ``accounts`` or an id."""

    accounts: list[SeedAccount]
    customer_accounts: list[int | str | None]
    """Per customer: an account index, an unmatched external id, or None (no metadata)."""


def _pick(rng: random.Random, options: tuple[str, ...]) -> str:
    return options[int(rng.random() * len(options))]


def _pick_plan(rng: random.Random) -> str:
    draw = rng.random() * 100
    for plan, upto in zip(PLANS, _PLAN_CUMULATIVE, strict=True):
        if draw < upto:
            return plan
    return PLANS[-1]


def _mix(*numbers: int) -> int:
    """A cheap, stable hash of small integers (no generator objects per account)."""
    value = 0x9E3779B97F4A7C15
    for number in numbers:
        value = ((value ^ number) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        value ^= value >> 31
    return value


_USER_COUNTS = (1, 1, 1, 2, 2, 2, 3, 3, 4, 6)


def _users(
    account_number: int, domain: str, random_seed: int, limit: int | None = None
) -> list[SeedUser]:
    count = _USER_COUNTS[_mix(random_seed, account_number) % len(_USER_COUNTS)]
    count = count if limit is None else min(count, limit)
    users = []
    taken: set[str] = set()
    for n in range(count):
        h = _mix(random_seed, account_number, n + 1)
        first, last = _FIRST[h % len(_FIRST)], _LAST[(h >> 16) % len(_LAST)]
        local = f"{first}.{last}".lower()
        if local in taken:
            local = f"{local}{n}"
        taken.add(local)
        users.append(
            SeedUser(
                external_id=f"user-{account_number:06d}-{n + 1}",
                name=f"{first} {last}",
                email=f"{local}@{domain}",
            )
        )
    return users


def account_plan(customers: int, random_seed: int, *, with_users: bool = True) -> AccountPlan:
    """Draw the accounts and the customer → account mapping for a seed."""
    rng = random.Random(f"stageline-accounts:{random_seed}")
    accounts: list[SeedAccount] = []
    mapping: list[int | str | None] = []
    domains: dict[str, int] = {}
    orphans = 0
    for _ in range(customers):
        draw = rng.random()
        if draw < NO_METADATA_RATE:
            mapping.append(None)
            continue
        if draw < NO_METADATA_RATE + UNMATCHED_RATE:
            orphans += 1
            mapping.append(f"acct-{ORPHAN_BASE + orphans}")
            continue
        if accounts and draw < NO_METADATA_RATE + UNMATCHED_RATE + SECOND_CUSTOMER_RATE:
            mapping.append(len(accounts) - 1)
            continue
        number = len(accounts) + 1
        adjective, noun, suffix = _pick(rng, _ADJECTIVES), _pick(rng, _NOUNS), _pick(rng, _SUFFIXES)
        name = f"{adjective} {noun} {suffix}" if suffix else f"{adjective} {noun}"
        base = f"{adjective}{noun}".lower()
        seen = domains.get(base, 0)
        domains[base] = seen + 1
        domain = f"{base}.com" if seen == 0 else f"{base}{seen + 1}.com"
        plan = _pick_plan(rng)
        users = _users(number, domain, random_seed) if with_users else []
        accounts.append(SeedAccount(f"acct-{number:06d}", name, domain, plan, users))
        mapping.append(number - 1)
    return AccountPlan(accounts=accounts, customer_accounts=mapping)


def demo_accounts(customers: int, random_seed: int = 0) -> list[SeedAccount]:
    """The accounts (with their users) that ``seed(customers=..., random_seed=...)`` points at."""
    return account_plan(customers, random_seed).accounts


def billing_contact(account: SeedAccount, account_number: int, random_seed: int) -> SeedUser:
    """The user whose email a customer of ``account`` carries (its first user)."""
    if account.users:
        return account.users[0]
    return _users(account_number, account.domain, random_seed, limit=1)[0]
