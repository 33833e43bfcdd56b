"""A local Stripe-compatible API server with state, for tests and demos.

The official ``stripe`` SDK drives it as it drives Stripe::

    from stageline_sandbox import SANDBOX_API_KEY, SandboxConfig, run_sandbox_in_thread
    from stageline_sandbox import SandboxStore, seed

    store = SandboxStore()
    seed(store, customers=200, random_seed=1)
    with run_sandbox_in_thread(SandboxConfig(), port=0, store=store) as sandbox:
        client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": sandbox.url})
        subs = client.v1.subscriptions.list({"status": "all", "limit": 100})
"""

from stageline_sandbox.app import create_sandbox_app
from stageline_sandbox.config import (
    DEFAULT_ACCOUNT_ID,
    SANDBOX_API_KEY,
    AccountProfile,
    FaultConfig,
    SandboxAccount,
    SandboxConfig,
)
from stageline_sandbox.seed import SeedSummary, seed, seed_sandbox
from stageline_sandbox.seed_accounts import SeedAccount, SeedUser, demo_accounts
from stageline_sandbox.server import SandboxHandle, run_sandbox_in_thread
from stageline_sandbox.store import SandboxStore

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "SANDBOX_API_KEY",
    "AccountProfile",
    "FaultConfig",
    "SandboxAccount",
    "SandboxConfig",
    "SandboxHandle",
    "SandboxStore",
    "SeedAccount",
    "SeedSummary",
    "SeedUser",
    "create_sandbox_app",
    "demo_accounts",
    "run_sandbox_in_thread",
    "seed",
    "seed_sandbox",
]
