"""Client-side pacing: a burst up to capacity, then one token per 1/rate seconds, even when
several threads share the bucket."""

from __future__ import annotations

import threading

from stageline.stripe_api.client import TokenBucket


def test_burst_then_paced_waits() -> None:
    waits: list[float] = []
    bucket = TokenBucket(2.0, clock=lambda: 0.0, sleep=waits.append)
    for _ in range(4):
        bucket.take()
    assert waits == [0.5, 1.0]


def test_tokens_refill_with_time() -> None:
    now = [0.0]
    waits: list[float] = []
    bucket = TokenBucket(1.0, clock=lambda: now[0], sleep=waits.append)
    bucket.take()
    now[0] = 1.0
    bucket.take()
    assert waits == []


def test_threads_never_take_the_same_token() -> None:
    waits: list[float] = []
    lock = threading.Lock()

    def record(seconds: float) -> None:
        with lock:
            waits.append(seconds)

    bucket = TokenBucket(10.0, clock=lambda: 0.0, sleep=record)
    threads = [threading.Thread(target=bucket.take) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(round(w, 6) for w in waits) == [round(n / 10, 6) for n in range(1, 21)]
