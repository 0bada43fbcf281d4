"""Access and refresh tokens: issue, rotate, look up, revoke, introspect.

Only HMAC digests of tokens are stored (``auth.secrets.token_digest``). A token row holds an
access token and, except for the client_credentials grant, a refresh token. Refreshing revokes
the row and issues a new one in the same rotation family; presenting a refresh token whose row is
already revoked revokes the whole family (reuse detection).
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import bindparam, select, update

from auth.secrets import token_digest
from models import OAuth2Token, User
from storage import clock, representations
from storage.db import reading, settings, transaction
from storage.errors import Conflict


def issue(
    *,
    access_token: str,
    refresh_token: str | None,
    client_id: str,
    user_id: int,
    scopes: list[str],
    rotates: int | None = None,
    family_id: str | None = None,
) -> None:
    """Store a newly issued token pair.

    ``rotates`` names the row of the refresh token being exchanged: it is revoked in the same
    transaction, and only if nobody else revoked it first, so of concurrent refreshes with one
    refresh token exactly one wins (``Conflict`` for the others).
    """
    now = clock.now()
    config = settings()
    with transaction() as session:
        if rotates is not None:
            revoked = session.execute(
                update(OAuth2Token)
                .where(OAuth2Token.id == rotates, OAuth2Token.revoked.is_(False))
                .values(revoked=True)
            )
            if revoked.rowcount != 1:
                raise Conflict("the refresh token has already been used")
        session.add(
            OAuth2Token(
                access_token_hash=token_digest(access_token),
                refresh_token_hash=token_digest(refresh_token) if refresh_token else None,
                client_id=client_id,
                user_id=user_id,
                scope=" ".join(scopes),
                issued_at=now,
                access_expires_at=now + dt.timedelta(seconds=config.access_token_ttl),
                refresh_expires_at=(
                    now + dt.timedelta(seconds=config.refresh_token_ttl) if refresh_token else None
                ),
                family_id=family_id or secrets.token_hex(16),
            )
        )


def find_refresh_token(refresh_token: str) -> dict | None:
    """The refresh token's row, whatever its state, or None if it was never issued."""
    with transaction() as session:
        row = session.execute(
            select(OAuth2Token, User.is_active)
            .join(User, User.id == OAuth2Token.user_id)
            .where(OAuth2Token.refresh_token_hash == token_digest(refresh_token))
        ).first()
        if row is None:
            return None
        token, user_active = row
        return {
            "id": token.id,
            "client_id": token.client_id,
            "user_id": token.user_id,
            "scopes": token.scope.split(),
            "family_id": token.family_id,
            "revoked": token.revoked,
            "expired": token.refresh_expires_at is None or token.refresh_expires_at <= clock.now(),
            "user_active": user_active,
        }


def revoke_family(family_id: str) -> None:
    with transaction() as session:
        # Lock the rows in id order first: concurrent revocations of one family (a replayed
        # refresh token, sent many times at once) then queue instead of deadlocking.
        ids = session.scalars(
            select(OAuth2Token.id)
            .where(OAuth2Token.family_id == family_id)
            .order_by(OAuth2Token.id)
            .with_for_update()
        ).all()
        if ids:
            session.execute(
                update(OAuth2Token)
                .where(OAuth2Token.id.in_(ids))
                .values(revoked=True)
                .execution_options(synchronize_session=False)
            )


# Built once: the hot path of every authenticated request. Core columns (not ORM entities) keep
# the per-call cost to binding two values and reading one row.
_LIVE_ACCESS_TOKEN = (
    select(OAuth2Token.scope, OAuth2Token.client_id, *User.__table__.columns)
    .join(User, User.id == OAuth2Token.user_id)
    .where(
        OAuth2Token.access_token_hash == bindparam("digest"),
        OAuth2Token.revoked.is_(False),
        OAuth2Token.access_expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
)


_dump_users = representations.rows_dumper(representations.user)


def access_token_info(access_token: str) -> dict | None:
    """Who a live access token acts for, in one query; None if unknown, expired or revoked,
    or if its user is inactive."""
    with reading() as connection:
        row = connection.execute(
            _LIVE_ACCESS_TOKEN, {"digest": token_digest(access_token), "now": clock.now()}
        ).first()
    if row is None:
        return None
    user = row._mapping
    return {
        "sub": str(user["id"]),
        "scope": user["scope"],
        "client_id": user["client_id"],
        "user": _dump_users([user])[0],
        "is_internal": user["is_internal"],
        "version": user["version"],
    }


def _find(session, token: str, hint: str | None) -> tuple[OAuth2Token, str] | None:
    digest = token_digest(token)
    order = (
        ["refresh_token", "access_token"]
        if hint == "refresh_token"
        else ["access_token", "refresh_token"]
    )
    for kind in order:
        column = (
            OAuth2Token.access_token_hash
            if kind == "access_token"
            else OAuth2Token.refresh_token_hash
        )
        found = session.scalar(select(OAuth2Token).where(column == digest))
        if found is not None:
            return found, kind
    return None


def revoke(token: str, hint: str | None, client_id: str) -> None:
    """RFC 7009: revoke the pair a token belongs to, if it was issued to ``client_id``."""
    with transaction() as session:
        found = _find(session, token, hint)
        if found is not None and found[0].client_id == client_id:
            found[0].revoked = True


def introspect(token: str, hint: str | None) -> dict | None:
    """RFC 7662 claims of an active token, or None."""
    now = clock.now()
    with transaction() as session:
        found = _find(session, token, hint)
        if found is None:
            return None
        row, kind = found
        expires = row.access_expires_at if kind == "access_token" else row.refresh_expires_at
        user = session.get(User, row.user_id)
        if row.revoked or expires is None or expires <= now or not user.is_active:
            return None
        return {
            "scope": row.scope,
            "client_id": row.client_id,
            "username": user.username,
            "sub": str(user.id),
            "token_type": "Bearer" if kind == "access_token" else "refresh_token",
            "exp": int(expires.timestamp()),
            "iat": int(row.issued_at.timestamp()),
        }
