"""The applications a user allowed: listed with their scopes and dates, and withdrawn (which
revokes every token the application holds for the user and makes it ask again)."""

from __future__ import annotations

import pytest

from storage import users
from tests.browser import App, Browser, register_app
from tests.helpers import assert_oauth_error, assert_problem, assert_token, auth, me

pytestmark = pytest.mark.usefixtures("demo_data")
AUTHORIZATIONS = "/api/v1/users/me/authorizations"


@pytest.fixture
def root():
    return users.get_user_by_username("root")


def test_nothing_allowed_is_an_empty_list(client, root):
    response = client.get(AUTHORIZATIONS, headers=auth(root))
    assert response.status_code == 200
    assert response.json() == []


def test_an_allowed_application_is_listed_with_its_scopes_and_dates(client, root):
    app = App(register_app("confidential"))
    Browser(client).authorize(app, "users:read")
    Browser(client).authorize(app, "teams:read")  # more scopes: asked and allowed again

    listed = client.get(AUTHORIZATIONS, headers=auth(root)).json()

    assert len(listed) == 1
    (item,) = listed
    assert item["client_id"] == app.client_id
    assert item["owner"] == "user"
    assert item["scopes"] == ["users:read", "teams:read"]
    assert item["created"] <= item["updated"]


def test_withdrawing_revokes_the_tokens_and_asks_again(client, root):
    app = App(register_app("confidential"))
    browser = Browser(client)
    token = assert_token(
        app.token_request(client, app.code_from(browser.authorize(app, "users:read"))),
        scope="users:read",
    )
    assert browser.open(app.authorization_url("users:read")).status_code == 303  # remembered

    response = client.delete(f"{AUTHORIZATIONS}/{app.client_id}", headers=auth(root))

    assert response.status_code == 204
    assert me(client, token["access_token"]).status_code == 401
    refreshed = client.post(
        "/auth/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        headers={"Authorization": client_basic(app)},
    )
    assert_oauth_error(refreshed, 400, "invalid_grant")
    assert client.get(AUTHORIZATIONS, headers=auth(root)).json() == []
    assert browser.open(app.authorization_url("users:read")).status_code == 200  # asked again


def test_withdrawing_spares_other_users_and_other_applications(client, root):
    app, other = App(register_app()), App(register_app())
    browser = Browser(client)
    mine = assert_token(app.token_request(client, app.code_from(browser.authorize(app))))
    others = assert_token(other.token_request(client, other.code_from(browser.authorize(other))))
    someone = users.get_user_by_username("user")

    client.delete(f"{AUTHORIZATIONS}/{app.client_id}", headers=auth(someone))
    assert me(client, mine["access_token"]).status_code == 200
    client.delete(f"{AUTHORIZATIONS}/{app.client_id}", headers=auth(root))
    assert me(client, mine["access_token"]).status_code == 401
    assert me(client, others["access_token"]).status_code == 200


def test_withdrawing_an_unknown_client_is_404(client, root):
    assert_problem(client.delete(f"{AUTHORIZATIONS}/no-such-client", headers=auth(root)), 404)


def test_withdrawing_nothing_allowed_is_204(client, root):
    app = App(register_app())
    response = client.delete(f"{AUTHORIZATIONS}/{app.client_id}", headers=auth(root))
    assert response.status_code == 204


def test_a_withdrawn_code_cannot_be_redeemed(client, root):
    app = App(register_app())
    code = app.code_from(Browser(client).authorize(app))
    client.delete(f"{AUTHORIZATIONS}/{app.client_id}", headers=auth(root))
    assert_oauth_error(app.token_request(client, code), 400, "invalid_grant")


@pytest.mark.parametrize(
    ("method", "url", "scope"),
    [
        ("GET", AUTHORIZATIONS, "auth:write"),
        ("DELETE", f"{AUTHORIZATIONS}/documentation", "auth:read"),
    ],
)
def test_scopes(client, root, method, url, scope):
    assert_problem(client.request(method, url, headers=auth(root, [scope])), 403)
    assert_problem(client.request(method, url), 401)


def client_basic(app: App) -> str:
    from tests.helpers import basic

    return basic(app.client_id, app.secret)["Authorization"]
