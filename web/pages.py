"""The HTML pages of the authorization code flow: Jinja2 templates (autoescaped) in
``web/templates``, and the headers every page gets.

Pages are never cached and never framed (RFC 9700 §4.16), and keep this site's origin in the
Referer so that browsers send a real ``Origin`` on the forms' POSTs (auth/csrf.py checks it).
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from starlette.responses import HTMLResponse, RedirectResponse, Response

import openapi
from auth import csrf
from storage.db import settings

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
SESSION_COOKIE = "apiserver_session"
COOKIE_PATH = "/auth/oauth2/"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    # Avoid form-action 'self': Chrome applies it to the 303 to the client's redirect URI too.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "same-origin",
}
SIGN_IN_PATH = openapi.path_for("sign_in")
SIGN_OUT_PATH = openapi.path_for("sign_out")
AUTHORIZE_PATH = openapi.path_for("authorize")


def page_paths() -> frozenset[str]:
    """The paths whose operations answer HTML (the sign-in tag): their errors are pages too."""
    return frozenset(
        path
        for _method, path, operation in openapi.operations().values()
        if "sign-in" in operation.get("tags", [])
    )


def _secure() -> bool:
    return settings().issuer.startswith("https://")


def set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=_secure(),
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, secure=_secure(), httponly=True, samesite="lax")


def render(
    template: str, status: int = 200, *, csrf_cookie: str | None = None, **context
) -> HTMLResponse:
    """A page; with ``csrf_cookie`` (the browser's, or None for a new one) its forms get a
    CSRF token and the browser the cookie it is bound to."""
    cookie = csrf_cookie or csrf.new_cookie_value()
    body = TEMPLATES.get_template(template).render(csrf_token=csrf.token_for(cookie), **context)
    response = HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)
    if csrf_cookie is None:
        set_cookie(response, csrf.COOKIE, cookie)
    return response


def sign_in(next_url: str, csrf_cookie: str | None, *, username: str = "", error: str = ""):
    return render(
        "sign_in.html",
        csrf_cookie=csrf_cookie,
        title="Sign in",
        action=SIGN_IN_PATH,
        next=next_url,
        username=username,
        error=error,
    )


def consent(client, user: dict, scopes: list[str], params: dict, csrf_cookie: str | None):
    words = openapi.bundle()["components"]["securitySchemes"]["oauth2"]["flows"][
        "authorizationCode"
    ]["scopes"]
    return render(
        "consent.html",
        csrf_cookie=csrf_cookie,
        title=f"Allow {client.client_id}?",
        action=AUTHORIZE_PATH,
        sign_out=SIGN_OUT_PATH,
        client_id=client.client_id,
        owner=client.owner,
        user=user,
        scopes=[(scope, words.get(scope, scope)) for scope in scopes],
        redirect_to=params.get("redirect_uri") or client.redirect_uris[0],
        params=sorted(params.items()),
    )


def message(status: int, title: str, text: str, headers: dict | None = None) -> HTMLResponse:
    body = TEMPLATES.get_template("message.html").render(title=title, message=text, status=status)
    return HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def see_other(location: str, headers: dict | None = None) -> RedirectResponse:
    """303: the browser GETs ``location`` next, whatever the method was (RFC 9700 §4.12)."""
    return RedirectResponse(
        location, status_code=303, headers={"Cache-Control": "no-store", **(headers or {})}
    )
