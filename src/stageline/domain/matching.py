"""Matching Stripe customers to our accounts and users, by an ordered strategy.

Steps run in order and the first one that finds something decides: one candidate is a match,
several are reported as ambiguous (a later, weaker step never hides the conflict). A customer no
step finds is unmatched, with every step's reason. Users roll up to their accounts; several
customers may belong to one account. Deleted customers are skipped, with a reason.

>>> from stageline.domain.billing import Customer
>>> accounts = [AccountRecord(id=1, external_id="acme", name="Acme")]
>>> customers = [Customer(id="cus_1", metadata={"account_id": "acme"}), Customer(id="cus_2")]
>>> report = match_customers(customers, accounts, [], DEFAULT_MATCH_STRATEGY)
>>> report.matches[0]
CustomerMatch(customer_id='cus_1', account_ids=(1,), user_id=None, step='metadata account_id -> account', status='matched', reason=None)
>>> [(m.customer_id, m.reason) for m in report.unmatched]
[('cus_2', "no metadata key 'account_id'")]
"""  # noqa: E501

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypeAlias

from stageline.domain.billing import Customer
from stageline.domain.free_mail import FREE_MAIL_DOMAINS

__all__ = [
    "DEFAULT_MATCH_STRATEGY",
    "AccountRecord",
    "CustomerMatch",
    "EmailDomainStep",
    "EmailStep",
    "MatchReport",
    "MatchStep",
    "MatchStrategy",
    "MatchStrategyError",
    "MetadataStep",
    "PropertyStep",
    "UserRecord",
    "match_customers",
    "strategy_from_dict",
    "strategy_to_dict",
]

Target: TypeAlias = Literal["account", "user"]
MatchStatus: TypeAlias = Literal["matched", "unmatched", "ambiguous", "skipped"]


def _no_properties() -> Mapping[str, object]:
    return MappingProxyType({})


@dataclass(frozen=True)
class AccountRecord:
    """One of our accounts. ``domain`` (else a ``domain`` property) serves email-domain matching."""

    id: int
    external_id: str
    name: str | None = None
    properties: Mapping[str, object] = field(default_factory=_no_properties)
    domain: str | None = None


@dataclass(frozen=True)
class UserRecord:
    """One of our users and the accounts it belongs to."""

    id: int
    external_id: str | None
    email: str | None = None
    properties: Mapping[str, object] = field(default_factory=_no_properties)
    account_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class PropertyStep:
    """An account/user property holds the Stripe customer id (or a list of them)."""

    @property  # defined before the ``property`` field, which shadows the builtin below it
    def name(self) -> str:
        return f"property {self.property} -> {self.target}"

    property: str = "stripe_customer_id"
    target: Target = "account"


@dataclass(frozen=True)
class MetadataStep:
    """The customer's ``metadata[key]`` holds the account's/user's external id."""

    key: str = "account_id"
    target: Target = "account"

    @property
    def name(self) -> str:
        return f"metadata {self.key} -> {self.target}"


@dataclass(frozen=True)
class EmailStep:
    """The customer's email equals a user's email (case-insensitive)."""

    target: Literal["user"] = "user"

    @property
    def name(self) -> str:
        return "email -> user"


@dataclass(frozen=True)
class EmailDomainStep:
    """The customer's email domain equals an account's domain; free-mail domains never match."""

    target: Literal["account"] = "account"
    free_mail_domains: frozenset[str] = FREE_MAIL_DOMAINS

    @property
    def name(self) -> str:
        return "email domain -> account"


MatchStep: TypeAlias = PropertyStep | MetadataStep | EmailStep | EmailDomainStep


@dataclass(frozen=True)
class MatchStrategy:
    """Ordered steps; the first that finds a candidate decides."""

    steps: tuple[MatchStep, ...] = (MetadataStep(),)

    @classmethod
    def metadata(cls, key: str = "account_id", target: Target = "account") -> MatchStrategy:
        """The one-step strategy ``metadata[key]`` → external id (default key ``account_id``)."""
        return cls(steps=(MetadataStep(key=key, target=target),))


DEFAULT_MATCH_STRATEGY = MatchStrategy()


@dataclass(frozen=True)
class CustomerMatch:
    """Where one customer's facts go: ``account_ids`` (a user's accounts when matched to a user)."""

    customer_id: str
    account_ids: tuple[int, ...]
    user_id: int | None
    step: str | None
    status: MatchStatus
    reason: str | None


