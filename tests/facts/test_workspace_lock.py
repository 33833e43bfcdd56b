"""Every writer of facts holds the workspace lock: without it, a recompute refuses to run."""

from __future__ import annotations

import pytest

from stageline.facts import recompute_facts
from stageline.store.locks import WorkspaceNotLocked, holds_workspace_lock, lock_workspace
from stageline.store.models import AccountFacts, Workspace
from tests.facts.conftest import NOW, World, customer_json, sub_json


def test_a_recompute_without_the_workspace_lock_refuses_before_writing(world: World) -> None:
    world.accounts(("acct-1", "One"))
    world.put("customer", customer_json("cus_1", "acct-1"))
    world.put("subscription", sub_json("sub_1", "cus_1"))
    with world.store.session() as session:
        workspace = session.get_one(Workspace, world.workspace_id)
        with pytest.raises(WorkspaceNotLocked, match="without its lock"):
            recompute_facts(session, workspace=workspace, now=NOW, cause="test")
        assert session.query(AccountFacts).count() == 0
    assert world.recompute().changed == 1  # the same, locked


def test_the_lock_lasts_until_the_transaction_ends(world: World) -> None:
    with world.store.session() as session:
        assert not holds_workspace_lock(session, workspace_id=world.workspace_id)
        assert lock_workspace(session, workspace_id=world.workspace_id)
        assert holds_workspace_lock(session, workspace_id=world.workspace_id)
        assert not holds_workspace_lock(session, workspace_id="ws_other")
        session.commit()
        assert not holds_workspace_lock(session, workspace_id=world.workspace_id)
        workspace = session.get_one(Workspace, world.workspace_id)
        with pytest.raises(WorkspaceNotLocked):
            recompute_facts(session, workspace=workspace, now=NOW, cause="test")
