"""The OAuth 2 endpoints: the token endpoint (every curl line of README.md, each grant, refresh
token rotation, every error shape), RFC 7009 revocation and RFC 7662 introspection. Whatever
reaches them, the answer is a token or an RFC 6749 error, never a 500."""

from __future__ import annotations

import base64
import random

import pytest

from domain import clients as client_rules
from domain.seed import DOCUMENTATION_CLIENT_SECRET
from handlers.oauth2 import TOKEN_PARAMETERS as NAMES
from storage import tokens, users
from storage.errors import Conflict
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

REVOKE = "/auth/oauth2/revoke"
INTROSPECT = "/auth/oauth2/introspect"


# The README's curl lines, one by one -----------------------------------------------------------


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


# Swagger UI's sign-in --------------------------------------------------------------------------


def test_swagger_ui_is_preconfigured_for_the_password_flow(client):
    page = client.get("/api/v1/ui/").text
    assert '"clientId": "documentation"' in page
    config = client.get("/api/v1/ui/swagger-ui-config.json").json()
    assert config["persistAuthorization"] is True

    scheme = client.get("/api/v1/openapi.json").json()["components"]["securitySchemes"]["oauth2"]
    assert scheme["flows"]["password"]["tokenUrl"] == "/auth/oauth2/token"
    me_operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/users/me"]["get"]
    assert me_operation["security"] == [{"oauth2": ["users:read"]}]


def test_swagger_ui_sign_in_as_root_then_try_users_me(client):
    """Exactly what Swagger UI 4.15 sends after "Authorize" with root / q: a urlencoded body with
    the selected scopes, and the client id in HTTP Basic with an empty secret."""
    scopes = "auth:read auth:write users:read users:write teams:read teams:write"
    response = client.post(
        "/auth/oauth2/token",
        data={"grant_type": "password", "username": "root", "password": "q", "scope": scopes},
        headers=basic("documentation"),
    )
    token = assert_token(response, scope=scopes)

    tried = client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert tried.status_code == 200
    assert tried.json()["username"] == "root"


# Token: grants and their rules -----------------------------------------------------------------


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
        ({"grant_type": "authorization_code"}, 400, "invalid_request"),  # no code
        (
            {"grant_type": "urn:ietf:params:oauth:grant-type:device_code"},
            400,
            "unsupported_grant_type",
        ),
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


def test_client_credentials_of_an_inactive_owner_is_invalid_grant(client, demo_data):
    from domain.seed import DOCUMENTATION_CLIENT_SECRET
    from models import User
    from storage.db import transaction

    with transaction() as session:
        session.query(User).filter(User.username == "documentation").update({"is_active": False})

    response = client.post(
        "/auth/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers=basic("documentation", DOCUMENTATION_CLIENT_SECRET),
    )
    assert_oauth_error(response, 400, "invalid_grant")


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


# Token: refresh rotation, reuse detection, expiry ----------------------------------------------


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


def test_losing_a_refresh_race_is_invalid_grant(client, demo_data, monkeypatch):
    token = assert_token(password_grant(client))

    def lost(**kwargs):
        raise Conflict("the refresh token has already been used")

    monkeypatch.setattr(tokens, "issue", lost)
    response = client.post(
        "/auth/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        headers=basic("documentation"),
    )
    assert_oauth_error(response, 400, "invalid_grant")


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


# Revoke (RFC 7009) -----------------------------------------------------------------------------


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


# Introspect (RFC 7662) -------------------------------------------------------------------------


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


# Any input: a token or an RFC 6749 error, never a 500 ------------------------------------------


VALUES = [
    "",
    " ",
    "password",
    "refresh_token",
    "client_credentials",
    "documentation",
    "root",
    "q",
    "\x00",
    "é" * 40,
    "😀" * 10,
    "%00%ff",
    "a" * 199,
    "users:read\tteams:read",
    "users:read  ",
    "\r\n",
    "' OR 1=1 --",
]
ENDPOINTS = ["/auth/oauth2/token", "/auth/oauth2/revoke", "/auth/oauth2/introspect"]


def random_request(rng: random.Random) -> tuple[str, dict]:
    endpoint = rng.choice(ENDPOINTS)
    names = (
        NAMES
        if endpoint.endswith("token")
        else ["token", "token_type_hint", "client_id", "client_secret"]
    )
    params = {name: rng.choice(VALUES) for name in rng.sample(names, rng.randint(0, len(names)))}
    style = rng.choice(
        ["form", "multipart", "query"] if endpoint.endswith("token") else ["form", "multipart"]
    )
    kwargs: dict = {}
    if style == "form":
        kwargs["data"] = params
    elif style == "multipart":
        kwargs["files"] = {name: (None, value) for name, value in params.items()} or {
            "x": (None, "")
        }
    else:
        kwargs["params"] = params
    if rng.random() < 0.3:
        kwargs["headers"] = {
            "Authorization": rng.choice(
                ["Basic ZG9jdW1lbnRhdGlvbjo=", "Basic", "Basic Og==", "Bearer x"]
            )
        }
    return endpoint, kwargs


@pytest.mark.parametrize("seed", range(4))
def test_no_input_makes_the_oauth2_endpoints_fail(client, seed):
    rng = random.Random(seed)
    for _ in range(50):
        endpoint, kwargs = random_request(rng)
        response = client.post(endpoint, **kwargs)
        assert response.status_code < 500, (endpoint, kwargs, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/json", (endpoint, kwargs)
            assert "error" in response.json()
