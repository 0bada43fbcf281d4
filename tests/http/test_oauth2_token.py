"""The token endpoint: every flow of the seed README, each grant, and every error shape."""

from __future__ import annotations

import base64

import pytest

from domain import clients as client_rules
from domain.seed import DOCUMENTATION_CLIENT_SECRET
from tests.helpers import (
    ALL_SCOPES_GRANTED,
    TOKEN,
    assert_oauth_error,
    assert_token,
    basic,
    me,
    password_grant,
)

pytestmark = pytest.mark.usefixtures("demo_data")

# The README's curl lines, one by one ----------------------------------------------------------


def test_readme_password_grant_in_the_query_string(client):
    response = client.get(
        f"{TOKEN}?grant_type=password&client_id=documentation&username=root&password=q"
    )
    assert_token(response)


def test_readme_password_grant_with_multipart_form(client):
    response = client.post(
        f"{TOKEN}?grant_type=password",
        files={
            "client_id": (None, "documentation"),
            "username": (None, "root"),
            "password": (None, "q"),
        },
    )
    assert_token(response)


def test_readme_password_grant_with_basic_client_id_and_no_secret(client):
    response = client.post(
        f"{TOKEN}?grant_type=password",
        headers=basic("documentation"),
        files={"username": (None, "root"), "password": (None, "q")},
    )
    token = assert_token(response)

    user = me(client, token["access_token"])
    assert user.status_code == 200
    assert user.json()["username"] == "root"
    assert user.json()["email"] == "root@localhost"
    assert user.json()["is_admin"] is True


def test_readme_refresh_grant(client):
    first = assert_token(password_grant(client))

    response = client.post(
        f"{TOKEN}?grant_type=refresh_token",
        headers=basic("documentation"),
        files={"refresh_token": (None, first["refresh_token"])},
    )

    second = assert_token(response)
    assert second["refresh_token"] != first["refresh_token"]
    assert me(client, second["access_token"]).status_code == 200


def test_readme_client_credentials_grant(client):
    response = client.get(
        f"{TOKEN}?grant_type=client_credentials",
        headers=basic("documentation", DOCUMENTATION_CLIENT_SECRET),
    )

    token = assert_token(response, refresh=False)
    caller = me(client, token["access_token"])
    assert caller.status_code == 200
    assert caller.json()["username"] == "documentation"


# Grants and their rules -------------------------------------------------------------------------


def test_the_password_grant_with_a_urlencoded_body(client):
    assert_token(password_grant(client))


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        ("users:read", "users:read"),
        ("users:read  teams:read", "users:read teams:read"),  # empty items are ignored
        (" ", ALL_SCOPES_GRANTED),  # nothing asked for: everything the client may have
        ("", ALL_SCOPES_GRANTED),
        ("teams:read teams:read", "teams:read"),
    ],
)
def test_the_password_grant_narrows_scopes(client, requested, granted):
    assert_token(password_grant(client, scope=requested), scope=granted)


def test_a_scope_the_client_may_not_have_is_invalid_scope(client):
    assert_oauth_error(password_grant(client, scope="users:read admin:all"), 400, "invalid_scope")


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"password": "wrong"}, 400, "invalid_grant"),
        ({"username": "nobody"}, 400, "invalid_grant"),
        ({"password": "x" * 150}, 400, "invalid_grant"),  # over bcrypt's 72 bytes: refused, no 500
        ({"password": None}, 400, "invalid_request"),
        ({"username": None}, 400, "invalid_request"),
        ({"client_id": None}, 401, "invalid_client"),
        ({"client_id": "unknown"}, 401, "invalid_client"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),  # a secret that is sent is checked
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ({"grant_type": "implicit"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "invalid_request"),
    ],
)
def test_password_grant_errors(client, params, status, error):
    assert_oauth_error(password_grant(client, **params), status, error)


def test_the_right_secret_is_accepted_for_the_public_client(client):
    assert_token(password_grant(client, client_secret=DOCUMENTATION_CLIENT_SECRET))


def test_inactive_users_get_invalid_grant(client):
    from tests.factories import make_user

    make_user(username="sleepy", password="long enough", is_active=False)

    assert_oauth_error(
        password_grant(client, username="sleepy", password="long enough"), 400, "invalid_grant"
    )


def test_client_credentials_needs_the_secret(client):
    assert_oauth_error(
        client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": "documentation"}),
        401,
        "invalid_client",
    )
    assert_oauth_error(
        client.post(
            TOKEN, data={"grant_type": "client_credentials"}, headers=basic("documentation", "nope")
        ),
        401,
        "invalid_client",
    )


def test_client_credentials_is_limited_to_the_client_scopes(client):
    response = client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "teams:read"},
        headers=basic("documentation", DOCUMENTATION_CLIENT_SECRET),
    )
    assert_token(response, scope="teams:read", refresh=False)


