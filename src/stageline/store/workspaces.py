"""Workspaces (tenants) and their credentials: API keys and connection secrets, stored hashed.

Example::

    with store.session() as session:
        created = create_workspace(session, name="Acme")
        created.api_key  # shown once, only its hash is kept
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from stageline.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from stageline.names import check_name
from stageline.security import hash_token, new_id, new_token
from stageline.store.models import Workspace


@dataclass(frozen=True)
class CreatedWorkspace:
    workspace: Workspace
    api_key: str
    connection_secret: str


def create_workspace(session: Session, *, name: str) -> CreatedWorkspace:
    name = name.strip()
    if not name:
        raise InvalidInput("a workspace needs a name", hint="stageline workspace create NAME")
    check_name(name, "the workspace name", param="name")
    if session.scalar(select(Workspace).where(Workspace.name == name)) is not None:
        raise Conflict(f"workspace {name!r} already exists", hint="pick another name")
    api_key = new_token("sl_key")
    secret = new_token("sl_conn")
    workspace = Workspace(
        id=new_id("ws"),
        name=name,
        api_key_hash=hash_token(api_key),
        connection_secret_hash=hash_token(secret),
        settings={},
    )
    session.add(workspace)
    session.flush()
    return CreatedWorkspace(workspace=workspace, api_key=api_key, connection_secret=secret)


def list_workspaces(session: Session) -> list[Workspace]:
    return list(session.scalars(select(Workspace).order_by(Workspace.created_at)))


def find_workspace(session: Session, *, ref: str | None) -> Workspace:
    """By id or name; with ``ref=None``, the only workspace (an error if there are several)."""
    if ref is None:
        workspaces = list_workspaces(session)
        if len(workspaces) == 1:
            return workspaces[0]
        if not workspaces:
            raise NotFound("there is no workspace yet", hint="stageline workspace create NAME")
        names = ", ".join(w.name for w in workspaces)
        raise InvalidInput(f"several workspaces exist ({names})", hint="pass --workspace NAME")
    found = session.scalar(select(Workspace).where((Workspace.id == ref) | (Workspace.name == ref)))
    if found is None:
        raise NotFound(f"unknown workspace {ref!r}", hint="stageline workspace list shows them")
    return found


def authenticate_api_key(session: Session, *, api_key: str) -> Workspace:
    """The workspace an API key belongs to; ``AuthenticationFailed`` for anything else."""
    if not api_key:
        raise AuthenticationFailed("missing API key", hint="send Authorization: Bearer <key>")
    found = session.scalar(select(Workspace).where(Workspace.api_key_hash == hash_token(api_key)))
    if found is None:
        raise AuthenticationFailed("invalid API key")
    return found


def workspace_for_connection_secret(session: Session, *, secret: str) -> Workspace | None:
    return session.scalar(
        select(Workspace).where(Workspace.connection_secret_hash == hash_token(secret))
    )


def rotate_connection_secret(session: Session, *, workspace: Workspace) -> str:
    """Issue a new connection secret; the old one stops working at once."""
    secret = new_token("sl_conn")
    workspace.connection_secret_hash = hash_token(secret)
    session.flush()
    return secret