@dataclass(frozen=True)
class MatchReport:
    """One :class:`CustomerMatch` per customer, in input order."""

    matches: tuple[CustomerMatch, ...]

    def with_status(self, status: MatchStatus) -> tuple[CustomerMatch, ...]:
        return tuple(m for m in self.matches if m.status == status)

    @property
    def matched(self) -> tuple[CustomerMatch, ...]:
        return self.with_status("matched")

    @property
    def unmatched(self) -> tuple[CustomerMatch, ...]:
        """Customers no step found: the candidates for "create missing accounts/users"."""
        return self.with_status("unmatched")

    @property
    def ambiguous(self) -> tuple[CustomerMatch, ...]:
        return self.with_status("ambiguous")

    @property
    def skipped(self) -> tuple[CustomerMatch, ...]:
        return self.with_status("skipped")

    def customers_by_account(self) -> dict[int, tuple[str, ...]]:
        """Each account's matched customer ids (several customers can share an account)."""
        found: dict[int, list[str]] = defaultdict(list)
        for match in self.matched:
            for account_id in match.account_ids:
                found[account_id].append(match.customer_id)
        return {account_id: tuple(ids) for account_id, ids in sorted(found.items())}


def match_customers(
    customers: Iterable[Customer],
    accounts: Iterable[AccountRecord],
    users: Iterable[UserRecord],
    strategy: MatchStrategy = DEFAULT_MATCH_STRATEGY,
) -> MatchReport:
    """Match every customer by ``strategy`` (see the module docstring for the rules)."""
    directory = _Directory(tuple(accounts), tuple(users))
    return MatchReport(tuple(_match_one(c, directory, strategy) for c in customers))


def _match_one(customer: Customer, directory: _Directory, strategy: MatchStrategy) -> CustomerMatch:
    if customer.deleted:
        return CustomerMatch(customer.id, (), None, None, "skipped", "customer deleted in Stripe")
    misses: list[str] = []
    for step in strategy.steps:
        ids, reason = _find(step, customer, directory)
        if len(ids) > 1:
            plural = f"{len(ids)} {step.target}s"
            return CustomerMatch(
                customer.id, (), None, step.name, "ambiguous", f"{reason} {plural}"
            )
        if len(ids) == 1:
            return directory.matched(customer.id, step, ids[0])
        misses.append(reason)
    return CustomerMatch(customer.id, (), None, None, "unmatched", "; ".join(misses) or "no steps")


def _find(
    step: MatchStep, customer: Customer, directory: _Directory
) -> tuple[tuple[int, ...], str]:
    """Candidate ids of ``step.target`` and, when not exactly one, what to say about it."""
    if isinstance(step, MetadataStep):
        value = (customer.metadata.get(step.key) or "").strip()
        if not value:
            return (), f"no metadata key {step.key!r}"
        ids = directory.by_external_id(step.target).get(value, ())
        return ids, f"metadata {step.key}={value!r} matches" + ("" if ids else f" no {step.target}")
    if isinstance(step, PropertyStep):
        ids = directory.by_property(step.target, step.property).get(customer.id, ())
        what = f"property {step.property}={customer.id!r} matches"
        return ids, what + ("" if ids else f" no {step.target}")
    email = (customer.email or "").strip().lower()
    if not email:
        return (), "customer has no email"
    if isinstance(step, EmailStep):
        ids = directory.users_by_email.get(email, ())
        return ids, f"email {email!r} matches" + ("" if ids else " no user")
    domain = email.rpartition("@")[2]
    if domain in step.free_mail_domains:
        return (), f"email domain {domain!r} is a free-mail domain"
    ids = directory.accounts_by_domain.get(domain, ())
    return ids, f"email domain {domain!r} matches" + ("" if ids else " no account")


class _Directory:
    """Indexes over accounts and users, built once per matching run."""

    def __init__(self, accounts: tuple[AccountRecord, ...], users: tuple[UserRecord, ...]) -> None:
        self.accounts = accounts
        self.users = {user.id: user for user in users}
        self.users_by_email = _index((u.id, (u.email or "").strip().lower()) for u in users)
        self.accounts_by_domain = _index((a.id, _account_domain(a)) for a in accounts)
        self._external = {
            "account": _index((a.id, a.external_id.strip()) for a in accounts),
            "user": _index((u.id, (u.external_id or "").strip()) for u in users),
        }
        self._properties: dict[tuple[str, str], dict[str, tuple[int, ...]]] = {}

    def by_external_id(self, target: Target) -> dict[str, tuple[int, ...]]:
        return self._external[target]

    def by_property(self, target: Target, name: str) -> dict[str, tuple[int, ...]]:
        if (target, name) not in self._properties:
            records = self.accounts if target == "account" else tuple(self.users.values())
            pairs = ((r.id, v) for r in records for v in _property_values(r.properties.get(name)))
            self._properties[(target, name)] = _index(pairs)
        return self._properties[(target, name)]

    def matched(self, customer_id: str, step: MatchStep, found: int) -> CustomerMatch:
        if step.target == "account":
            return CustomerMatch(customer_id, (found,), None, step.name, "matched", None)
        accounts = tuple(sorted(set(self.users[found].account_ids)))
        reason = None if accounts else f"user {found} belongs to no account"
        return CustomerMatch(customer_id, accounts, found, step.name, "matched", reason)


