"""The ASGI app: Stripe's HTTP surface over the sandbox's handlers.

>>> from stageline_sandbox.config import SandboxConfig
>>> app = create_sandbox_app(SandboxConfig())
>>> app.state.store.count("customer")
0

Every response carries a ``Request-Id``; every failure is Stripe's error JSON, never a
traceback. POST requests run in one transaction and honour ``Idempotency-Key``. Each
account has its own store and engine; a request acts on its key's account, or on the
connected account its ``Stripe-Account`` header names.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import secrets
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from stageline_sandbox import permissions
from stageline_sandbox.accounts import AccountRegistry, Tenant
from stageline_sandbox.config import SandboxAccount, SandboxConfig
from stageline_sandbox.context import Ctx, Route
from stageline_sandbox.engine import Engine
from stageline_sandbox.errors import (
    StripeApiError,
    api_error,
    idempotency_error,
    rate_limited,
)
from stageline_sandbox.guards import FaultInjector, RateLimiter, api_key_from
from stageline_sandbox.params import Params, decode_form
from stageline_sandbox.store import SandboxStore, dumps
from stageline_sandbox.versions import is_pre_basil, object_for_version

log = logging.getLogger(__name__)

_ALPHABET = string.ascii_letters + string.digits


def new_request_id() -> str:
    return "req_" + "".join(secrets.choice(_ALPHABET) for _ in range(14))


@dataclass(frozen=True)
class _Compiled:
    method: str
    pattern: re.Pattern[str]
    route: Route


def _compile(routes: Sequence[Route]) -> list[_Compiled]:
    compiled = []
    for route in routes:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", route.path)
        compiled.append(_Compiled(route.method, re.compile(f"^{regex}/?$"), route))
    return compiled


def default_routes() -> list[Route]:
    """Every endpoint the sandbox serves, most specific paths first."""
    from stageline_sandbox.resources import all_routes

    return all_routes()


class SandboxApi:
    """Authenticates, limits, runs and answers one request at a time per handler call."""

    def __init__(
        self, config: SandboxConfig, accounts: AccountRegistry, routes: Sequence[Route]
    ) -> None:
        self.config = config
        self.accounts = accounts
        self.limiter = RateLimiter()
        self.faults = FaultInjector(config.faults)
        self.received: Counter[str] = Counter()
        """Requests received, refused ones included, by ``"METHOD /path"``."""
        self._routes = _compile(routes)

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for compiled in self._routes:
            if compiled.method != method:
                continue
            found = compiled.pattern.match(path)
            if found:
                return compiled.route, found.groupdict()
        return None

    async def respond(self, request: Request) -> Response:
        self.received[f"{request.method.upper()} {request.url.path}"] += 1
        request_id = new_request_id()
        try:
            status, body, headers = await self._handle(request, request_id)
        except StripeApiError as stripe_error:
            status, body = stripe_error.status, dumps(stripe_error.body())
            headers = stripe_error.headers
        except Exception:  # the last line of defence: Stripe's 500, never a traceback
            log.exception("sandbox request failed")
            failure = api_error()
            status, body, headers = failure.status, dumps(failure.body()), {}
        response = Response(body, status_code=status, media_type="application/json")
        response.headers["Request-Id"] = request_id
        response.headers["Stripe-Version"] = request.headers.get(
            "stripe-version", "2026-10-28.endive"
        )
        for name, value in headers.items():
            response.headers[name] = value
        return response

    async def _handle(self, request: Request, request_id: str) -> tuple[int, str, dict[str, str]]:
        api_key = api_key_from(request.headers.get("authorization"), self.config)
        key_account = self.config.account_of(api_key) or self.accounts.default.profile.id
        tenant = self.accounts.acting(api_key, key_account, request.headers.get("stripe-account"))
        rate = self.config.rate_limit_for(api_key)
        if rate is not None and not self.limiter.allow(
            api_key, rate=rate, now=self.config.rate_clock()
        ):
            raise rate_limited("global-rate")
        if self.config.faults.latency_seconds > 0:
            await asyncio.sleep(self.config.faults.latency_seconds)
        fault = self.faults.request_fault(request.url.path)
        if fault is not None:
            raise fault
        method = request.method.upper()
        matched = self._match(method, request.url.path)
        if matched is None:
            raise StripeApiError(
                404,
                f"Unrecognized request URL ({method}: {request.url.path}). Please see "
                "https://docs.stripe.com or we can help at https://support.stripe.com/.",
            )
        route, path_params = matched
        restricted = self.config.permissions_of(api_key)
        if restricted is not None:
            permissions.check(
                method,
                request.url.path,
                key=api_key,
                permissions=restricted,
                account=tenant.profile.id,
            )
        values = decode_form(request.url.query)
        if method in ("POST", "DELETE"):
            body = (await request.body()).decode("utf-8", errors="replace")
            values.update(decode_form(body))
        idempotency_key = request.headers.get("idempotency-key") if method == "POST" else None
        ctx = Ctx(
            store=tenant.store,
            params=Params(values),
            now=self.config.clock(),
            path=path_params,
            livemode=self.config.livemode_for(api_key),
            request_id=request_id,
            idempotency_key=idempotency_key,
            api_version=request.headers.get("stripe-version"),
            services=tenant.services,
            api_key=api_key,
            account=self.accounts.scope(tenant),
        )
        if method == "GET":
            return 200, dumps(self._versioned(ctx, route.handler(ctx))), {}
        return self._run_write(ctx, tenant, route, method, request.url.path, values)

    def _versioned(self, ctx: Ctx, result: dict[str, Any]) -> dict[str, Any]:
        """The answer as ``Stripe-Version`` shapes it (older versions: pre-basil shapes)."""
        if not is_pre_basil(ctx.api_version):
            return result
        if result.get("object") in ("list", "search_result"):
            result["data"] = [
                object_for_version(item, ctx.api_version, ctx.store) for item in result["data"]
            ]
            return result
        return object_for_version(result, ctx.api_version, ctx.store)

    def _run_write(
        self,
        ctx: Ctx,
        tenant: Tenant,
        route: Route,
        method: str,
        path: str,
        values: dict[str, Any],
    ) -> tuple[int, str, dict[str, str]]:
        key, api_key = ctx.idempotency_key, ctx.api_key
        store, services = tenant.store, tenant.services
        fingerprint = hashlib.sha256(
            json.dumps([method, path, values], sort_keys=True).encode()
        ).hexdigest()
        if key:
            if len(key) > 255:
                raise StripeApiError(
                    400,
                    "Invalid idempotency key: must be at most 255 characters.",
                    param="Idempotency-Key",
                )
            saved = store.idempotent_response(api_key, key)
            if saved is not None:
                if saved[0] != fingerprint:
                    raise idempotency_error(key)
                return saved[1], saved[2], {"Idempotent-Replayed": "true"}
        try:
            with store.transaction():
                body = dumps(self._versioned(ctx, route.handler(ctx)))
                if key:
                    store.save_idempotent_response(api_key, key, fingerprint, 200, body, ctx.now)
        except BaseException:
            if services is not None:
                services.after_rollback()
            raise
        if services is not None:
            services.after_write()
        return 200, body, {"Idempotency-Key": key} if key else {}


def account_db_path(db_path: str | None, account: SandboxAccount) -> str | None:
    """Where another account keeps its data: its own ``db_path``, else a file beside the
    default account's (``sandbox.db`` → ``sandbox.acct_X.db``), else memory.

    >>> account_db_path(".stageline/sandbox.db", SandboxAccount("acct_2"))
    '.stageline/sandbox.acct_2.db'
    """
    if account.db_path is not None or db_path is None:
        return account.db_path
    path = Path(db_path)
    return str(path.with_name(f"{path.stem}.{account.id}{path.suffix}"))


def _accounts(
    config: SandboxConfig, store: SandboxStore, stores: Mapping[str, SandboxStore]
) -> AccountRegistry:
    platform = Tenant(config.account, store, Engine(config, store))
    connected = []
    for account in config.accounts:
        own = stores.get(account.id) or SandboxStore(account_db_path(config.db_path, account))
        engine = Engine(config, own, account=account.id, platform_store=store)
        connected.append(Tenant(account, own, engine, platform_id=config.account.id))
    return AccountRegistry(platform, connected)


def create_sandbox_app(
    config: SandboxConfig,
    *,
    store: SandboxStore | None = None,
    routes: Sequence[Route] | None = None,
    stores: Mapping[str, SandboxStore] | None = None,
) -> Starlette:
    """Build the sandbox's ASGI app; its state lives in ``store`` (or ``config.db_path``).

    ``store`` holds the default account's data; ``stores`` may give other accounts theirs
    (by account id; otherwise each opens its own, see :func:`account_db_path`).

    >>> from stageline_sandbox import SANDBOX_API_KEY
    >>> app = create_sandbox_app(SandboxConfig(db_path=None, rate_limit=None))
    >>> app.state.accounts.default.profile.id
    'acct_1SandboxDefault0'

    Serve it with uvicorn (``run_sandbox_in_thread``) and point the SDK at it:
    ``stripe.StripeClient(SANDBOX_API_KEY, base_addresses={"api": url})``.
    """
    store = store if store is not None else SandboxStore(config.db_path)
    accounts = _accounts(config, store, stores or {})
    api = SandboxApi(config, accounts, routes if routes is not None else default_routes())
    methods = ["GET", "POST", "DELETE", "PUT", "PATCH"]
    app = Starlette(routes=[StarletteRoute("/{path:path}", api.respond, methods=methods)])
    app.state.store = store
    app.state.api = api
    app.state.engine = accounts.default.services
    app.state.accounts = accounts
    app.state.config = config
    return app
