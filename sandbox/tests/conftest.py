"""Sandboxes on real loopback ports, driven only through the official ``stripe`` SDK."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import stripe
from hypothesis import settings as hypothesis_settings

from stageline_sandbox import (
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
    seed,
)


def _checkout_guard_module() -> ModuleType:
    """The repository's checkout guard (``tests/checkout_guard.py``), shared by both suites.

    Loaded by path: in this session the name ``tests`` is the sandbox's own test package.
    """
    path = Path(__file__).resolve().parents[2] / "tests" / "checkout_guard.py"
    spec = importlib.util.spec_from_file_location("stageline_checkout_guard", path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# Nothing beside the checkout may be opened: a clone has nothing there.
checkout_guard = _checkout_guard_module()
CHECKOUT_GUARD = checkout_guard.CheckoutGuard.for_checkout(Path(__file__).resolve().parents[2])
CHECKOUT_GUARD.install()


def pytest_report_header() -> str:
    header: str = CHECKOUT_GUARD.describe()
    return header


# Property tests are judged by what they find, not by how fast a loaded machine runs them.
hypothesis_settings.register_profile("stageline-sandbox", deadline=None)
hypothesis_settings.load_profile("stageline-sandbox")

HANG_LIMIT = 120.0
"""Seconds a test waits for something that must happen (a delivery, an idle queue) before
calling it hung: a bound on a hang, far above what a loaded machine needs, never a timing
expectation."""

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z: seeded data is placed relative to it
SEEDED_CUSTOMERS = 300


def make_client(url: str, api_key: str = SANDBOX_API_KEY, retries: int = 2) -> stripe.StripeClient:
    return stripe.StripeClient(api_key, base_addresses={"api": url}, max_network_retries=retries)


def raw_get(client: stripe.StripeClient, path: str, **params: Any) -> dict[str, Any]:
    """The JSON exactly as the sandbox sent it (the SDK turns ``*_decimal`` into Decimal)."""
    response = client.raw_request("get", path, **params)
    body: dict[str, Any] = json.loads(response.body)
    return body


@pytest.fixture(scope="session")
def seeded_sandbox() -> Iterator[SandboxHandle]:
    """A read-only sandbox seeded with a realistic account (never write to it)."""
    store = SandboxStore()
    seed(store, customers=SEEDED_CUSTOMERS, random_seed=11, now=NOW)
    handle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0, store=store)
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def client(seeded_sandbox: SandboxHandle) -> stripe.StripeClient:
    return make_client(seeded_sandbox.url)


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., SandboxHandle]]:
    """Start fresh sandboxes (each with its own empty store) for tests that write."""
    started: list[SandboxHandle] = []

    def start(
        config: SandboxConfig | None = None, store: SandboxStore | None = None
    ) -> SandboxHandle:
        handle = run_sandbox_in_thread(
            config or SandboxConfig(rate_limit=None), port=0, store=store
        )
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()