def test_basic_and_parameter_client_authentication_together_is_invalid_request(client):
    response = client.post(
        TOKEN,
        data={"grant_type": "password", "username": "root", "password": "q", "client_secret": "x"},
        headers=basic("documentation"),
    )
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    "header", ["Basic !!!not-base64", "Basic " + base64.b64encode(b"\xff\xfe").decode()]
)
def test_malformed_basic_credentials_are_invalid_client(client, header):
    response = client.post(
        TOKEN,
        data={"grant_type": "password", "username": "root", "password": "q"},
        headers={"Authorization": header},
    )
    assert_oauth_error(response, 401, "invalid_client")


def test_a_parameter_in_both_query_and_body_is_invalid_request(client):
    response = client.post(
        f"{TOKEN}?username=root",
        data={
            "grant_type": "password",
            "username": "root",
            "password": "q",
            "client_id": "documentation",
        },
    )
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": {"grant_type": "password", "surprise": "1"}}, 400),
        ({"data": {"grant_type": "x" * 500}}, 400),
        (
            {
                "content": b"\xff\xfe=\xff",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            400,
        ),
        (
            {
                "content": b'{"grant_type": "password"}',
                "headers": {"Content-Type": "application/json"},
            },
            415,
        ),
        ({"params": {"grant_type": "password", "extra": "1"}}, 400),
    ],
)
def test_malformed_token_requests_get_rfc6749_errors_not_problems(client, kwargs, status):
    response = client.post(TOKEN, **kwargs)
    assert_oauth_error(response, status, "invalid_request")


# Refresh: rotation, reuse detection, expiry ---------------------------------------------


def refresh(client, refresh_token, **params):
    return client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, **params},
        headers=basic("documentation"),
    )


def test_refresh_rotates_both_tokens_at_once(client):
    first = assert_token(password_grant(client))
    second = assert_token(refresh(client, first["refresh_token"]))

    assert me(client, first["access_token"]).status_code == 401
    assert me(client, second["access_token"]).status_code == 200
    assert_oauth_error(refresh(client, first["refresh_token"]), 400, "invalid_grant")


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(client):
    first = assert_token(password_grant(client))
    second = assert_token(refresh(client, first["refresh_token"]))
    third = assert_token(refresh(client, second["refresh_token"]))

    # An attacker replays the first refresh token...
    assert_oauth_error(refresh(client, first["refresh_token"]), 400, "invalid_grant")

    # ...and every token of that login stops working, the legitimate latest one included.
    assert me(client, third["access_token"]).status_code == 401
    assert_oauth_error(refresh(client, third["refresh_token"]), 400, "invalid_grant")


def test_other_logins_survive_reuse_detection(client):
    mine = assert_token(password_grant(client))
    other = assert_token(password_grant(client))
    assert_token(refresh(client, mine["refresh_token"]))
    refresh(client, mine["refresh_token"])  # reuse

    assert me(client, other["access_token"]).status_code == 200


def test_refresh_may_narrow_but_never_widen_the_scope(client):
    first = assert_token(
        password_grant(client, scope="users:read teams:read"), scope="users:read teams:read"
    )

    narrowed = assert_token(
        refresh(client, first["refresh_token"], scope="users:read"), scope="users:read"
    )
    assert_oauth_error(
        refresh(client, narrowed["refresh_token"], scope="users:read teams:write"),
        400,
        "invalid_scope",
    )


def test_a_refresh_token_only_works_for_its_own_client(client):
    from storage import users

    owner = users.get_user_by_username("user")
    other = client_rules.register_client(owner_id=owner["id"], client_type="public")
    first = assert_token(password_grant(client))

    response = client.post(
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": other["client_id"],
        },
    )
    assert_oauth_error(response, 400, "invalid_grant")


def test_access_tokens_expire_after_expires_in(client, frozen_clock):
    token = assert_token(password_grant(client))

    frozen_clock.advance(3599)
    assert me(client, token["access_token"]).status_code == 200
    frozen_clock.advance(2)
    assert me(client, token["access_token"]).status_code == 401
    # The refresh token outlives it.
    assert_token(refresh(client, token["refresh_token"]))


def test_refresh_tokens_expire_after_thirty_days(client, frozen_clock):
    token = assert_token(password_grant(client))

    frozen_clock.advance(30 * 24 * 3600 + 1)
    assert_oauth_error(refresh(client, token["refresh_token"]), 400, "invalid_grant")


def test_tokens_are_stored_only_as_digests(client):
    from sqlalchemy import select

    from models import OAuth2Token
    from storage.db import transaction

    token = assert_token(password_grant(client))
    with transaction() as session:
        stored = session.execute(
            select(OAuth2Token.access_token_hash, OAuth2Token.refresh_token_hash)
        ).all()
    flattened = {value for row in stored for value in row}
    assert token["access_token"] not in flattened
    assert token["refresh_token"] not in flattened
    assert all(len(value) == 64 for value in flattened if value)
