"""OAuth 2 clients: registration by their owners, look-up for client authentication."""

from __future__ import annotations

import secrets as random

from sqlalchemy import delete, func, select

from auth.secrets import new_client_secret, secret_digest
from models import OAuth2Client, User
from storage import representations
from storage.db import transaction
from storage.errors import Conflict, NotFound, Unprocessable

GRANT_TYPES = ("authorization_code", "password", "client_credentials", "refresh_token")
# What a client registered without grant_types may use: not the code grant, which needs a
# redirect URI.
DEFAULT_GRANT_TYPES = ("password", "client_credentials", "refresh_token")


def create_client(
    *,
    owner_id: int,
    client_type: str = "confidential",
    default_scopes: list[str],
    redirect_uris: list[str] | None = None,
    grant_types: list[str] | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> dict:
    """Register a client with scopes domain.clients has checked. The result carries
    ``client_secret`` once; only its digest is kept."""
    scopes = list(default_scopes)
    grants = list(grant_types or DEFAULT_GRANT_TYPES)
    bad_grants = [grant for grant in grants if grant not in GRANT_TYPES]
    if bad_grants:
        raise Unprocessable(f"unsupported grant type(s): {', '.join(bad_grants)}")
    secret = client_secret if client_secret is not None else new_client_secret()
    with transaction() as session:
        if session.get(User, owner_id) is None:
            raise NotFound(f"user {owner_id} does not exist")
        client_id = client_id or random.token_urlsafe(24)
        if session.get(OAuth2Client, client_id) is not None:
            raise Conflict(f"client {client_id!r} already exists")
        client = OAuth2Client(
            client_id=client_id,
            client_secret_hash=secret_digest(secret),
            user_id=owner_id,
            client_type=client_type,
            default_scopes=scopes,
            redirect_uris=list(redirect_uris or []),
            grant_types=grants,
        )
        session.add(client)
        session.flush()
        client.client_secret = secret
        return representations.oauth2_client_created.dump(client)


def find_client(client_id: str) -> dict | None:
    """A client with what authenticating it needs: its secret's digest and whether its owner is
    active. None if there is no such client."""
    with transaction() as session:
        row = session.execute(
            select(OAuth2Client, User.is_active, User.username)
            .join(User, User.id == OAuth2Client.user_id)
            .where(OAuth2Client.client_id == client_id)
        ).first()
        if row is None:
            return None
        client, owner_active, owner = row
        return {
            **representations.oauth2_client.dump(client),
            "client_secret_hash": client.client_secret_hash,
            "owner_active": owner_active,
            "owner": owner,
        }


def list_clients(owner_id: int, offset: int, limit: int) -> tuple[list[dict], int]:
    """A page of the owner's clients, oldest first, and how many the owner has in all."""
    with transaction() as session:
        owned = OAuth2Client.user_id == owner_id
        total = session.scalar(select(func.count()).select_from(OAuth2Client).where(owned))
        page = session.scalars(
            select(OAuth2Client)
            .where(owned)
            .order_by(OAuth2Client.created, OAuth2Client.client_id)
            .offset(offset)
            .limit(limit)
        )
        return [representations.oauth2_client.dump(client) for client in page], total


def client_owner(client_id: str) -> int:
    with transaction() as session:
        owner = session.scalar(
            select(OAuth2Client.user_id).where(OAuth2Client.client_id == client_id)
        )
    if owner is None:
        raise NotFound(f"client {client_id!r} does not exist")
    return owner


def delete_client(client_id: str) -> None:
    """Delete a client; its tokens go with it (ON DELETE CASCADE)."""
    with transaction() as session:
        deleted = session.execute(delete(OAuth2Client).where(OAuth2Client.client_id == client_id))
        if deleted.rowcount == 0:
            raise NotFound(f"client {client_id!r} does not exist")
