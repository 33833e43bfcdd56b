"""Fixtures the web tests share with the facts and sync tests: a workspace with a connection
(``world``), and one linked for webhooks (``linked``)."""

from tests.facts.conftest import world
from tests.sync.conftest import linked

__all__ = ["linked", "world"]
