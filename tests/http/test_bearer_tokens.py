"""The resource side: bearer tokens, scopes, and the Swagger UI sign-in."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.helpers import assert_problem, assert_token, basic, me, password_grant

pytestmark = pytest.mark.usefixtures("demo_data")


def test_no_token_is_401_problem_with_a_bearer_challenge(client):
    response = client.get("/api/v1/users/me")

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="apiserver", error="invalid_token"'


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-token",
        "Bearer ",
        "Bearer " + "x" * 5000,
        "Basic cm9vdDpx",
        "Token abc",
        "bearer",
    ],
)
def test_bad_credentials_are_401_problems(client, authorization):
    response = client.get("/api/v1/users/me", headers={"Authorization": authorization})

    assert_problem(response, 401)
    assert "invalid_token" in response.headers["www-authenticate"]


def test_the_bearer_scheme_is_case_insensitive(client):
    token = assert_token(password_grant(client))
    response = client.get(
        "/api/v1/users/me", headers={"Authorization": f"bearer {token['access_token']}"}
    )
    assert response.status_code == 200


def test_a_missing_scope_is_403_naming_it(client):
    token = assert_token(password_grant(client, scope="teams:read"), scope="teams:read")

    response = me(client, token["access_token"])

    problem = assert_problem(response, 403)
    assert "users:read" in problem["detail"]
    assert "teams:read" not in problem["detail"]


def test_a_deactivated_users_token_stops_working_at_once(client):
    from models import User
    from storage.db import transaction

    user = make_user(username="leaving", password="long enough")
    token = assert_token(password_grant(client, username="leaving", password="long enough"))
    assert me(client, token["access_token"]).status_code == 200

    with transaction() as session:
        session.get(User, user["id"]).is_active = False

    assert me(client, token["access_token"]).status_code == 401


def test_users_me_costs_one_query(client, statements):
    token = assert_token(password_grant(client))

    with statements() as seen:
        assert me(client, token["access_token"]).status_code == 200
    assert len(seen) == 1, seen


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
