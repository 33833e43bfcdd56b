"""``create_app(settings)``: the ASGI app serving the API, the webhook receiver and the UI.

Example::

    app = create_app(Settings.load())
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from stageline import __version__
from stageline.config import Settings
from stageline.store.db import Store
from stageline.web import api, stripe_app, ui, webhooks
from stageline.web.body_limit import BodyLimit
from stageline.web.deps import ApiWorkspace, LoginRequired
from stageline.web.errors import install_error_handlers
from stageline.web.openapi import openapi_document
from stageline.web.paths import SegmentRouting
from stageline.web.webhooks import WEBHOOK_PATH_PREFIX
from stageline.worker import Worker


def create_app(
    settings: Settings, *, store: Store | None = None, run_worker: bool = False
) -> FastAPI:
    """Build the app; with ``run_worker`` the background worker runs in this process."""
    owned_store = store or Store.connect(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = Worker(owned_store, settings) if run_worker else None
        if worker:
            worker.start_in_thread()
        try:
            yield
        finally:
            if worker:
                worker.stop()

    app = FastAPI(
        title="Stageline",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.store = owned_store
    app.add_middleware(SegmentRouting)
    app.add_middleware(BodyLimit, limit_for=lambda path: _body_limit(settings, path))
    install_error_handlers(app)

    @app.exception_handler(LoginRequired)
    async def login_required(_request: Request, _exc: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.get("/health", tags=["health"])
    def health() -> Response:
        """200 when the store answers, 503 otherwise. Unauthenticated."""
        if owned_store.ping():
            return JSONResponse({"status": "ok", "database": "ok", "version": __version__})
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)

    @app.get("/api/v1/openapi.json", include_in_schema=False)
    def openapi_schema(_workspace: ApiWorkspace) -> dict[str, Any]:
        """The OpenAPI document, for API clients holding a key (nothing is served unsigned)."""
        return openapi_document(app)

    app.include_router(api.router)
    app.include_router(webhooks.router)
    app.include_router(stripe_app.router)
    app.include_router(ui.router)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app


def _body_limit(settings: Settings, path: str) -> int:
    """Stripe's deliveries have their own limit; every other body has ``max_body_bytes``."""
    if path.startswith(WEBHOOK_PATH_PREFIX):
        return settings.webhook_max_body_bytes
    return settings.max_body_bytes
