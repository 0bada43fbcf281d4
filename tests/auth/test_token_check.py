"""The bearer token check, the resource side of OAuth 2: no token or a bad one is a 401 problem
with a Bearer challenge, a missing scope a 403 naming it, and a deactivated user's token stops
working at once. The caller comes with the token, in one query."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.helpers import assert_problem, assert_token, me, password_grant

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
