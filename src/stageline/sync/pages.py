"""Fetching list pages of many ``created`` slices side by side, handed to one writer.

Each worker thread holds one gateway (so each paces itself on its share of the rate limit)
and walks one slice at a time, page after page. Pages come back to the caller's thread
through a bounded queue, so fetching never runs far ahead of writing, and the caller is the
only one touching the database. Stopping early (an error, Ctrl-C) stops every worker after
its current request.

Example::

    for task, page in fetch_slices(gateways, tasks):
        write(task, page)
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from stageline.stripe_api.client import Page, StripeGateway
from stageline.sync.slices import Slice


@dataclass(frozen=True)
class Resource:
    """One list to fetch: the mirror's object type, the endpoint and its fixed parameters."""

    object_type: str
    endpoint: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SliceTask:
    resource: Resource
    index: int
    slice: Slice


_END = object()


def fetch_slices(
    gateways: Sequence[StripeGateway],
    tasks: Sequence[SliceTask],
) -> Iterator[tuple[SliceTask, Page]]:
    """Yield ``(task, page)`` as pages arrive; each slice's pages come in order."""
    if not tasks:
        return
    results: queue.Queue[tuple[Any, SliceTask, Any]] = queue.Queue(maxsize=2 * len(gateways))
    free: queue.Queue[StripeGateway] = queue.Queue()
    for gateway in gateways:
        free.put(gateway)
    stop = threading.Event()

    def send(item: tuple[Any, SliceTask, Any]) -> None:
        while not stop.is_set():
            try:
                results.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def walk(task: SliceTask) -> None:
        gateway = free.get()
        try:
            after = task.slice.after
            params = {**task.resource.params, **task.slice.params()}
            while not stop.is_set():
                page = gateway.list_page(task.resource.endpoint, params, starting_after=after)
                send(("page", task, page))
                if not page.has_more or page.last_id is None:
                    break
                after = page.last_id
            send(("end", task, _END))
        except BaseException as exc:
            send(("error", task, exc))
        finally:
            free.put(gateway)

    executor = ThreadPoolExecutor(max_workers=len(gateways), thread_name_prefix="backfill")
    try:
        for task in tasks:
            executor.submit(walk, task)
        ended = 0
        while ended < len(tasks):
            kind, task, payload = results.get()
            if kind == "error":
                raise payload
            if kind == "end":
                ended += 1
                continue
            yield task, payload
    finally:
        stop.set()
        executor.shutdown(wait=True, cancel_futures=True)
