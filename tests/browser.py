"""A person's browser and an application, for the authorization code flow's tests.

The application is Authlib's OAuth 2 client code (the authorization URL with PKCE S256, the
parsing of the redirect, the token request); the person is the test client, which keeps cookies
as a browser does, reading each HTML page's forms and posting them back.
"""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import (
    parse_authorization_code_response,
    prepare_grant_uri,
    prepare_token_request,
)
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from domain import clients as client_rules
from storage import users
from tests.helpers import TOKEN, basic

AUTHORIZE = "/auth/oauth2/authorize"
SIGN_IN = "/auth/oauth2/sign_in"
SIGN_OUT = "/auth/oauth2/sign_out"
REDIRECT_URI = "https://app.example/callback"


@dataclasses.dataclass
class Form:
    action: str
    fields: dict[str, str]
    buttons: dict[str, list[str]]  # submit buttons: name -> their values


class FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(Form(attributes.get("action", ""), {}, {}))
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1].fields[attributes["name"]] = attributes.get("value") or ""
        elif tag == "button" and self.forms and attributes.get("name"):
            self.forms[-1].buttons.setdefault(attributes["name"], []).append(attributes["value"])


def forms(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def register_app(client_type: str = "public", redirect_uris=(REDIRECT_URI,), **fields) -> dict:
    """A client of the ``user`` account that may use the code grant."""
    owner = users.get_user_by_username("user")
    return client_rules.register_client(
        owner_id=owner["id"],
        client_type=client_type,
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=list(redirect_uris),
        **fields,
    )


class App:
    """An application using the code flow with PKCE, as Authlib's clients do."""

    def __init__(self, registered: dict, redirect_uri: str | None = REDIRECT_URI) -> None:
        self.client_id = registered["client_id"]
        self.secret = registered["client_secret"] if registered["client_type"] != "public" else None
        self.redirect_uri = redirect_uri
        self.verifier = generate_token(48)
        self.state = generate_token(20)

    def authorization_url(self, scope: str | None = None, **extra) -> str:
        params = {
            "code_challenge": create_s256_code_challenge(self.verifier),
            "code_challenge_method": "S256",
            **extra,
        }
        return prepare_grant_uri(
            AUTHORIZE,
            self.client_id,
            "code",
            redirect_uri=self.redirect_uri,
            scope=scope,
            state=self.state,
            **{name: value for name, value in params.items() if value is not None},
        )

    def code_from(self, location: str) -> str:
        """The code of the redirect, after checking its ``state`` (Authlib) and ``iss``."""
        assert location.startswith(self.redirect_uri or REDIRECT_URI), location
        params = parse_authorization_code_response(location, self.state)
        assert params["iss"] == "http://127.0.0.1:5000", params
        return params["code"]

    def token_request(self, client, code: str, **overrides):
        params = {"code": code, "redirect_uri": self.redirect_uri, "code_verifier": self.verifier}
        params.update(overrides)
        params = {name: value for name, value in params.items() if value is not None}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.secret:
            headers.update(basic(self.client_id, self.secret))
        else:
            params["client_id"] = self.client_id
        body = (
            prepare_token_request("authorization_code", **params)
            if "code" in params
            else urlencode({"grant_type": "authorization_code", **params})
        )
        return client.post(TOKEN, content=body, headers=headers)


class Browser:
    """A person at a browser: follows the pages, fills in and posts their forms."""

    def __init__(self, client) -> None:
        self.client = client

    def open(self, url: str):
        return self.client.get(url, follow_redirects=False)

    def sign_in(self, page, username="root", password="q", **headers):
        form = forms(page.text)[0]
        assert form.action == SIGN_IN
        fields = {**form.fields, "username": username, "password": password}
        return self.client.post(SIGN_IN, data=fields, headers=headers, follow_redirects=False)

    def decide(self, page, decision="allow", **headers):
        form = next(form for form in forms(page.text) if "decision" in form.buttons)
        assert form.action == AUTHORIZE
        assert decision in form.buttons["decision"]
        fields = {**form.fields, "decision": decision}
        return self.client.post(AUTHORIZE, data=fields, headers=headers, follow_redirects=False)

    def consent_page(self, url: str, username="root", password="q"):
        """Open ``url``, signing in on the way if asked to: the consent page (or a redirect)."""
        page = self.open(url)
        if forms(page.text) and forms(page.text)[0].action == SIGN_IN:
            signed_in = self.sign_in(page, username, password)
            assert signed_in.status_code == 303, signed_in.text
            page = self.open(signed_in.headers["location"])
        return page

    def authorize(self, app: App, scope: str | None = None, **extra) -> str:
        """The whole flow up to the redirect back to ``app``: its Location."""
        page = self.consent_page(app.authorization_url(scope, **extra))
        answer = self.decide(page) if page.status_code == 200 else page
        assert answer.status_code == 303, answer.text
        return answer.headers["location"]


def location_path(response) -> str:
    parts = urlsplit(response.headers["location"])
    return parts.path
