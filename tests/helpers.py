"""Signing in and calling the API in tests, and what the answers must look like."""

from __future__ import annotations

import base64
import functools
import json
import operator
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


# Objects the contract knows how to create ------------------------------------------------------


def resolved(node: dict) -> dict:
    """``node``, or what its ``$ref`` names: the bundle's references are all internal."""
    while "$ref" in node:
        pointer = node["$ref"].removeprefix("#/").split("/")
        node = functools.reduce(operator.getitem, pointer, openapi.bundle())
    return node


def path_parameters() -> dict[str, dict]:
    """The path parameters of the guarded operations, by name."""
    return {
        parameter["name"]: parameter
        for _method, _path, operation in openapi.operations().values()
        if "x-permission" in operation
        for parameter in map(resolved, operation.get("parameters", []))
        if parameter["in"] == "path"
    }


def creator_of(parameter: str) -> str:
    """The operation that creates what ``parameter`` names: the POST whose 201 answer links
    ``parameter`` to the new object's id."""
    for operation_id, (method, _path, operation) in openapi.operations().items():
        created = resolved(operation["responses"].get("201", {}))
        for link in map(resolved, created.get("links", {}).values()):
            if method == "POST" and link["parameters"].get(parameter) == "$response.body#/id":
                return operation_id
    raise KeyError(f"no POST links {parameter!r} to the id of what it creates")


def example_body(operation: dict) -> dict:
    """A JSON body of the required properties of ``operation``'s request, each its example."""
    schema = resolved(operation["requestBody"]["content"]["application/json"]["schema"])
    properties = schema["properties"]
    return {name: resolved(properties[name])["example"] for name in schema.get("required", [])}


def created_through_the_contract(client, parameter: str, path: dict, headers: dict):
    """The id of a new object of the kind the path parameter ``parameter`` names, created with
    its create operation's example body; ``path`` fills that operation's own path."""
    _method, create_path, operation = openapi.operations()[creator_of(parameter)]
    created = client.post(create_path.format(**path), json=example_body(operation), headers=headers)
    assert created.status_code == 201, created.text
    return created.json()["id"]


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
