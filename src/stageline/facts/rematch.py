"""Match Stripe customers to our accounts and users, per connection, and store the outcome.

The domain matcher decides; this module runs it for each connection with that connection's
settings, creates missing accounts or users when the setting asks for it, and stores one
``customer_matches`` row per customer (all of a connection's, or only the given customers').

Created records get the customer's id in a property (``ConnectionMatching.created_property``),
and the strategy as run ends with a step reading that property, so they keep matching.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from stageline.domain.billing import Customer
from stageline.domain.matching import CustomerMatch, MetadataStep, match_customers
from stageline.facts.loading import Billing, Directory, load_directory
from stageline.facts.settings import ConnectionMatching, WorkspaceSettings
from stageline.store import accounts as account_store
from stageline.store import facts as fact_store
from stageline.store import models
from stageline.store.connections import list_connections


@dataclass
class MatchOutcome:
    """Each account's matched customers, the counts by status, and what was created."""

    customers_of_account: dict[int, list[Customer]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    created_accounts: int = 0
    created_users: int = 0
    directory: Directory | None = None


def rematch(
    session: Session,
    *,
    workspace: models.Workspace,
    settings: WorkspaceSettings,
    billing: Billing,
    now: datetime,
    customer_ids: Collection[str] | None = None,
) -> MatchOutcome:
    """Match the customers in ``billing`` and store their matches.

    With ``customer_ids`` only those customers' rows are replaced (``billing`` holds only
    them); otherwise every connection's rows are replaced.
    """
    outcome = MatchOutcome()
    directory = load_directory(session, workspace_id=workspace.id)
    connections = list_connections(session, workspace_id=workspace.id)
    created_any = False
    for connection in connections:
        config = _config(settings, connection)
        customers = billing.customers_by_connection.get(connection.id, [])
        if config.create_missing and customers:
            report = match_customers(
                customers, directory.accounts, directory.users, config.effective_strategy()
            )
            accounts, users = create_missing(
                session, workspace_id=workspace.id, config=config, unmatched=report.unmatched,
                customers={c.id: c for c in customers},
            )  # fmt: skip
            outcome.created_accounts += accounts
            outcome.created_users += users
            created_any = created_any or bool(accounts or users)
    if created_any:
        directory = load_directory(session, workspace_id=workspace.id)
    outcome.directory = directory
    found: dict[int, list[Customer]] = defaultdict(list)
    for connection in connections:
        config = _config(settings, connection)
        customers = billing.customers_by_connection.get(connection.id, [])
        report = match_customers(
            customers, directory.accounts, directory.users, config.effective_strategy()
        )
        by_id = {c.id: c for c in customers}
        rows = [
            fact_store.MatchRow(
                m.customer_id, m.status, m.step, m.reason, m.user_id, tuple(m.account_ids)
            )
            for m in report.matches
        ]
        for match in report.matches:
            outcome.counts[match.status] += 1
            if match.status == "matched":
                for account_id in match.account_ids:
                    found[account_id].append(by_id[match.customer_id])
        fact_store.replace_matches(
            session,
            workspace_id=workspace.id,
            connection_id=connection.id,
            matches=rows,
            now=now,
            customer_ids=customer_ids,
        )
    outcome.customers_of_account = dict(found)
    return outcome


def create_missing(
    session: Session,
    *,
    workspace_id: str,
    config: ConnectionMatching,
    unmatched: Sequence[CustomerMatch],
    customers: dict[str, Customer],
) -> tuple[int, int]:
    """Create an account (or user) per unmatched customer; returns (accounts, users) created.

    The external id is the customer's value for the first metadata step of that target when
    it has one (the id the customer points at), else the customer id. Customers giving the same
    external id share one record, whose property lists all their ids. A record whose external
    id already exists is left alone (the customer stays unmatched, with its reason).
    """
    target = config.created_target
    grouped: dict[str, list[Customer]] = defaultdict(list)
    for match in unmatched:
        customer = customers[match.customer_id]
        grouped[_external_id(config, customer)].append(customer)
    if not grouped:
        return 0, 0
    if target == "account":
        taken = set(account_store.account_ids_by_external_id(session, workspace_id=workspace_id))
    else:
        taken = {
            u.external_id for u in account_store.list_users(session, workspace_id=workspace_id)
        }
    fresh = {ext: group for ext, group in grouped.items() if ext not in taken}
    if not fresh:
        return 0, 0
    prop = config.created_property
    if target == "account":
        account_rows = [
            account_store.AccountRow(
                external_id=ext, name=_name(group[0]), properties={prop: _ids(group)}
            )
            for ext, group in sorted(fresh.items())
        ]
        account_store.upsert_accounts(session, workspace_id=workspace_id, rows=account_rows)
        return len(account_rows), 0
    user_rows = [
        account_store.UserRow(
            external_id=ext,
            name=group[0].name,
            email=group[0].email,
            properties={prop: _ids(group)},
        )
        for ext, group in sorted(fresh.items())
    ]
    account_store.upsert_users(session, workspace_id=workspace_id, rows=user_rows)
    return 0, len(user_rows)


def _config(settings: WorkspaceSettings, connection: models.StripeConnection) -> ConnectionMatching:
    return settings.matching_for(connection.id, default_metadata_key=connection.metadata_key)


def _external_id(config: ConnectionMatching, customer: Customer) -> str:
    for step in config.strategy.steps:
        if isinstance(step, MetadataStep) and step.target == config.created_target:
            value = (customer.metadata.get(step.key) or "").strip()
            if value:
                return value
    return customer.id


def _name(customer: Customer) -> str:
    return (customer.name or customer.email or customer.id).strip() or customer.id


def _ids(group: list[Customer]) -> str | list[str]:
    ids = sorted(c.id for c in group)
    return ids[0] if len(ids) == 1 else ids
