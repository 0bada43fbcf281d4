"""OPTIONS answers which methods this caller may use; preflights need no token."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem, auth


def allowed(response) -> set[str]:
    assert response.status_code == 204, response.text
    return {method.strip() for method in response.headers["allow"].split(",")}


@pytest.fixture
def team(client, people):
    team = client.post(
        "/api/v1/teams/", json={"title": "Options"}, headers=auth(people["alice"])
    ).json()
    client.post(
        f"/api/v1/teams/{team['id']}/members/",
        json={"user_id": people["bob"]["id"]},
        headers=auth(people["alice"]),
    )
    return team


@pytest.mark.parametrize(
    ("who", "path", "methods"),
    [
        (None, "/api/v1/users/", {"POST", "OPTIONS"}),
        ("alice", "/api/v1/users/", {"POST", "OPTIONS"}),
        ("admin", "/api/v1/users/", {"GET", "POST", "OPTIONS"}),
        ("alice", "/api/v1/users/{alice}", {"GET", "PATCH", "OPTIONS"}),
        ("alice", "/api/v1/users/{bob}", {"OPTIONS"}),
        ("readonly", "/api/v1/users/{readonly}", {"GET", "OPTIONS"}),
        (None, "/api/v1/teams/", {"OPTIONS"}),
        ("alice", "/api/v1/teams/", {"GET", "POST", "OPTIONS"}),
        ("readonly", "/api/v1/teams/", {"GET", "OPTIONS"}),
        ("alice", "/api/v1/teams/{team}", {"GET", "PATCH", "DELETE", "OPTIONS"}),
        ("bob", "/api/v1/teams/{team}", {"GET", "OPTIONS"}),
        ("carol", "/api/v1/teams/{team}", {"OPTIONS"}),
        ("alice", "/api/v1/teams/{team}/members/", {"GET", "POST", "OPTIONS"}),
        ("alice", "/api/v1/teams/{team}/members/{bob}", {"PATCH", "DELETE", "OPTIONS"}),
        ("bob", "/api/v1/teams/{team}/members/{bob}", {"DELETE", "OPTIONS"}),
        ("carol", "/api/v1/teams/{team}/members/{bob}", {"OPTIONS"}),
        (None, "/health/ready", {"GET", "OPTIONS"}),
        (None, "/auth/oauth2/token", {"GET", "POST", "OPTIONS"}),
    ],
)
def test_allow_lists_exactly_what_the_caller_may_do(client, people, team, who, path, methods):
    url = path.format(team=team["id"], **{name: person["id"] for name, person in people.items()})
    headers = auth(people[who]) if who else {}

    assert allowed(client.options(url, headers=headers)) == methods


def test_a_token_without_the_scope_loses_the_method(client, people):
    headers = auth(people["alice"], scopes=("teams:read",))
    assert allowed(client.options("/api/v1/teams/", headers=headers)) == {"GET", "OPTIONS"}


def test_options_on_a_missing_object_is_404(client, people):
    response = client.options("/api/v1/teams/999999", headers=auth(people["alice"]))
    assert_problem(response, 404)


@pytest.mark.parametrize(
    "path", ["/api/v1/teams/abc", "/api/v1/teams/0", "/api/v1/users/99999999999"]
)
def test_options_on_an_impossible_id_is_404(client, people, path):
    assert client.options(path, headers=auth(people["alice"])).status_code == 404


def test_options_on_an_unknown_path_is_404(client):
    assert client.options("/api/v1/nothing-here").status_code == 404


def test_options_with_a_bad_token_is_401(client):
    response = client.options("/api/v1/teams/", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_a_preflight_needs_no_token_and_is_never_401_or_403(client, team):
    preflight = client.options(
        f"/api/v1/teams/{team['id']}",
        headers={"Access-Control-Request-Method": "PATCH", "Origin": "https://evil.example"},
    )
    assert preflight.status_code not in (401, 403)
    bare = client.options(
        f"/api/v1/teams/{team['id']}", headers={"Access-Control-Request-Method": "PATCH"}
    )
    assert allowed(bare) == {"GET", "PATCH", "DELETE", "OPTIONS"}


def test_cors_preflight_from_an_allowed_origin(settings, database):
    import dataclasses

    from app import create_app

    app = create_app(dataclasses.replace(settings, cors_origins=("https://app.example",)))
    with app.test_client() as client:
        response = client.options(
            "/api/v1/teams/",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Authorization, Content-Type",
            },
        )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert "POST" in response.headers["access-control-allow-methods"]


def test_the_sign_in_pages_never_send_cors_headers(settings, database):
    """RFC 9700 §2.6: no CORS at the authorization endpoint, whatever CORS_ORIGINS says."""
    import dataclasses

    from app import create_app

    app = create_app(dataclasses.replace(settings, cors_origins=("https://app.example",)))
    with app.test_client() as client:
        origin = {"Origin": "https://app.example"}
        page = client.get("/auth/oauth2/authorize?client_id=x", headers=origin)
        preflight = client.options(
            "/auth/oauth2/authorize", headers={**origin, "Access-Control-Request-Method": "POST"}
        )
        api = client.get("/health/live", headers=origin)
    assert "access-control-allow-origin" not in page.headers
    assert "access-control-allow-origin" not in preflight.headers
    assert api.headers["access-control-allow-origin"] == "https://app.example"
