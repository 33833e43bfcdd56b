"""Search API, Events API filters and window, rate limits and injected faults."""

from __future__ import annotations

import pytest
import stripe

from stageline_sandbox import FaultConfig, SandboxConfig, SandboxHandle

from .conftest import make_client


class FakeClock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def test_search_customers_and_subscriptions(client: stripe.StripeClient) -> None:
    some = client.v1.customers.list({"limit": 100}).data
    target = next(c for c in some if "account_id" in c.metadata)
    by_meta = client.v1.customers.search(
        {"query": f"metadata['account_id']:'{target.metadata['account_id']}'"}
    )
    assert target.id in [c.id for c in by_meta.data]
    assert by_meta.object == "search_result"
    by_email = client.v1.customers.search({"query": f"email:'{target.email}'"}).data
    assert [c.id for c in by_email] == [target.id]
    both = client.v1.customers.search(
        {"query": f"email:'{target.email}' AND -name:'nobody at all'"}
    ).data
    assert [c.id for c in both] == [target.id]
    active = client.v1.subscriptions.search({"query": "status:'active'", "limit": 100})
    found = list(active.auto_paging_iter())
    listed = list(
        client.v1.subscriptions.list({"status": "active", "limit": 100}).auto_paging_iter()
    )
    assert {s.id for s in found} == {s.id for s in listed} and len(found) > 100
    for bad in ("", "colour:'red'", "status:'active' AND email:'x' OR name:'y'", "email:"):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.customers.search({"query": bad})
        assert caught.value.param == "query"


def test_events_filters_and_thirty_day_window(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(1_767_225_600)
    handle: SandboxHandle = sandbox_factory(SandboxConfig(rate_limit=None, clock=clock))
    client = make_client(handle.url)
    old = client.v1.customers.create({"email": "old@x.y"})
    clock.now += 20 * 86_400
    product = client.v1.products.create({"name": "P"})
    client.v1.customers.update(old.id, {"name": "Renamed"})
    types = [e.type for e in client.v1.events.list().data]
    assert types == ["customer.updated", "product.created", "customer.created"]
    only = client.v1.events.list({"types": ["product.created", "customer.updated"]}).data
    assert [e.type for e in only] == ["customer.updated", "product.created"]
    wildcard = client.v1.events.list({"type": "customer.*"}).data
    assert {e.type for e in wildcard} == {"customer.created", "customer.updated"}
    recent = client.v1.events.list({"created": {"gte": clock.now}}).data
    assert {e.type for e in recent} == {"product.created", "customer.updated"}
    assert recent[-1].data.object.id == product.id
    clock.now += 15 * 86_400
    assert [e.type for e in client.v1.events.list().data] == ["customer.updated", "product.created"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.events.list({"type": "a", "types": ["b"]})


class QuarterSecondSteps:
    """A rate clock on which each request comes a quarter second after the one before."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


def test_rate_limit_answers_429_and_the_sdk_retries(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    # 3 requests a second, a burst of 3: requests 4 a second apart drain a quarter token each,
    # so the 10th is refused however long the machine takes to send them.
    handle: SandboxHandle = sandbox_factory(
        SandboxConfig(rate_limit=3.0, rate_clock=QuarterSecondSteps())
    )
    impatient = make_client(handle.url, retries=0)
    answered = 0
    with pytest.raises(stripe.RateLimitError) as caught:
        for _ in range(10):
            impatient.v1.customers.list()
            answered += 1
    assert answered == 9
    assert caught.value.http_status == 429
    assert caught.value.headers["Stripe-Rate-Limited-Reason"] == "global-rate"
    assert caught.value.json_body["error"]["code"] == "rate_limit"
    patient = make_client(handle.url, retries=2)
    for _ in range(6):
        assert patient.v1.customers.list().object == "list"


def test_injected_server_errors_are_retried_by_the_sdk(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    flaky: SandboxHandle = sandbox_factory(
        SandboxConfig(rate_limit=None, faults=FaultConfig(error_rate=1.0))
    )
    with pytest.raises(stripe.APIError) as caught:
        make_client(flaky.url, retries=1).v1.customers.list()
    assert caught.value.http_status == 500
    assert flaky.app.state.engine is not None
    half: SandboxHandle = sandbox_factory(
        SandboxConfig(rate_limit=None, faults=FaultConfig(error_rate=0.3, random_seed=2))
    )
    client = make_client(half.url, retries=3)
    created = client.v1.customers.create({"email": "once@x.y"})
    assert [c.id for c in client.v1.customers.list().data] == [created.id]


def test_injected_errors_have_the_status_and_retry_hint_asked_for(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    def answer(faults: FaultConfig) -> tuple[stripe.StripeError, dict[str, int]]:
        sandbox: SandboxHandle = sandbox_factory(SandboxConfig(rate_limit=None, faults=faults))
        with pytest.raises(stripe.StripeError) as caught:
            make_client(sandbox.url, retries=1).v1.customers.retrieve("cus_1")
        return caught.value, dict(sandbox.app.state.api.received)

    once = {"GET /v1/customers/cus_1": 1}
    missing, received = answer(FaultConfig(error_rate=1.0, error_status=404))
    assert (missing.http_status, missing.code, received) == (404, "resource_missing", once)
    refused, received = answer(FaultConfig(error_rate=1.0, error_status=400))
    assert isinstance(refused, stripe.InvalidRequestError)
    assert (refused.http_status, refused.code, received) == (400, None, once)
    down, received = answer(FaultConfig(error_rate=1.0, error_status=503))
    assert (down.http_status, received) == (503, {"GET /v1/customers/cus_1": 2})  # retried
    told, received = answer(FaultConfig(error_rate=1.0, should_retry=False))
    assert (told.http_status, received) == (500, once)
    assert (told.headers or {}).get("Stripe-Should-Retry") == "false"
    limited, received = answer(FaultConfig(rate_limit_rate=1.0, should_retry=False))
    assert isinstance(limited, stripe.RateLimitError) and received == once
    with pytest.raises(ValueError, match="error_status"):
        FaultConfig(error_status=200)


def test_injected_errors_can_be_kept_to_some_paths(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    faults = FaultConfig(error_rate=1.0, error_status=400, path_pattern=r"^/v1/customers/[^/]+$")
    sandbox: SandboxHandle = sandbox_factory(SandboxConfig(rate_limit=None, faults=faults))
    client = make_client(sandbox.url, retries=0)
    created = client.v1.customers.create({"email": "kept@x.y"})
    assert [c.id for c in client.v1.customers.list().data] == [created.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve(created.id)


def test_injected_latency(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    import time

    slow: SandboxHandle = sandbox_factory(
        SandboxConfig(rate_limit=None, faults=FaultConfig(latency_seconds=0.2))
    )
    started = time.perf_counter()
    make_client(slow.url).v1.customers.list()
    assert time.perf_counter() - started >= 0.2
