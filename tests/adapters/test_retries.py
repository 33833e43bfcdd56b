"""The gateway's retry rules: what is asked again, how long it waits, and when it stops."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from stageline.errors import StripeObjectMissing, StripeRefused, StripeUnavailable
from stageline.stripe_api.client import StripeGateway
from stageline.stripe_api.retries import MAX_DELAY, RetryBudget, should_retry
from stageline_sandbox import (
    SANDBOX_API_KEY,
    FaultConfig,
    SandboxConfig,
    SandboxHandle,
    SandboxStore,
    run_sandbox_in_thread,
)


def _error(status: int, hint: str | None = None, kind: type = stripe.APIError) -> Exception:
    headers = {"stripe-should-retry": hint} if hint is not None else {}
    if kind in (stripe.InvalidRequestError, stripe.CardError):
        error: Exception = kind("refused", None, None, http_status=status, headers=headers)
        return error
    error = kind("refused", http_status=status, headers=headers)
    return error


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (_error(500), True),
        (_error(503), True),
        (_error(409), True),
        (_error(429, kind=stripe.RateLimitError), True),
        (_error(400, kind=stripe.RateLimitError), True),  # 400 with code rate_limit
        (_error(500, "false"), False),
        (_error(429, "false", kind=stripe.RateLimitError), False),
        (_error(400, kind=stripe.InvalidRequestError), False),
        (_error(404, kind=stripe.InvalidRequestError), False),
        (_error(402, kind=stripe.CardError), False),
        (_error(401, kind=stripe.AuthenticationError), False),
        (_error(403, kind=stripe.PermissionError), False),
        (_error(400, "true", kind=stripe.InvalidRequestError), True),
        (stripe.APIConnectionError("timed out", should_retry=True), True),
        (stripe.APIConnectionError("bad certificate", should_retry=False), False),
    ],
)
def test_what_is_asked_again(error: stripe.StripeError, retried: bool) -> None:
    assert should_retry(error) is retried


def test_the_hint_is_read_whatever_the_header_case() -> None:
    error = stripe.APIError("down", http_status=500, headers={"Stripe-Should-Retry": "false"})
    assert should_retry(error) is False


def test_waits_double_with_jitter_up_to_a_cap() -> None:
    budget = RetryBudget(attempts=10, seconds=600.0, first_delay=0.5)
    for retry in range(1, 10):
        bound = min(MAX_DELAY, 0.5 * 2 ** (retry - 1))
        assert all(bound / 2 <= budget.delay(retry) <= bound for _ in range(50))
    assert budget.delay_bound(9) == MAX_DELAY
    for bad in ({"attempts": 0}, {"seconds": -1.0}, {"first_delay": -0.1}):
        with pytest.raises(ValueError, match="retry budget"):
            RetryBudget(**{"attempts": 3, "seconds": 1.0, "first_delay": 0.1, **bad})  # type: ignore[arg-type]


@pytest.fixture
def down() -> Iterator[SandboxHandle]:
    handle = run_sandbox_in_thread(
        SandboxConfig(rate_limit=None, faults=FaultConfig(error_rate=1.0)),
        port=0,
        store=SandboxStore(),
    )
    yield handle
    handle.stop()


def test_no_wait_ends_past_the_time_budget(down: SandboxHandle) -> None:
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    # waits are drawn from [0.5, 1], [1, 2], [2, 4]: two fit in 3 s whatever the jitter, three never
    gateway = StripeGateway(
        api_key=SANDBOX_API_KEY,
        api_base=down.url,
        retry=RetryBudget(attempts=10, seconds=3.0, first_delay=1.0),
        requests_per_second=100_000,
        sleep=sleep,
        clock=lambda: clock[0],
    )
    with pytest.raises(StripeUnavailable, match=r"\(3 attempts in"):
        gateway.list_page("customers")
    assert down.app.state.api.received["GET /v1/customers"] == 3
    assert len(slept) == 2 and sum(slept) <= 3.0


def test_a_404_resource_missing_and_another_4xx_are_told_apart() -> None:
    budget = RetryBudget(attempts=3, seconds=10.0, first_delay=0.01)
    for status, expected in ((404, StripeObjectMissing), (400, StripeRefused)):
        faults = FaultConfig(error_rate=1.0, error_status=status)
        with run_sandbox_in_thread(
            SandboxConfig(rate_limit=None, faults=faults), port=0, store=SandboxStore()
        ) as sandbox:
            gateway = StripeGateway(api_key=SANDBOX_API_KEY, api_base=sandbox.url, retry=budget)
            with pytest.raises(expected) as caught:
                gateway.retrieve("customers", "cus_1")
            assert sandbox.app.state.api.received["GET /v1/customers/cus_1"] == 1
        assert type(caught.value) is expected
        assert not caught.value.retryable
