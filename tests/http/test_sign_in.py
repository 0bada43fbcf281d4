"""The authorization code flow as applications and people use it: Authlib's PKCE client code
for the application, the test client as the browser (pages parsed, forms posted back)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser import (
    AUTHORIZE,
    REDIRECT_URI,
    SIGN_IN,
    SIGN_OUT,
    App,
    Browser,
    forms,
    register_app,
)
from tests.helpers import ALL_SCOPES_GRANTED, assert_oauth_error, assert_token, me

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


# The token request -----------------------------------------------------------------------------


def test_a_replayed_code_is_invalid_grant_and_revokes_what_it_gave(client, browser):
    app = App(register_app())
    code = app.code_from(browser.authorize(app))
    first = assert_token(app.token_request(client, code))

    assert_oauth_error(app.token_request(client, code), 400, "invalid_grant")

    assert me(client, first["access_token"]).status_code == 401
    refreshed = client.post(
        "/auth/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert_oauth_error(refreshed, 400, "invalid_grant")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_verifier": "x" * 43}, "invalid_grant"),  # the wrong verifier
        ({"code_verifier": None}, "invalid_request"),
        ({"code_verifier": "x" * 42}, "invalid_request"),  # too short
        ({"code_verifier": "x" * 129}, "invalid_request"),  # too long
        ({"code_verifier": "x" * 42 + "!"}, "invalid_request"),  # outside RFC 7636's alphabet
        ({"redirect_uri": None}, "invalid_request"),  # two registered: which one?
        ({"redirect_uri": "https://app.example/other"}, "invalid_grant"),
        ({"code": "never-issued"}, "invalid_grant"),
        ({"code": None}, "invalid_request"),
    ],
)
def test_token_request_errors(client, browser, overrides, error):
    app = App(register_app(redirect_uris=(REDIRECT_URI, "https://app.example/other")))
    code = app.code_from(browser.authorize(app))

    overrides = dict(overrides)  # the parameters are shared by both databases' runs
    assert_oauth_error(
        app.token_request(client, overrides.pop("code", code), **overrides), 400, error
    )


def test_a_malformed_verifier_does_not_use_the_code_up(client, browser):
    app = App(register_app())
    code = app.code_from(browser.authorize(app))

    assert_oauth_error(
        app.token_request(client, code, code_verifier="short"), 400, "invalid_request"
    )
    assert_token(app.token_request(client, code))


def test_without_redirect_uri_at_authorize_the_token_request_may_leave_it_out(client, browser):
    app = App(register_app(), redirect_uri=None)
    location = browser.authorize(app)
    assert location.startswith(REDIRECT_URI + "?")  # the only registered one
    app.redirect_uri = REDIRECT_URI  # for code_from's check
    code = app.code_from(location)

    assert_token(app.token_request(client, code, redirect_uri=None))


def test_another_clients_code_is_invalid_grant(client, browser):
    app, thief = App(register_app()), App(register_app())
    code = app.code_from(browser.authorize(app))
    thief.verifier = app.verifier

    assert_oauth_error(thief.token_request(client, code), 400, "invalid_grant")
    assert_token(app.token_request(client, code))  # the thief did not use it up


def test_codes_expire_after_sixty_seconds(client, browser, frozen_clock):
    app = App(register_app())
    code = app.code_from(browser.authorize(app))

    frozen_clock.advance(61)
    assert_oauth_error(app.token_request(client, code), 400, "invalid_grant")


def test_a_confidential_client_must_authenticate(client, browser):
    registered = register_app("confidential")
    app = App(registered)
    code = app.code_from(browser.authorize(app))
    app.secret = None  # sends its client_id alone

    assert_oauth_error(app.token_request(client, code), 401, "invalid_client")


def test_the_tokens_of_a_user_deactivated_since_are_refused(client, browser):
    from models import User
    from storage.db import transaction

    app = App(register_app())
    code = app.code_from(browser.authorize(app))
    with transaction() as session:
        session.query(User).filter(User.username == "root").update({"is_active": False})

    assert_oauth_error(app.token_request(client, code), 400, "invalid_grant")


# The authorization request ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),  # RFC 7636 reads it as plain
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "x" * 42}, "invalid_request"),
        ({"code_challenge": "x" * 129}, "invalid_request"),
        ({"code_challenge": "x" * 42 + "+"}, "invalid_request"),
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code token"}, "unsupported_response_type"),
        ({"response_type": "codex"}, "unsupported_response_type"),
        ({"scope": "users:read admin:all"}, "invalid_scope"),
    ],
)
def test_authorization_errors_go_back_to_the_client_with_state_and_iss(browser, extra, error):
    app = App(register_app())
    url = app.authorization_url(**{k: v for k, v in extra.items() if k == "scope"})
    params = query_of(url)
    for name, value in extra.items():
        if value is None:
            params.pop(name)
        else:
            params[name] = value
    response = browser.open(AUTHORIZE + "?" + urlencode(params))

    assert response.status_code == 303, response.text
    answer = query_of(response.headers["location"])
    assert response.headers["location"].startswith(REDIRECT_URI + "?")
    assert answer["error"] == error
    assert answer["error_description"]
    assert answer["state"] == app.state
    assert answer["iss"] == "http://127.0.0.1:5000"
    assert "code" not in answer


def test_a_client_without_the_code_grant_is_unauthorized_client(browser):
    app = App(register_app())
    from models import OAuth2Client
    from storage.db import transaction

    with transaction() as session:
        session.get(OAuth2Client, app.client_id).grant_types = ["refresh_token"]
    answer = query_of(browser.open(app.authorization_url()).headers["location"])
    assert answer["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    ("registered", "requested"),
    [
        ("https://app.example/callback", "https://app.example/callback/"),  # a trailing slash
        ("https://app.example/callback", "https://app.example:8443/callback"),  # another port
        ("https://app.example/callback", "http://app.example/callback"),  # another scheme
        ("https://app.example/callback", "https://evil.example/callback"),  # another host
        ("https://app.example/callback", "https://app.example/callback?x=1"),  # another query
        ("http://127.0.0.1/callback", "http://127.0.0.1:8000/other"),  # loopback: port only
        ("http://127.0.0.1/callback", "http://localhost/callback"),
    ],
)
def test_a_redirect_uri_not_registered_exactly_is_a_400_page_without_redirect(
    browser, registered, requested
):
    app = App(register_app(redirect_uris=(registered,)), redirect_uri=requested)

    response = browser.open(app.authorization_url())

    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "redirect_uri" in response.text


@pytest.mark.parametrize(
    ("registered", "requested"),
    [
        ("http://127.0.0.1/callback", "http://127.0.0.1:53124/callback"),
        ("http://[::1]:8000/callback", "http://[::1]:9000/callback"),
        ("http://localhost/callback", "http://localhost:3000/callback"),
    ],
)
def test_loopback_redirect_uris_match_on_any_port(client, browser, registered, requested):
    app = App(register_app(redirect_uris=(registered,)), redirect_uri=requested)
    location = browser.authorize(app)
    assert location.startswith(requested + "?")
    assert_token(app.token_request(client, app.code_from(location)))


@pytest.mark.parametrize(
    "query",
    [
        "response_type=code&client_id=no-such-client&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback",
        "response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback",
        "client_id=a&client_id=b",
        "",
    ],
)
def test_an_unknown_or_missing_client_is_a_400_page(browser, query):
    response = browser.open(f"{AUTHORIZE}?{query}")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")


def test_a_malformed_query_is_a_400_page_not_json(browser):
    response = browser.open(f"{AUTHORIZE}?client_id=%00&surprise=1")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-frame-options"] == "DENY"


def test_a_client_with_several_redirect_uris_must_name_one(browser):
    app = App(register_app(redirect_uris=(REDIRECT_URI, "https://app.example/two")), None)
    response = browser.open(app.authorization_url())
    assert response.status_code == 400
    assert "location" not in response.headers


# CSRF, sessions, sign-in -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "headers"),
    [
        ({"csrf_token": None}, {}),
        ({"csrf_token": "0" * 64}, {}),
        ({}, {"Origin": "https://evil.example"}),
        ({}, {"Origin": "null"}),
    ],
)
def test_forged_consent_forms_are_403(client, browser, change, headers):
    app = App(register_app())
    page = browser.consent_page(app.authorization_url())
    form = next(form for form in forms(page.text) if "decision" in form.buttons)
    fields = {**form.fields, "decision": "allow", **change}

    response = client.post(
        AUTHORIZE,
        data={k: v for k, v in fields.items() if v is not None},
        headers=headers,
        follow_redirects=False,
    )

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers


def test_a_same_origin_form_is_accepted(browser):
    app = App(register_app())
    page = browser.consent_page(app.authorization_url())
    assert browser.decide(page, Origin="http://testserver").status_code == 303
    page = browser.consent_page(app.authorization_url())
    assert browser.decide(page, Origin="http://127.0.0.1:5000").status_code == 303


@pytest.mark.parametrize(
    ("change", "headers"),
    [
        ({"csrf_token": None}, {}),
        ({"csrf_token": "forged"}, {}),
        ({}, {"Origin": "https://evil.example"}),
    ],
)
def test_forged_sign_in_forms_are_403(client, browser, change, headers):
    page = browser.open(App(register_app()).authorization_url())
    fields = {**forms(page.text)[0].fields, "username": "root", "password": "q", **change}

    response = client.post(
        SIGN_IN,
        data={k: v for k, v in fields.items() if v is not None},
        headers=headers,
        follow_redirects=False,
    )

    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_a_consent_form_without_a_session_is_403(client, browser):
    app = App(register_app())
    page = browser.consent_page(app.authorization_url())
    client.cookies.delete("apiserver_session", path="/auth/oauth2/")
    assert browser.decide(page).status_code == 403


@pytest.mark.parametrize(
    ("username", "password"),
    [("root", "wrong"), ("nobody", "q"), ("sleepy", "long enough"), ("root", "x" * 150)],
)
def test_wrong_credentials_show_the_page_again_with_an_error(client, browser, username, password):
    from tests.factories import make_user

    make_user(username="sleepy", password="long enough", is_active=False)
    page = browser.open(App(register_app()).authorization_url())

    again = browser.sign_in(page, username, password)

    assert again.status_code == 200
    assert "Wrong username or password." in again.text
    assert forms(again.text)[0].fields["next"] == forms(page.text)[0].fields["next"]
    assert "apiserver_session" not in again.headers.get("set-cookie", "")


def test_the_session_id_is_new_at_every_sign_in(browser):
    from storage import browser_sessions

    page = browser.open(App(register_app()).authorization_url())
    first = browser.sign_in(page).cookies["apiserver_session"]
    second = browser.sign_in(page).cookies["apiserver_session"]  # the browser sends the first

    assert first != second
    assert browser_sessions.user_of(first) is None
    assert browser_sessions.user_of(second)["username"] == "root"


def test_leaving_out_the_redirect_uri_sent_to_authorize_is_invalid_grant(client, browser):
    app = App(register_app())
    code = app.code_from(browser.authorize(app))
    assert_oauth_error(app.token_request(client, code, redirect_uri=None), 400, "invalid_grant")


def test_sign_out_ends_the_session(client, browser):
    app = App(register_app())
    consent = browser.consent_page(app.authorization_url())
    sign_out = next(form for form in forms(consent.text) if form.action == SIGN_OUT)

    signed_out = client.post(SIGN_OUT, data=sign_out.fields, follow_redirects=False)

    assert signed_out.status_code == 200
    assert "You are signed out." in signed_out.text
    page = browser.open(app.authorization_url())
    assert forms(page.text)[0].action == SIGN_IN  # asked to sign in again


def test_sign_out_needs_the_csrf_token(client, browser):
    browser.consent_page(App(register_app()).authorization_url())
    assert client.post(SIGN_OUT, data={}, follow_redirects=False).status_code == 403


def test_the_failed_sign_in_rate_limit_gives_a_429_page(client, browser, monkeypatch):
    from web import rate_limits
    from web.rate_limits import RateLimited

    def used_up(kind, key):
        raise RateLimited(kind, 30)

    monkeypatch.setattr(rate_limits, "check", used_up)
    page = browser.open(App(register_app()).authorization_url())
    response = browser.sign_in(page, "root", "wrong")

    assert response.status_code == 429
    assert response.headers["retry-after"] == "30"
    assert response.headers["content-type"].startswith("text/html")


def test_a_session_cookie_is_secure_when_the_issuer_is_https(client, browser, monkeypatch):
    import dataclasses

    from storage import db

    monkeypatch.setattr(
        db, "_settings", dataclasses.replace(db.settings(), issuer="https://auth.example")
    )
    page = browser.open(App(register_app()).authorization_url())
    assert "Secure" in page.headers["set-cookie"]  # the CSRF cookie
    client.cookies.clear()


# Remembered consent ----------------------------------------------------------------------------


def test_a_confidential_client_allowed_before_is_not_asked_again(client, browser):
    app = App(register_app("confidential"))
    browser.authorize(app, "users:read teams:read")

    again = browser.open(app.authorization_url("users:read"))  # the same or fewer scopes

    assert again.status_code == 303
    assert_token(
        app.token_request(client, app.code_from(again.headers["location"])), scope="users:read"
    )


def test_more_scopes_or_prompt_consent_ask_again(browser):
    app = App(register_app("confidential"))
    browser.authorize(app, "users:read")

    assert browser.open(app.authorization_url("users:read teams:read")).status_code == 200
    assert browser.open(app.authorization_url("users:read", prompt="consent")).status_code == 200


def test_a_public_client_is_asked_every_time(browser):
    app = App(register_app("public"))
    browser.authorize(app, "users:read")
    assert browser.open(app.authorization_url("users:read")).status_code == 200


# Concurrent redemptions ------------------------------------------------------------------------


def test_of_ten_concurrent_redemptions_of_one_code_exactly_one_succeeds(live_app):
    from concurrent.futures import ThreadPoolExecutor

    client = live_app.test_client()
    app = App(register_app())
    code = app.code_from(Browser(client).authorize(app))

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: app.token_request(client, code), range(10)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [400] * 9, statuses
    for answer in answers:
        if answer.status_code == 400:
            assert answer.json()["error"] == "invalid_grant"


def test_a_consent_form_whose_request_was_tampered_with_is_checked_again(client, browser):
    app = App(register_app())
    page = browser.consent_page(app.authorization_url())
    form = next(form for form in forms(page.text) if "decision" in form.buttons)
    fields = {**form.fields, "decision": "allow", "code_challenge_method": "plain"}

    response = client.post(AUTHORIZE, data=fields, follow_redirects=False)

    assert response.status_code == 303
    assert query_of(response.headers["location"])["error"] == "invalid_request"


def test_a_consent_form_for_another_redirect_uri_is_a_400_page(client, browser):
    app = App(register_app())
    page = browser.consent_page(app.authorization_url())
    form = next(form for form in forms(page.text) if "decision" in form.buttons)
    fields = {**form.fields, "decision": "allow", "redirect_uri": "https://evil.example/"}

    response = client.post(AUTHORIZE, data=fields, follow_redirects=False)

    assert response.status_code == 400
    assert "location" not in response.headers


def test_signing_out_without_a_session_is_harmless(client, browser):
    page = browser.open(App(register_app()).authorization_url())  # the sign-in page, a token
    token = forms(page.text)[0].fields["csrf_token"]
    response = client.post(SIGN_OUT, data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 200


def test_without_state_the_code_comes_back_alone(client, browser):
    app = App(register_app())
    app.state = None
    location = browser.authorize(app)
    answer = query_of(location)
    assert set(answer) == {"code", "iss"}


def test_html_in_what_the_pages_repeat_is_escaped(client, browser):
    app = App(register_app())
    app.state = '"><script>alert(1)</script>'
    page = browser.consent_page(app.authorization_url())
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
