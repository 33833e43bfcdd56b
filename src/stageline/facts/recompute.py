"""Recompute accounts' facts from the Stripe mirror, and log each change with its cause.

Either the whole workspace (every customer rematched, every account refreshed), or only the
accounts some customers affect: pass ``customer_ids`` (e.g. the customer of a Stripe event).
The domain does the thinking; ``facts.compute`` applies the settings; ``facts.ledger`` writes
the change log, the MRR ledger and the stage history.

The caller holds the workspace lock (``store.locks.lock_workspace``, taken first in the same
transaction); without it ``recompute_facts`` raises ``WorkspaceNotLocked`` before reading
anything, since two unlocked recomputes of one account would both log the same change.

Example::

    with store.session() as session:
        lock_workspace(session, workspace_id=ws.id)
        recompute_facts(session, workspace=ws, now=datetime.now(UTC), cause="backfill")
        recompute_facts(session, workspace=ws, now=now, cause="evt_1", customer_ids=["cus_1"])
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from stageline.domain.billing import Customer
from stageline.facts.compute import account_values
from stageline.facts.ledger import Snapshot, record_changes
from stageline.facts.loading import Billing, load_billing
from stageline.facts.rematch import MatchOutcome, rematch
from stageline.facts.settings import WorkspaceSettings
from stageline.store import facts as fact_store
from stageline.store.locks import require_workspace_lock
from stageline.store.models import Account, AccountFacts, Workspace

__all__ = ["RecomputeSummary", "recompute_facts"]


@dataclass(frozen=True)
class RecomputeSummary:
    """What a recompute did; customer counts cover the customers it rematched."""

    accounts: int
    changed: int
    matched_customers: int
    unmatched_customers: int
    ambiguous_customers: int
    skipped_customers: int = 0
    created_accounts: int = 0
    created_users: int = 0
    movements: int = 0
    transitions: int = 0


def recompute_facts(
    session: Session,
    *,
    workspace: Workspace,
    now: datetime,
    cause: str,
    customer_ids: Collection[str] | None = None,
    clock_cause: str | None = None,
) -> RecomputeSummary:
    """Rematch customers and refresh the facts of the accounts they belong to.

    With ``customer_ids=None`` every customer and every account of ``workspace``; otherwise
    only those customers, and the accounts they belonged to or now belong to. The session's
    transaction must hold the workspace lock.

    ``clock_cause`` is for callers that change only our own accounts and users (imports): the
    MRR movements of an account whose matched customers stay the same are then recorded with
    ``clock_cause``, since only the clock can have moved its Stripe MRR.
    """
    require_workspace_lock(session, workspace_id=workspace.id, writer=f"recompute ({cause})")
    settings = WorkspaceSettings.from_json(workspace.settings or {})
    if customer_ids is None:
        billing = load_billing(session, workspace_id=workspace.id)
        outcome = rematch(session, workspace=workspace, settings=settings, billing=billing, now=now)
        assert outcome.directory is not None
        targets = dict(outcome.directory.account_rows)
        previous = fact_store.facts_by_account(session, workspace_id=workspace.id)
        customers_of = outcome.customers_of_account
    else:
        ids = set(customer_ids)
        # the accounts these customers belonged to, read before the rematch changes the rows
        affected = {
            account_id
            for match in fact_store.list_matches(
                session, workspace_id=workspace.id, customer_ids=ids
            )
            if match.status == "matched"
            for account_id in match.account_ids
        }
        billing = load_billing(session, workspace_id=workspace.id, customer_ids=ids)
        outcome = rematch(
            session, workspace=workspace, settings=settings, billing=billing, now=now,
            customer_ids=ids,
        )  # fmt: skip
        assert outcome.directory is not None
        affected |= set(outcome.customers_of_account)
        rows = outcome.directory.account_rows
        targets = {a: rows[a] for a in sorted(affected) if a in rows}
        previous = fact_store.facts_by_account(
            session, workspace_id=workspace.id, account_ids=list(targets)
        )
        customers_of, billing = _partial_customers(
            session, workspace, ids, outcome, previous, billing
        )
    return _refresh(
        session,
        workspace=workspace,
        settings=settings,
        targets=targets,
        previous=previous,
        customers_of=customers_of,
        billing=billing,
        outcome=outcome,
        now=now,
        cause=cause,
        clock_cause=clock_cause,
    )


def _partial_customers(
    session: Session,
    workspace: Workspace,
    ids: set[str],
    outcome: MatchOutcome,
    previous: Mapping[int, AccountFacts],
    billing: Billing,
) -> tuple[dict[int, list[Customer]], Billing]:
    """Each affected account's customers: its other customers (unchanged) plus the rematched
    ones now matched to it; loads the other customers' billing data too."""
    others = {
        customer_id
        for facts in previous.values()
        for customer_id in facts.customer_ids
        if customer_id not in ids
    }
    rest = load_billing(session, workspace_id=workspace.id, customer_ids=others)
    known = {**rest.customers(), **billing.customers()}
    merged = Billing(
        customers_by_connection={},
        subscriptions={**rest.subscriptions, **billing.subscriptions},
    )
    customers_of: dict[int, list[Customer]] = {}
    for account_id, facts in previous.items():
        customers_of[account_id] = [
            known[c] for c in facts.customer_ids if c not in ids and c in known
        ]
    for account_id, customers in outcome.customers_of_account.items():
        customers_of.setdefault(account_id, []).extend(customers)
    return customers_of, merged


