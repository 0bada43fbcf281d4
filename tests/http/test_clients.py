"""The clients API: your OAuth 2 clients. List, register (create) and delete."""

from __future__ import annotations

import pytest

import openapi
from domain.seed import DOCUMENTATION_CLIENT_SECRET
from tests.helpers import ALL_SCOPES_GRANTED, assert_problem, assert_token, basic, password_grant

pytestmark = pytest.mark.usefixtures("demo_data")

CLIENTS = "/api/v1/auth/oauth2_clients/"


def bearer(client, username="user", password="w", scope=None):
    token = assert_token(
        password_grant(client, username=username, password=password, scope=scope),
        scope=scope or ALL_SCOPES_GRANTED,
    )
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_create_then_use_then_list_then_delete_a_client(client):
    auth = bearer(client)

    created = client.post(
        CLIENTS,
        json={"client_type": "confidential", "default_scopes": ["teams:read"]},
        headers=auth,
    )

    assert created.status_code == 201
    body = created.json()
    assert created.headers["location"] == f"{CLIENTS}{body['client_id']}"
    assert created.headers["cache-control"] == "no-store"
    assert body["default_scopes"] == ["teams:read"]
    assert body["client_type"] == "confidential"
    secret = body["client_secret"]

    issued = client.post(
        "/auth/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers=basic(body["client_id"], secret),
    )
    token = assert_token(issued, scope="teams:read", refresh=False)

    listed = client.get(CLIENTS, headers=auth)
    assert listed.status_code == 200
    assert [item["client_id"] for item in listed.json()] == [body["client_id"]]
    assert "client_secret" not in listed.text
    assert listed.headers["x-total-count"] == "1"

    deleted = client.delete(f"{CLIENTS}{body['client_id']}", headers=auth)
    assert deleted.status_code == 204
    assert deleted.content == b""
    # Its tokens went with it.
    gone = client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert gone.status_code == 401
    assert client.get(CLIENTS, headers=auth).json() == []


# List ------------------------------------------------------------------------------------------


def test_the_list_shows_only_the_callers_clients_and_pages(client):
    auth = bearer(client)
    ids = [client.post(CLIENTS, json={}, headers=auth).json()["client_id"] for _ in range(5)]

    first = client.get(f"{CLIENTS}?limit=2", headers=auth)
    assert [item["client_id"] for item in first.json()] == ids[:2]
    assert first.headers["x-total-count"] == "5"
    assert 'rel="next"' in first.headers["link"] and "offset=2" in first.headers["link"]
    assert 'rel="prev"' not in first.headers["link"]

    last = client.get(f"{CLIENTS}?limit=2&offset=4", headers=auth)
    assert [item["client_id"] for item in last.json()] == ids[4:]
    assert 'rel="next"' not in last.headers["link"]
    assert "offset=2" in last.headers["link"]  # prev

    roots = client.get(CLIENTS, headers=bearer(client, "root", "q")).json()
    assert roots == []


def test_the_documentation_secret_is_not_readable_by_its_own_owner(client):
    issued = client.post(
        "/auth/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers=basic("documentation", DOCUMENTATION_CLIENT_SECRET),
    )
    token = assert_token(issued, refresh=False)["access_token"]

    listed = client.get(CLIENTS, headers={"Authorization": f"Bearer {token}"})

    assert [item["client_id"] for item in listed.json()] == ["documentation"]
    assert DOCUMENTATION_CLIENT_SECRET not in listed.text


# Create ----------------------------------------------------------------------------------------


def test_a_new_client_defaults_to_confidential_with_every_scope(client):
    body = client.post(CLIENTS, json={}, headers=bearer(client)).json()
    assert body["client_type"] == "confidential"
    assert body["default_scopes"] == list(openapi.registered_scopes())
    assert body["default_scopes"][:6] == [
        "auth:read",
        "auth:write",
        "users:read",
        "users:write",
        "teams:read",
        "teams:write",
    ]
    assert body["grant_types"] == ["password", "client_credentials", "refresh_token"]


@pytest.mark.parametrize(
    "body",
    [
        {"default_scopes": ["root:everything"]},
        {"client_type": "secret"},
        {"grant_types": ["implicit"]},
        {"redirect_uris": ["not a uri"]},
        {"client_secret": "i choose"},
        {"default_scopes": "users:read"},
    ],
)
def test_invalid_registrations_are_400(client, body):
    response = client.post(CLIENTS, json=body, headers=bearer(client))
    assert_problem(response, 400)


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example/callback",
        "https://app.example:8443/cb?tenant=1",
        "http://127.0.0.1/callback",
        "http://[::1]:8080/callback",
        "http://localhost:3000/cb",
    ],
)
def test_a_client_of_the_code_grant_registers_its_redirect_uris(client, uri):
    body = {"grant_types": ["authorization_code", "refresh_token"], "redirect_uris": [uri]}
    response = client.post(CLIENTS, json=body, headers=bearer(client))
    assert response.status_code == 201, response.text
    assert response.json()["redirect_uris"] == [uri]
    assert response.json()["grant_types"] == ["authorization_code", "refresh_token"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"grant_types": ["authorization_code"]}, "redirect_uris"),  # none registered
        (
            {"redirect_uris": ["http://app.example/callback"]},
            "redirect_uris.0",
        ),  # http, not loopback
        ({"redirect_uris": ["https://a.example/", "http://evil.example/"]}, "redirect_uris.1"),
    ],
)
def test_redirect_uris_a_client_may_not_register_are_422(client, body, field):
    problem = assert_problem(client.post(CLIENTS, json=body, headers=bearer(client)), 422)
    assert [error["field"] for error in problem["errors"]] == [field]


@pytest.mark.parametrize("uri", ["https://app.example/cb#fragment", "app.example/cb", "ftp://x/y"])
def test_redirect_uris_that_are_not_absolute_http_uris_without_fragment_are_400(client, uri):
    assert_problem(client.post(CLIENTS, json={"redirect_uris": [uri]}, headers=bearer(client)), 400)


def test_scopes_are_enforced_on_the_clients_api(client):
    read_only = bearer(client, scope="auth:read")
    assert client.get(CLIENTS, headers=read_only).status_code == 200
    assert client.post(CLIENTS, json={}, headers=read_only).status_code == 403


# Delete ----------------------------------------------------------------------------------------


def test_only_the_owner_deletes_a_client(client):
    mine = client.post(CLIENTS, json={}, headers=bearer(client)).json()

    someone_else = client.delete(
        f"{CLIENTS}{mine['client_id']}", headers=bearer(client, "root", "q")
    )
    stranger = client.delete(f"{CLIENTS}documentation", headers=bearer(client))
    missing = client.delete(f"{CLIENTS}no-such-client", headers=bearer(client))

    assert someone_else.status_code == 204  # root is an admin
    assert stranger.status_code == 403
    assert missing.status_code == 404
