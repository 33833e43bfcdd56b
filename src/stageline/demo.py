"""Demo set-up on the embedded default: a seeded local sandbox, a workspace, accounts, a
connection. Idempotent: a second run finds everything in place and only starts the servers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from stageline.config import Settings
from stageline.connecting import connect_stripe
from stageline.errors import ConfigError
from stageline.operations import import_accounts, import_users
from stageline.store.connections import list_connections
from stageline.store.db import Store
from stageline.store.workspaces import create_workspace, list_workspaces
from stageline_sandbox import (
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxHandle,
    SeedAccount,
    demo_accounts,
    run_sandbox_in_thread,
    seed_sandbox,
)

DEMO_WORKSPACE = "Demo"
DEMO_RANDOM_SEED = 42


@dataclass(frozen=True)
class DemoSetup:
    workspace_id: str
    workspace_name: str
    api_key: str | None
    needs_backfill: bool


def start_demo_sandbox(
    settings: Settings, *, port: int, customers: int, now: datetime
) -> SandboxHandle:
    """The sandbox on its own SQLite file in the data dir, seeded on first use."""
    db_path = settings.data_dir / "sandbox.db"
    config = SandboxConfig(db_path=str(db_path))
    seed_sandbox(
        config, customers=customers, random_seed=DEMO_RANDOM_SEED, now=now, only_if_empty=True
    )
    try:
        return run_sandbox_in_thread(config, host="127.0.0.1", port=port)
    except RuntimeError as exc:
        raise ConfigError(
            f"the Stripe sandbox could not start: {exc}",
            hint="is another demo running? stop it, or pass --sandbox-port",
        ) from exc


def prepare_demo(
    store: Store, settings: Settings, *, sandbox_url: str, customers: int, now: datetime
) -> DemoSetup:
    with store.session() as session:
        existing = next((w for w in list_workspaces(session) if w.name == DEMO_WORKSPACE), None)
        api_key = None
        if existing is None:
            created = create_workspace(session, name=DEMO_WORKSPACE)
            existing, api_key = created.workspace, created.api_key
        workspace_id = existing.id
        connections = list_connections(session, workspace_id=workspace_id)
    if api_key is not None:
        seeded = demo_accounts(customers=customers, random_seed=DEMO_RANDOM_SEED)
        import_accounts(store, workspace_ref=workspace_id, csv_text=_accounts_csv(seeded), now=now)
        import_users(store, workspace_ref=workspace_id, csv_text=_users_csv(seeded), now=now)
    if not connections:
        connect_stripe(
            store,
            settings,
            workspace_ref=workspace_id,
            api_key=SANDBOX_API_KEY,
            api_base=sandbox_url,
        )
        needs_backfill = True
    else:
        needs_backfill = connections[0].last_backfill_at is None
    return DemoSetup(workspace_id, DEMO_WORKSPACE, api_key, needs_backfill)


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n') else value


def _accounts_csv(accounts: list[SeedAccount]) -> str:
    lines = ["external_id,name,domain,plan"]
    lines += [
        ",".join(_csv_field(v) for v in (a.external_id, a.name, a.domain, a.plan_hint))
        for a in accounts
    ]
    return "\n".join(lines) + "\n"


def _users_csv(accounts: list[SeedAccount]) -> str:
    lines = ["external_id,name,email,account_external_ids"]
    for account in accounts:
        for user in account.users:
            lines.append(
                ",".join(
                    _csv_field(v)
                    for v in (user.external_id, user.name, user.email, account.external_id)
                )
            )
    return "\n".join(lines) + "\n"
