"""What happens before Connexion routes a request: the other slash form of a path redirects,
permanently, to the one the contract names."""

import pytest


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
