"""Bad input anywhere under /api/v1 gets a 4xx problem+json, never a 500."""

import pytest

from tests.helpers import assert_problem

SIGNUP = "/api/v1/users/"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"username": ', "application/json", 400),  # truncated JSON
        (b'{"username": "\xff\xfe"}', "application/json", 400),  # invalid UTF-8
        (b"[" * 100_000, "application/json", 400),  # nested deeper than the parser allows
        (b"", "application/json", 400),  # empty body
        (b"null", "application/json", 400),
        (b"[]", "application/json", 400),
        (b"\xff\xfe=1", "application/x-www-form-urlencoded", 400),
        (b"username=a&username=b", "application/x-www-form-urlencoded", 400),
        (
            b'{"username": "nul\\u0000", "email": "a@b.c", "password": "12345678"}',
            "application/json",
            400,
        ),
        (
            b"username=nul%00&email=a@b.c&password=12345678",
            "application/x-www-form-urlencoded",
            400,
        ),
        (b"hello", "text/plain", 415),
        (b"<xml/>", "application/xml", 415),
        (b"a=1", "multipart/form-data; boundary=x", 415),
    ],
)
def test_malformed_bodies_are_4xx_problems(client, content, content_type, status):
    response = client.post(SIGNUP, content=content, headers={"Content-Type": content_type})

    assert_problem(response, status)


def test_unknown_query_parameters_are_rejected_by_name(client):
    response = client.post(
        f"{SIGNUP}?admin=1",
        json={"username": "alice", "email": "a@example.com", "password": "correct horse"},
    )

    problem = assert_problem(response, 400)
    assert problem["errors"] == [{"field": "query.admin", "message": "is not allowed"}]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/api/v1/users/1/../../etc/passwd", 404),
        ("DELETE", SIGNUP, 405),
        ("PUT", "/health/live", 405),
    ],
)
def test_unknown_routes_and_methods_are_problems(client, method, path, status):
    assert_problem(client.request(method, path), status)


@pytest.mark.parametrize(
    ("method", "path", "location"),
    [
        ("GET", "/api/v1/teams", "/api/v1/teams/"),
        ("GET", "/api/v1/teams?limit=5", "/api/v1/teams/?limit=5"),
        ("POST", "/api/v1/users", "/api/v1/users/"),
        ("GET", "/api/v1/users/me/", "/api/v1/users/me"),
        ("GET", "/api/v1/teams/7/members", "/api/v1/teams/7/members/"),
    ],
)
def test_the_other_slash_form_redirects_permanently(client, method, path, location):
    response = client.request(method, path, follow_redirects=False)

    assert response.status_code == 308
    assert response.headers["location"] == location
