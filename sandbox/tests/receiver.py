"""A local webhook receiver on a loopback port that records what it is sent."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .conftest import HANG_LIMIT


@dataclass
class Received:
    body: bytes
    signature: str


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    fail_first: int = 0
    """Answer 500 to this many requests before answering 200."""
    calls: int = 0

    def wait_for(self, count: int, timeout: float = HANG_LIMIT) -> list[Received]:
        """What was received once ``count`` deliveries arrived (or ``timeout`` passed)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[Receiver]:
    receiver = Receiver(url="", fail_first=fail_first)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                receiver.calls += 1
                failing = receiver.calls <= receiver.fail_first
                if not failing:
                    receiver.received.append(
                        Received(body, self.headers.get("Stripe-Signature", ""))
                    )
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
