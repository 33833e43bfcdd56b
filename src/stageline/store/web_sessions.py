"""Browser sessions and one-time sign-in links, kept server-side.

A token reads ``<workspace id>.<row id>.<secret>``: the row is found by its key (the
workspace first, as every tenant row) and the secret checked against the stored hash, so a
token can be neither guessed nor reused once its row is gone or used.

>>> workspace_id, row_id, secret = split_token("ws_1.ses_2.abc")
>>> (workspace_id, row_id, secret)
('ws_1', 'ses_2', 'abc')
>>> split_token("nonsense") is None
True
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from stageline.security import hash_token, new_id, verify_token
from stageline.store.models import SignInLink, WebSession, Workspace


def split_token(token: str) -> tuple[str, str, str] | None:
    """``(workspace id, row id, secret)``, or ``None`` when ``token`` is not one of ours."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts) or len(token) > 400:
        return None
    return parts[0], parts[1], parts[2]


def _issue(
    session: Session,
    model: type[SignInLink] | type[WebSession],
    *,
    workspace_id: str,
    prefix: str,
    now: datetime,
    lifetime: timedelta,
) -> str:
    """A new row of ``model`` (expired ones of the workspace dropped first); the token it
    returns is shown once, only the hash of its secret is kept."""
    session.execute(
        delete(model).where(model.workspace_id == workspace_id, model.expires_at <= now)
    )
    row_id = new_id(prefix)
    secret = secrets.token_urlsafe(32)
    session.add(
        model(
            workspace_id=workspace_id,
            id=row_id,
            token_hash=hash_token(secret),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return f"{workspace_id}.{row_id}.{secret}"


def create_sign_in_link(
    session: Session, *, workspace_id: str, now: datetime, lifetime: timedelta
) -> str:
    """A token that signs one browser in to ``workspace_id``, once, within ``lifetime``."""
    return _issue(
        session, SignInLink, workspace_id=workspace_id, prefix="sil", now=now, lifetime=lifetime
    )


Row = TypeVar("Row", SignInLink, WebSession)


def _verified(session: Session, model: type[Row], token: str) -> Row | None:
    """The row ``token`` names, if its secret matches the stored hash."""
    parts = split_token(token)
    if parts is None:
        return None
    workspace_id, row_id, secret = parts
    found = session.get(model, (workspace_id, row_id))
    return found if found is not None and verify_token(secret, found.token_hash) else None


def redeem_sign_in_link(session: Session, *, token: str, now: datetime) -> str | None:
    """Use the link: its workspace id the first time, ``None`` ever after (or if unknown)."""
    link = _verified(session, SignInLink, token)
    if link is None:
        return None
    used = session.execute(
        update(SignInLink)
        .where(
            SignInLink.workspace_id == link.workspace_id,
            SignInLink.id == link.id,
            SignInLink.used_at.is_(None),
            SignInLink.expires_at > now,
        )
        .values(used_at=now)
    )
    return link.workspace_id if used.rowcount == 1 else None  # type: ignore[attr-defined]


def create_web_session(
    session: Session, *, workspace_id: str, now: datetime, lifetime: timedelta
) -> str:
    """A new browser session; the returned token goes in the cookie, only its hash is kept."""
    return _issue(
        session, WebSession, workspace_id=workspace_id, prefix="ses", now=now, lifetime=lifetime
    )


def session_workspace(session: Session, *, token: str, now: datetime) -> Workspace | None:
    """The workspace a live session token belongs to, or ``None``."""
    found = _verified(session, WebSession, token)
    if found is None or found.expires_at <= now:
        return None
    return session.get(Workspace, found.workspace_id)


def end_web_session(session: Session, *, token: str) -> bool:
    """Delete the session ``token`` names (sign-out); ``True`` if there was one."""
    found = _verified(session, WebSession, token)
    if found is None:
        return False
    session.delete(found)
    return True
