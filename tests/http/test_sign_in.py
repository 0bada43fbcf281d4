"""The authorization code flow as applications and people use it: Authlib's PKCE client code
for the application, the test client as the browser (pages parsed, forms posted back)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import (
    AUTHORIZE,
    REDIRECT_URI,
    SIGN_IN,
    App,
    Browser,
    forms,
    register_app,
)
from tests.helpers import ALL_SCOPES_GRANTED, assert_token, me

pytestmark = pytest.mark.usefixtures("demo_data")


@pytest.fixture
def browser(client):
    return Browser(client)


def query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


# The happy path ----------------------------------------------------------------------------


@pytest.mark.parametrize("client_type", ["public", "confidential"])
def test_sign_in_allow_and_exchange_the_code(client, browser, client_type):
    app = App(register_app(client_type))

    page = browser.open(app.authorization_url("users:read teams:read"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    sign_in_form = forms(page.text)[0]
    assert sign_in_form.action == SIGN_IN
    assert {"username", "password", "csrf_token", "next"} <= set(sign_in_form.fields)

    signed_in = browser.sign_in(page)
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "apiserver_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert signed_in.headers["location"].startswith(AUTHORIZE + "?")

    consent = browser.open(signed_in.headers["location"])
    assert consent.status_code == 200
    assert app.client_id in consent.text and "user" in consent.text  # the client and its owner
    assert "Read user accounts." in consent.text and "Read teams" in consent.text
    form = next(form for form in forms(consent.text) if "decision" in form.buttons)
    assert form.buttons["decision"] == ["allow", "deny"]
    assert form.fields["csrf_token"]

    allowed = browser.decide(consent, "allow")
    assert allowed.status_code == 303
    code = app.code_from(allowed.headers["location"])

    token = assert_token(app.token_request(client, code), scope="users:read teams:read")
    user = me(client, token["access_token"])
    assert user.status_code == 200 and user.json()["username"] == "root"


def test_the_pages_are_not_cached_framed_or_cross_origin(client, browser, monkeypatch):
    app = App(register_app())
    page = browser.open(app.authorization_url())

    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "same-origin"
    assert "access-control-allow-origin" not in page.headers


def test_the_code_works_once_for_a_refresh_token_that_rotates(client, browser):
    app = App(register_app())
    token = assert_token(
        app.token_request(client, app.code_from(browser.authorize(app))), scope=ALL_SCOPES_GRANTED
    )
    refreshed = client.post(
        "/auth/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert_token(refreshed)
    assert me(client, token["access_token"]).status_code == 401


def test_deny_sends_access_denied_with_state_and_iss(browser):
    app = App(register_app())
    page = browser.consent_page(app.authorization_url())

    denied = browser.decide(page, "deny")

    assert denied.status_code == 303
    answer = query_of(denied.headers["location"])
    assert denied.headers["location"].startswith(REDIRECT_URI + "?")
    assert answer["error"] == "access_denied"
    assert answer["state"] == app.state
    assert answer["iss"] == "http://127.0.0.1:5000"
    assert "code" not in answer
