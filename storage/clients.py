"""OAuth 2 clients: registration by their owners, look-up for client authentication."""

from __future__ import annotations

import secrets as random

from sqlalchemy import select

import openapi
from models import OAuth2Client, User
from storage.db import transaction
from storage.errors import Conflict, NotFound, Unprocessable
from storage.secrets import new_client_secret, secret_digest

GRANT_TYPES = ("password", "client_credentials", "refresh_token")
DEFAULT_GRANT_TYPES = GRANT_TYPES


def client_representation(client: OAuth2Client) -> dict:
    return {
        "client_id": client.client_id,
        "client_type": client.client_type,
        "user_id": client.user_id,
        "default_scopes": list(client.default_scopes),
        "redirect_uris": list(client.redirect_uris),
        "grant_types": list(client.grant_types),
    }


def check_scopes(scopes: list[str]) -> list[str]:
    registered = openapi.registered_scopes()
    unknown = [scope for scope in scopes if scope not in registered]
    if unknown:
        raise Unprocessable(
            f"unknown scope(s): {', '.join(unknown)}",
            errors=[
                {"field": "default_scopes", "message": f"{scope!r} is not a registered scope"}
                for scope in unknown
            ],
        )
    # Keep the contract's order and drop duplicates.
    return [scope for scope in registered if scope in scopes]


def create_client(
    *,
    owner_id: int,
    client_type: str = "confidential",
    default_scopes: list[str] | None = None,
    redirect_uris: list[str] | None = None,
    grant_types: list[str] | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> dict:
    """Register a client. The result carries ``client_secret`` once; only its digest is kept."""
    scopes = check_scopes(
        list(openapi.registered_scopes() if default_scopes is None else default_scopes)
    )
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
        return {**client_representation(client), "client_secret": secret}


def find_client(client_id: str) -> dict | None:
    with transaction() as session:
        client = session.scalar(select(OAuth2Client).where(OAuth2Client.client_id == client_id))
        return (
            None
            if client is None
            else {
                **client_representation(client),
                "client_secret_hash": client.client_secret_hash,
            }
        )
