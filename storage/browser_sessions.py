"""Browser sessions of the sign-in pages. The cookie holds a random id; the table its digest."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from auth.secrets import new_token, token_digest
from models import BrowserSession, User
from storage import clock, representations
from storage.db import transaction

# Long enough to come back to the consent page of another application the same day.
SESSION_TTL = dt.timedelta(hours=8)


def start(user_id: int, replacing: str | None = None) -> str:
    """A new session of the user (ending ``replacing``, the session it rotates); its id."""
    session_id = new_token()
    now = clock.now()
    with transaction() as session:
        if replacing:
            session.execute(
                delete(BrowserSession).where(BrowserSession.id_hash == token_digest(replacing))
            )
        session.add(
            BrowserSession(
                id_hash=token_digest(session_id),
                user_id=user_id,
                created=now,
                expires_at=now + SESSION_TTL,
            )
        )
    return session_id


def user_of(session_id: str) -> dict | None:
    """The active user of a live session, or None."""
    with transaction() as session:
        user = session.scalar(
            select(User)
            .join(BrowserSession, BrowserSession.user_id == User.id)
            .where(
                BrowserSession.id_hash == token_digest(session_id),
                BrowserSession.expires_at > clock.now(),
                User.is_active.is_(True),
            )
        )
        return representations.user.dump(user) if user is not None else None


def end(session_id: str) -> None:
    with transaction() as session:
        session.execute(
            delete(BrowserSession).where(BrowserSession.id_hash == token_digest(session_id))
        )
