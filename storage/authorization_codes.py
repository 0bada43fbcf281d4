"""Authorization codes: stored as digests, redeemed once.

Redeeming is one conditional UPDATE (``used_at`` is still empty, the code has not expired, it
belongs to this client), so of concurrent redemptions of one code exactly one wins. A code that
comes back after it was redeemed is a replay: every token issued from it is revoked (RFC 6749
§4.1.2), through the token family the code recorded.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update

from auth.secrets import token_digest
from models import OAuth2AuthorizationCode, User
from storage import clock, tokens
from storage.db import settings, transaction


def save(
    *,
    code: str,
    client_id: str,
    user_id: int,
    redirect_uri: str,
    redirect_uri_given: bool,
    scopes: list[str],
    code_challenge: str,
    code_challenge_method: str,
) -> None:
    now = clock.now()
    with transaction() as session:
        session.add(
            OAuth2AuthorizationCode(
                code_hash=token_digest(code),
                client_id=client_id,
                user_id=user_id,
                redirect_uri=redirect_uri,
                redirect_uri_given=redirect_uri_given,
                scope=" ".join(scopes),
                code_challenge=code_challenge,
                code_challenge_method=code_challenge_method,
                created=now,
                expires_at=now + dt.timedelta(seconds=settings().authorization_code_ttl),
                family_id=secrets.token_hex(16),
            )
        )


def redeem(code: str, client_id: str) -> dict | None:
    """The code's grant, if this call is the one redemption of a live code of ``client_id``
    whose user is still active; None otherwise. A replayed code revokes its tokens."""
    digest = token_digest(code)
    now = clock.now()
    with transaction() as session:
        won = session.execute(
            update(OAuth2AuthorizationCode)
            .where(
                OAuth2AuthorizationCode.code_hash == digest,
                OAuth2AuthorizationCode.client_id == client_id,
                OAuth2AuthorizationCode.used_at.is_(None),
                OAuth2AuthorizationCode.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        row = session.execute(
            select(OAuth2AuthorizationCode, User.is_active)
            .join(User, User.id == OAuth2AuthorizationCode.user_id)
            .where(OAuth2AuthorizationCode.code_hash == digest)
        ).first()
    if row is None:
        return None
    grant, user_active = row
    if won.rowcount != 1:
        if grant.used_at is not None:
            # A replay, or a redemption that lost the race to another: the code was used more
            # than once, so whatever was issued from it may be in the wrong hands.
            tokens.revoke_family(grant.family_id)
        return None
    if not user_active:
        return None
    return {
        "client_id": grant.client_id,
        "user_id": grant.user_id,
        "redirect_uri": grant.redirect_uri,
        "redirect_uri_given": grant.redirect_uri_given,
        "scopes": grant.scope.split(),
        "code_challenge": grant.code_challenge,
        "code_challenge_method": grant.code_challenge_method,
        "family_id": grant.family_id,
    }
