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
        engine = getattr(self.app.state, "engine", None)
        if engine is not None:
            engine.close()

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
    startup_timeout: float = 10.0,
) -> SandboxHandle:
    """Start the sandbox with uvicorn in a daemon thread; ``port=0`` picks a free port."""
    app = create_sandbox_app(config, store=store)
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
