"""What users allowed which clients (the consent page's ``allow``), and taking it back."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from models import OAuth2AuthorizationCode, OAuth2Client, OAuth2Consent, OAuth2Token, User
from storage import clock, representations
from storage.db import transaction
from storage.errors import NotFound


def remember(user_id: int, client_id: str, scopes: list[str]) -> None:
    """Add ``scopes`` to what the user allowed the client."""
    try:
        _remember(user_id, client_id, scopes)
    except IntegrityError:  # a concurrent first consent inserted the row: add to that one
        _remember(user_id, client_id, scopes)


def _remember(user_id: int, client_id: str, scopes: list[str]) -> None:
    now = clock.now()
    with transaction() as session:
        consent = session.get(OAuth2Consent, (user_id, client_id))
        if consent is None:
            scope = " ".join(scopes)
            session.add(
                OAuth2Consent(
                    user_id=user_id, client_id=client_id, scope=scope, created=now, updated=now
                )
            )
            return
        allowed = consent.scope.split()
        consent.scope = " ".join(allowed + [scope for scope in scopes if scope not in allowed])
        consent.updated = now


def covers(user_id: int, client_id: str, scopes: list[str]) -> bool:
    """Has the user allowed the client every one of ``scopes``?"""
    with transaction() as session:
        allowed = session.scalar(
            select(OAuth2Consent.scope).where(
                OAuth2Consent.user_id == user_id, OAuth2Consent.client_id == client_id
            )
        )
    return allowed is not None and set(scopes) <= set(allowed.split())


def list_consents(user_id: int) -> list[dict]:
    """The user's consents, newest first, with each client's owner."""
    with transaction() as session:
        rows = session.execute(
            select(OAuth2Consent, User.username)
            .join(OAuth2Client, OAuth2Client.client_id == OAuth2Consent.client_id)
            .join(User, User.id == OAuth2Client.user_id)
            .where(OAuth2Consent.user_id == user_id)
            .order_by(OAuth2Consent.updated.desc(), OAuth2Consent.client_id)
        ).all()
        return [
            representations.authorization.dump(
                {
                    "client_id": consent.client_id,
                    "owner": owner,
                    "scopes": consent.scope.split(),
                    "created": consent.created,
                    "updated": consent.updated,
                }
            )
            for consent, owner in rows
        ]


def forget(user_id: int, client_id: str) -> None:
    """Forget the user's consent to the client and revoke everything the client holds for the
    user: its tokens, and its codes not yet redeemed. NotFound if there is no such client."""
    with transaction() as session:
        if session.get(OAuth2Client, client_id) is None:
            raise NotFound(f"client {client_id!r} does not exist")
        session.execute(
            delete(OAuth2Consent).where(
                OAuth2Consent.user_id == user_id, OAuth2Consent.client_id == client_id
            )
        )
        session.execute(
            update(OAuth2Token)
            .where(OAuth2Token.user_id == user_id, OAuth2Token.client_id == client_id)
            .values(revoked=True)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(OAuth2AuthorizationCode)
            .where(
                OAuth2AuthorizationCode.user_id == user_id,
                OAuth2AuthorizationCode.client_id == client_id,
                OAuth2AuthorizationCode.used_at.is_(None),
            )
            .values(used_at=clock.now())
            .execution_options(synchronize_session=False)
        )
