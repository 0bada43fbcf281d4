"""Signing in and calling the API in tests."""

from __future__ import annotations

from auth.secrets import new_token
from storage import tokens

ALL_SCOPES = ("auth:read", "auth:write", "users:read", "users:write", "teams:read", "teams:write")


def token_for(user: dict, scopes=ALL_SCOPES, client_id: str = "documentation") -> str:
    """A live access token for ``user``, issued without bcrypt or the token endpoint."""
    access = new_token()
    tokens.issue(
        access_token=access,
        refresh_token=None,
        client_id=client_id,
        user_id=user["id"],
        scopes=list(scopes),
    )
    return access


def auth(user: dict, scopes=ALL_SCOPES) -> dict:
    return {"Authorization": f"Bearer {token_for(user, scopes)}"}


PATCH_JSON = {"Content-Type": "application/json-patch+json"}


def patch(client, url, operations, headers=None, content_type="application/json-patch+json"):
    import json

    return client.patch(
        url,
        content=json.dumps(operations),
        headers={**(headers or {}), "Content-Type": content_type},
    )
