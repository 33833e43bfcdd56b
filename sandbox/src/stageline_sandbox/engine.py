"""The sandbox's moving parts, wired together once per app: store, events, webhooks,
invoicing, subscription lifecycle and test clocks.

Only the app and CLI wiring import this module; everything else depends on the parts it
needs (:class:`~stageline_sandbox.recorder.Recorder`, ``Invoicing``, ``Lifecycle``).

>>> from stageline_sandbox.config import SandboxConfig
>>> engine = Engine(SandboxConfig(), SandboxStore())
>>> engine.now_for(None) > 0
True
>>> engine.close()
"""

from __future__ import annotations

from stageline_sandbox.config import SandboxConfig
from stageline_sandbox.events import EventLog
from stageline_sandbox.invoicing import Invoicing
from stageline_sandbox.lifecycle import Lifecycle
from stageline_sandbox.recorder import Recorder
from stageline_sandbox.store import SandboxStore
from stageline_sandbox.webhooks import WebhookDispatcher


class Engine(Recorder):
    """Shared by every request of one sandbox app (and by its test clocks)."""

    def __init__(
        self,
        config: SandboxConfig,
        store: SandboxStore,
        *,
        account: str | None = None,
        platform_store: SandboxStore | None = None,
    ) -> None:
        """One account's engine; a connected ``account`` names itself on its events and
        has them delivered to the Connect endpoints in ``platform_store`` too."""
        self.webhooks = WebhookDispatcher(config, store, platform_store=platform_store)
        events = EventLog(
            store,
            config.clock,
            on_event=self.webhooks.enqueue,
            account=account,
            platform_store=platform_store,
        )
        self.webhooks.events = events
        super().__init__(config, store, events)
        self.invoicing = Invoicing(self)
        self.lifecycle = Lifecycle(self, self.invoicing)

    def after_write(self) -> None:
        """A write committed: let the webhook dispatcher send what it queued."""
        self.webhooks.wake()

    def after_rollback(self) -> None:
        """A write failed and was rolled back: forget the deliveries it staged."""
        self.webhooks.discard_staged()

    def close(self) -> None:
        self.webhooks.close()