def _index(pairs: Iterable[tuple[int, str]]) -> dict[str, tuple[int, ...]]:
    index: dict[str, set[int]] = defaultdict(set)
    for record_id, key in pairs:
        if key:
            index[key].add(record_id)
    return {key: tuple(sorted(ids)) for key, ids in index.items()}


def _property_values(value: object) -> list[str]:
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v).strip() for v in value if v is not None]
    return [] if value is None else [str(value).strip()]


def _account_domain(account: AccountRecord) -> str:
    """``Acme.com``, ``https://www.acme.com/about`` and ``www.acme.com`` all give ``acme.com``."""
    raw = account.domain if account.domain is not None else account.properties.get("domain")
    text = str(raw or "").strip().lower()
    text = text.split("://", 1)[-1].split("/", 1)[0].split("@")[-1]
    return text.removeprefix("www.")


# --- The stored form: a connection's strategy is a workspace setting kept as JSON. ---


class MatchStrategyError(ValueError):
    """A stored or submitted matching strategy that is not valid; the message names the problem."""


def strategy_to_dict(strategy: MatchStrategy) -> dict[str, object]:
    """Plain JSON-ready data for ``strategy`` (a default free-mail list is left out).

    >>> strategy_to_dict(MatchStrategy((MetadataStep("org"), EmailDomainStep())))
    {'steps': [{'type': 'metadata', 'key': 'org', 'target': 'account'}, {'type': 'email_domain', 'target': 'account'}]}
    """  # noqa: E501
    steps: list[dict[str, object]] = []
    for step in strategy.steps:
        if isinstance(step, MetadataStep):
            steps.append({"type": "metadata", "key": step.key, "target": step.target})
        elif isinstance(step, PropertyStep):
            steps.append({"type": "property", "property": step.property, "target": step.target})
        elif isinstance(step, EmailStep):
            steps.append({"type": "email", "target": step.target})
        else:
            data: dict[str, object] = {"type": "email_domain", "target": step.target}
            if step.free_mail_domains != FREE_MAIL_DOMAINS:
                data["free_mail_domains"] = sorted(step.free_mail_domains)
            steps.append(data)
    return {"steps": steps}


def strategy_from_dict(data: Mapping[str, object]) -> MatchStrategy:
    """A strategy from its stored form; raises :class:`MatchStrategyError` naming the problem.

    >>> strategy_from_dict({"steps": [{"type": "email", "target": "account"}]})
    Traceback (most recent call last):
    ...
    stageline.domain.matching.MatchStrategyError: step 1 (email): target must be 'user'
    """
    raw_steps = data.get("steps") if isinstance(data, Mapping) else None
    if not isinstance(raw_steps, list) or not raw_steps:
        raise MatchStrategyError("'steps' must be a non-empty list")
    return MatchStrategy(tuple(_step_from_dict(raw, n) for n, raw in enumerate(raw_steps, 1)))


_STEP_FIELDS = {
    "metadata": ({"key"}, ("account", "user")),
    "property": ({"property"}, ("account", "user")),
    "email": (set(), ("user",)),
    "email_domain": ({"free_mail_domains"}, ("account",)),
}


def _step_from_dict(raw: object, number: int) -> MatchStep:
    kind = raw.get("type") if isinstance(raw, Mapping) else None
    if not isinstance(raw, Mapping) or kind not in _STEP_FIELDS:
        known = ", ".join(_STEP_FIELDS)
        raise MatchStrategyError(f"step {number}: 'type' must be one of {known}")
    where = f"step {number} ({kind})"
    fields, targets = _STEP_FIELDS[str(kind)]
    unknown = sorted(set(raw) - fields - {"type", "target"})
    if unknown:
        raise MatchStrategyError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}")
    target = raw.get("target", targets[0])
    if target not in targets:
        raise MatchStrategyError(f"{where}: target must be {' or '.join(map(repr, targets))}")
    if kind == "email":
        return EmailStep()
    if kind == "email_domain":
        domains = raw.get("free_mail_domains", sorted(FREE_MAIL_DOMAINS))
        if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
            raise MatchStrategyError(f"{where}: 'free_mail_domains' must be a list of strings")
        return EmailDomainStep(free_mail_domains=frozenset(d.strip().lower() for d in domains))
    name_field = "key" if kind == "metadata" else "property"
    name = raw.get(name_field)
    if not isinstance(name, str) or not name.strip():
        raise MatchStrategyError(f"{where}: {name_field!r} must be a non-empty string")
    account_or_user: Target = "user" if target == "user" else "account"
    if kind == "metadata":
        return MetadataStep(key=name.strip(), target=account_or_user)
    return PropertyStep(property=name.strip(), target=account_or_user)
