"""RFC 7009 revocation and RFC 7662 introspection."""

from __future__ import annotations

import pytest

from domain import clients as client_rules
from domain.seed import DOCUMENTATION_CLIENT_SECRET
from storage import users
from tests.helpers import assert_oauth_error, assert_token, basic, me, password_grant

pytestmark = pytest.mark.usefixtures("demo_data")

REVOKE = "/auth/oauth2/revoke"
INTROSPECT = "/auth/oauth2/introspect"


@pytest.fixture
def confidential(client):
    owner = users.get_user_by_username("user")
    return client_rules.register_client(owner_id=owner["id"], client_type="confidential")


def revoke(client, token, hint=None, **auth):
    data = {"token": token, "client_id": "documentation", **auth}
    if hint:
        data["token_type_hint"] = hint
    return client.post(REVOKE, data=data)


def test_revoking_an_access_token(client):
    token = assert_token(password_grant(client))

    response = revoke(client, token["access_token"])

    assert response.status_code == 200
    assert response.content == b""
    assert me(client, token["access_token"]).status_code == 401


def test_revoking_a_refresh_token_revokes_its_access_token_too(client):
    token = assert_token(password_grant(client))

    assert revoke(client, token["refresh_token"], hint="refresh_token").status_code == 200

    assert me(client, token["access_token"]).status_code == 401
    refreshed = client.post(
        "/auth/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": "documentation",
        },
    )
    assert_oauth_error(refreshed, 400, "invalid_grant")


def test_unknown_tokens_are_answered_200(client):
    assert revoke(client, "never-issued").status_code == 200


def test_another_clients_token_is_left_alone(client, confidential):
    token = assert_token(password_grant(client))

    response = client.post(
        REVOKE,
        data={"token": token["access_token"]},
        headers=basic(confidential["client_id"], confidential["client_secret"]),
    )

    assert response.status_code == 200
    assert me(client, token["access_token"]).status_code == 200


@pytest.mark.parametrize(
    ("data", "headers", "status", "error"),
    [
        ({"token": "x"}, {}, 401, "invalid_client"),
        ({"token": "x", "client_id": "unknown"}, {}, 401, "invalid_client"),
        ({"client_id": "documentation"}, {}, 400, "invalid_request"),
        (
            {"token": "x", "client_id": "documentation", "client_secret": "wrong"},
            {},
            401,
            "invalid_client",
        ),
    ],
)
def test_revocation_errors(client, data, headers, status, error):
    assert_oauth_error(client.post(REVOKE, data=data, headers=headers), status, error)


def test_revocation_is_post_only(client):
    response = client.get(REVOKE)
    assert response.status_code == 405
    assert response.json()["error"] == "invalid_request"


def introspect(client, token, confidential, hint=None):
    data = {"token": token}
    if hint:
        data["token_type_hint"] = hint
    return client.post(
        INTROSPECT,
        data=data,
        headers=basic(confidential["client_id"], confidential["client_secret"]),
    )


def test_introspecting_a_live_access_token(client, confidential):
    token = assert_token(password_grant(client, scope="users:read"), scope="users:read")

    response = introspect(client, token["access_token"], confidential)

    assert response.status_code == 200
    claims = response.json()
    assert claims["active"] is True
    assert claims["scope"] == "users:read"
    assert claims["client_id"] == "documentation"
    assert claims["username"] == "root"
    assert claims["token_type"] == "Bearer"
    assert claims["exp"] - claims["iat"] == 3600


def test_introspecting_a_refresh_token(client, confidential):
    token = assert_token(password_grant(client))

    claims = introspect(client, token["refresh_token"], confidential, hint="refresh_token").json()

    assert claims["active"] is True
    assert claims["token_type"] == "refresh_token"
    assert claims["exp"] - claims["iat"] == 30 * 24 * 3600


def test_unknown_expired_and_revoked_tokens_are_inactive(client, confidential, frozen_clock):
    assert introspect(client, "nonsense", confidential).json() == {"active": False}

    revoked = assert_token(password_grant(client))
    revoke(client, revoked["access_token"])
    assert introspect(client, revoked["access_token"], confidential).json() == {"active": False}

    expiring = assert_token(password_grant(client))
    frozen_clock.advance(3601)
    assert introspect(client, expiring["access_token"], confidential).json() == {"active": False}


def test_introspection_is_for_authenticated_confidential_clients(client):
    token = assert_token(password_grant(client))

    public_with_secret = client.post(
        INTROSPECT,
        data={"token": token["access_token"]},
        headers=basic("documentation", DOCUMENTATION_CLIENT_SECRET),
    )
    assert_oauth_error(public_with_secret, 401, "invalid_client")
    without_secret = client.post(
        INTROSPECT, data={"token": token["access_token"], "client_id": "documentation"}
    )
    problem = assert_oauth_error(without_secret, 401, "invalid_client")
    assert "confidential clients" in problem["error_description"]
