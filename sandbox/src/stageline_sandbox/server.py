"""Serve the sandbox on a real port, in a background thread of the current process.

>>> from stageline_sandbox.config import SandboxConfig
>>> handle = run_sandbox_in_thread(SandboxConfig(rate_limit=None), port=0)
>>> handle.url.startswith("http://127.0.0.1:")
True
>>> handle.stop()

Point the official SDK at ``handle.url``::

    client = stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": handle.url})
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from stageline_sandbox.app import create_sandbox_app
from stageline_sandbox.config import SandboxConfig
from stageline_sandbox.store import SandboxStore


@dataclass
class SandboxHandle:
    """A running sandbox: where it listens, its app and store, and how to stop it."""

    url: str
    app: Starlette
    store: SandboxStore
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the server thread to end."""
        self._server.should_exit = True
        self._thread.join(timeout)
        accounts = getattr(self.app.state, "accounts", None)
        if accounts is not None:
            accounts.close()

    def store_for(self, account_id: str) -> SandboxStore:
        """The store holding ``account_id``'s data (the default account's is ``.store``)."""
        tenant = self.app.state.accounts.get(account_id)
        if tenant is None:
            raise KeyError(f"no account {account_id} in this sandbox")
        store: SandboxStore = tenant.store
        return store

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Wait until every account's webhook deliveries (retries included) are done."""
        deadline = time.monotonic() + timeout
        return all(
            tenant.services.webhooks.wait_idle(max(deadline - time.monotonic(), 0.0))
            for tenant in self.app.state.accounts
        )

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_sandbox_in_thread(
    config: SandboxConfig,
    host: str = "127.0.0.1",
    port: int = 12111,
    *,
    store: SandboxStore | None = None,
    stores: Mapping[str, SandboxStore] | None = None,
    startup_timeout: float = 10.0,
) -> SandboxHandle:
    """Start the sandbox with uvicorn in a daemon thread; ``port=0`` picks a free port.

    ``store`` holds the default account's data, ``stores`` other accounts' (by id).
    """
    app = create_sandbox_app(config, store=store, stores=stores)
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="stageline-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the sandbox could not start on {host}:{port}")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the sandbox did not start on {host}:{port} in time")
        time.sleep(0.01)
    bound_port = server.servers[0].sockets[0].getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    return SandboxHandle(
        url=f"http://{shown_host}:{bound_port}",
        app=app,
        store=app.state.store,
        _server=server,
        _thread=thread,
    )
