"""Workspaces, credentials and connections on every store backend."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from stageline.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from stageline.security import SecretBox
from stageline.store.connections import create_connection, get_connection, only_connection
from stageline.store.db import Store
from stageline.store.models import StripeConnection, Workspace
from stageline.store.workspaces import (
    authenticate_api_key,
    create_workspace,
    find_workspace,
    rotate_connection_secret,
    workspace_for_connection_secret,
)


def test_api_key_is_stored_hashed_and_authenticates(store: Store) -> None:
    with store.session() as session:
        created = create_workspace(session, name="Acme")
    with store.session() as session:
        row = session.scalars(select(Workspace)).one()
        assert created.api_key not in (row.api_key_hash, row.connection_secret_hash)
        assert authenticate_api_key(session, api_key=created.api_key).id == row.id
        with pytest.raises(AuthenticationFailed):
            authenticate_api_key(session, api_key=created.api_key + "x")


def test_workspace_names_are_unique_and_lookup_needs_a_choice_when_several(store: Store) -> None:
    with store.session() as session:
        create_workspace(session, name="Acme")
        assert find_workspace(session, ref=None).name == "Acme"
        with pytest.raises(Conflict):
            create_workspace(session, name="Acme")
    with store.session() as session:
        create_workspace(session, name="Globex")
        with pytest.raises(InvalidInput, match="several workspaces"):
            find_workspace(session, ref=None)
        with pytest.raises(NotFound):
            find_workspace(session, ref="Initech")


def test_connection_secret_rotation_invalidates_the_old_secret(store: Store) -> None:
    with store.session() as session:
        created = create_workspace(session, name="Acme")
        new_secret = rotate_connection_secret(session, workspace=created.workspace)
        assert workspace_for_connection_secret(session, secret=created.connection_secret) is None
        found = workspace_for_connection_secret(session, secret=new_secret)
        assert found is not None and found.id == created.workspace.id


def test_stripe_key_is_encrypted_at_rest_and_scoped_to_its_workspace(store: Store) -> None:
    box = SecretBox("k" * 48)
    with store.session() as session:
        acme = create_workspace(session, name="Acme").workspace
        globex = create_workspace(session, name="Globex").workspace
        connection = create_connection(
            session, workspace=acme, box=box, api_key="rk_test_supersecret", api_base="http://x/"
        )
    with store.session() as session:
        row = session.scalars(select(StripeConnection)).one()
        assert row.api_key_ciphertext is not None
        assert "supersecret" not in row.api_key_ciphertext
        assert box.decrypt(row.api_key_ciphertext) == "rk_test_supersecret"
        assert row.mode == "test" and row.api_base == "http://x"
        with pytest.raises(NotFound):
            get_connection(session, workspace_id=globex.id, connection_id=connection.id)


def test_a_non_stripe_key_is_refused(store: Store) -> None:
    with store.session() as session:
        acme = create_workspace(session, name="Acme").workspace
        with pytest.raises(InvalidInput, match="Stripe API key"):
            create_connection(
                session,
                workspace=acme,
                box=SecretBox("k" * 48),
                api_key="pk_test_publishable",
                api_base="http://x",
            )


def test_only_connection_refuses_to_guess_between_several(store: Store) -> None:
    box = SecretBox("k" * 48)
    with store.session() as session:
        workspace = create_workspace(session, name="Acme").workspace
        with pytest.raises(NotFound):
            only_connection(session, workspace_id=workspace.id)
        ids = [
            create_connection(
                session, workspace=workspace, box=box, api_key="sk_test_1", api_base=base
            ).id
            for base in ("http://one.test", "http://two.test")
        ]
        with pytest.raises(InvalidInput) as refused:
            only_connection(session, workspace_id=workspace.id)
    assert all(i in (refused.value.hint or "") for i in ids)
