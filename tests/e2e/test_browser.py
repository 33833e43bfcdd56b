"""A person's view: Chromium (Debian's, driven by Playwright) opens the accounts page the demo
serves, signs in with the printed link, and reads MRR, renewal date and stage."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import BrowserContext, sync_playwright

from stageline.config import Settings
from stageline.demo import prepare_demo
from stageline.operations import sync_workspace
from stageline.store.db import Store
from stageline.web import create_app
from stageline_sandbox import SandboxHandle
from tests.conftest import HANG_LIMIT
from tests.signin import sign_in_path

CHROMIUM = os.environ.get("STAGELINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def browser() -> Iterator[BrowserContext]:
    """A Chromium context whose waits only give up on a hang, not on a slow machine."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=HANG_LIMIT * 1000
        )
        context = launched.new_context()
        context.set_default_timeout(HANG_LIMIT * 1000)
        yield context
        context.close()
        launched.close()


@pytest.fixture
def served(store: Store, settings: Settings, seeded_sandbox: SandboxHandle) -> Iterator[str]:
    from tests.e2e.conftest import SEED_CUSTOMERS

    now = datetime.now(UTC)
    setup = prepare_demo(
        store, settings, sandbox_url=seeded_sandbox.url, customers=SEED_CUSTOMERS, now=now
    )
    sync_workspace(store, settings, workspace_ref=setup.workspace_id, now=now)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, store=store), port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + HANG_LIMIT
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the web app did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    yield base + sign_in_path(store, settings, setup.workspace_id)
    server.should_exit = True
    thread.join(HANG_LIMIT)


def test_accounts_page_shows_facts_and_explains_an_account(
    browser: BrowserContext, served: str, tmp_path: Path
) -> None:
    page = browser.new_page()
    page.goto(served.split("/login")[0] + "/accounts")
    assert page.url.endswith("/login")
    page.goto(served)
    assert page.url.endswith("/accounts")
    status = page.locator(".connection").first.inner_text()
    assert "connected" in status and "last backfill" in status
    assert "{" not in status and "'" not in status  # words, not Python dicts
    rows = page.locator("#accounts tbody tr")
    assert rows.count() > 10
    first = rows.first.locator("td")
    name, mrr, stage = (first.nth(i).inner_text() for i in (0, 2, 4))
    assert mrr.startswith(("$", "€", "£"))
    assert stage in {"Customer", "Trial", "Churn", "no matching stage", "no subscriptions"}
    page.screenshot(
        path=os.environ.get("STAGELINE_SCREENSHOT", str(tmp_path / "accounts.png")), full_page=True
    )
    rows.first.locator("a").click()
    page.wait_for_selector("#mrr-lines")
    assert page.locator("h1").inner_text().startswith(name)
    assert page.locator("#mrr").inner_text() == mrr
    assert page.locator("#mrr-lines tbody tr").count() >= 1