def _refresh(
    session: Session,
    *,
    workspace: Workspace,
    settings: WorkspaceSettings,
    targets: Mapping[int, Account],
    previous: Mapping[int, AccountFacts],
    customers_of: Mapping[int, list[Customer]],
    billing: Billing,
    outcome: MatchOutcome,
    now: datetime,
    cause: str,
    clock_cause: str | None = None,
) -> RecomputeSummary:
    ever_paid = fact_store.accounts_with_movements(
        session, workspace_id=workspace.id, account_ids=list(targets)
    )
    # accounts without stored facts go on from their ledger, if they have one
    revisions = fact_store.latest_revisions(
        session, workspace_id=workspace.id, account_ids=[a for a in targets if a not in previous]
    )
    changed = movements = transitions = 0
    for account_id, account in targets.items():
        customers = sorted(customers_of.get(account_id, []), key=lambda c: c.id)
        subscriptions = [s for c in customers for s in billing.subscriptions_of(c.id)]
        values = account_values(account.properties, customers, subscriptions, settings, now=now)
        facts = previous.get(account_id)
        old = None
        if facts is None:
            facts = AccountFacts(
                account_id=account_id,
                workspace_id=workspace.id,
                revision=revisions.get(account_id, 0),
            )
            session.add(facts)
        else:
            old = Snapshot(
                totals=dict(facts.mrr_totals),
                amount=facts.mrr_amount,
                currency=facts.mrr_currency,
                stage=facts.stage,
                renewal_date=facts.renewal_date,
            )
        new = Snapshot(
            totals=values.totals,
            amount=values.mrr.amount,
            currency=values.mrr.currency,
            stage=values.stage.stage,
            renewal_date=values.renewal_date,
        )
        recorded = record_changes(
            session,
            workspace_id=workspace.id,
            account_id=account_id,
            old=old,
            new=new,
            had_mrr_before=account_id in ever_paid,
            now=now,
            cause=cause,
            revision=facts.revision,
            movement_cause=clock_cause
            if clock_cause is not None and old is not None and _same_customers(facts, customers)
            else None,
        )
        facts.revision = recorded.revision
        changed += recorded.changed
        movements += len(recorded.movements)
        if recorded.transition is not None:
            transitions += 1
            facts.stage_since = now
        elif facts.stage_since is None and values.stage.stage is not None:
            facts.stage_since = now
        facts.mrr_amount = values.mrr.amount
        facts.mrr_currency = values.mrr.currency
        facts.mrr_totals = values.totals
        facts.renewal_date = values.renewal_date
        facts.ends_at = values.renewal.ends_at
        facts.stage = values.stage.stage
        facts.customer_ids = [c.id for c in customers]
        facts.explanation = values.explanation
        facts.computed_at = now
    fact_store.flush_changes(session)
    counts = outcome.counts
    return RecomputeSummary(
        accounts=len(targets),
        changed=changed,
        matched_customers=counts["matched"],
        unmatched_customers=counts["unmatched"],
        ambiguous_customers=counts["ambiguous"],
        skipped_customers=counts["skipped"],
        created_accounts=outcome.created_accounts,
        created_users=outcome.created_users,
        movements=movements,
        transitions=transitions,
    )


def _same_customers(facts: AccountFacts, customers: list[Customer]) -> bool:
    return list(facts.customer_ids) == [c.id for c in customers]
