"""Signing in and calling the API in tests, and what the answers must look like."""

from __future__ import annotations

import base64
import json
import time

import openapi
from auth.secrets import new_token
from storage import tokens

ALL_SCOPES = openapi.registered_scopes()
# Every scope as a token response's ``scope`` lists them: what a token gets when none is asked for.
ALL_SCOPES_GRANTED = " ".join(ALL_SCOPES)
TOKEN = "/auth/oauth2/token"
PROBLEM = "application/problem+json"


# Bearer tokens without the token endpoint ---------------------------------------------------------


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


def patch(client, url, operations, headers=None, content_type="application/json-patch+json"):
    return client.patch(
        url,
        content=json.dumps(operations),
        headers={**(headers or {}), "Content-Type": content_type},
    )


# The token endpoint, as the demo data's documentation client and root account use it ------------


def basic(client_id: str, secret: str = "") -> dict:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def password_grant(client, **params):
    """The password grant of root / q through the documentation client; a ``None`` drops a
    parameter."""
    form = {
        "grant_type": "password",
        "client_id": "documentation",
        "username": "root",
        "password": "q",
    }
    form.update(params)
    return client.post(TOKEN, data={k: v for k, v in form.items() if v is not None})


def me(client, access_token):
    return client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access_token}"})


# What the answers must look like ------------------------------------------------------------------


def assert_token(response, scope=ALL_SCOPES_GRANTED, refresh=True):
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == scope
    assert len(body["access_token"]) >= 43  # 32 random bytes
    assert ("refresh_token" in body) is refresh
    return body


def assert_oauth_error(response, status, error):
    """An RFC 6749 error: what every failure under /auth/oauth2 answers."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == error
    assert response.json()["error_description"]  # every RFC 6749 error says what went wrong
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")
    return response.json()


def assert_problem(response, status):
    """An RFC 9457 problem document: what every failure outside /auth/oauth2 answers."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"] == "about:blank"
    assert problem["title"]
    assert problem["detail"]
    return problem


def away_from_a_minute_boundary(margin: float = 15) -> None:
    """Wait for the next minute when fewer than ``margin`` seconds are left of this one.

    The sliding-window rate limiter weighs the previous window's count by how much of it is
    left: requests that straddle a window edge may be allowed one more than the quota. Tests
    that count up to a limit start where their requests all fall in one window.
    """
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.1)
