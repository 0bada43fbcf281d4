"""The pages of the authorization code flow: authorize (sign-in or consent page), the consent
decision, sign-in and sign-out. HTML in, HTML or a 303 out; errors are pages (web/problems.py).
"""

from __future__ import annotations

from connexion import request

from auth import authorization_code, csrf
from auth.authorization_code import Redirect
from domain import consents
from domain import users as user_rules
from storage import browser_sessions
from storage.errors import PermissionDenied
from web import pages, rate_limits

SESSION_ENDED = "Your sign-in has ended. Go back to the application and start again."


def authorize(**_parameters):
    outcome = authorization_code.review(request.url.query)
    if isinstance(outcome, Redirect):
        return pages.see_other(outcome.location)
    user = _signed_in_user()
    if user is None:
        next_url = f"{pages.AUTHORIZE_PATH}?{request.url.query}"
        return pages.sign_in(next_url, _csrf_cookie())
    if consents.remembered(outcome, user):
        return pages.see_other(authorization_code.allow(outcome, user).location)
    return pages.consent(outcome.client, user, outcome.scopes, outcome.params, _csrf_cookie())


def decide_authorization(body):
    form = dict(body)
    _require_csrf(form.pop("csrf_token", None))
    decision = form.pop("decision")
    user = _signed_in_user()
    if user is None:
        raise PermissionDenied(SESSION_ENDED)
    outcome = authorization_code.review(form)
    if isinstance(outcome, Redirect):
        return pages.see_other(outcome.location)
    if decision == "deny":
        return pages.see_other(authorization_code.deny(outcome).location)
    return pages.see_other(consents.allow(outcome, user).location)


def sign_in(body):
    _require_csrf(body.get("csrf_token"))
    username = body["username"]
    rate_limits.check("login_failures", username)
    user = user_rules.authenticate(username, body["password"])
    if user is None:
        rate_limits.hit("login_failures", username)  # brute force is counted per account
        return pages.sign_in(
            body["next"], _csrf_cookie(), username=username, error="Wrong username or password."
        )
    # A new session id at every sign-in: one planted in the browser before is worth nothing.
    session_id = browser_sessions.start(user["id"], replacing=_session_id())
    response = pages.see_other(body["next"])
    pages.set_cookie(
        response,
        pages.SESSION_COOKIE,
        session_id,
        max_age=int(browser_sessions.SESSION_TTL.total_seconds()),
    )
    return response


def sign_out(body=None):
    _require_csrf((body or {}).get("csrf_token"))
    if _session_id():
        browser_sessions.end(_session_id())
    response = pages.message(200, "Signed out", "You are signed out.")
    pages.clear_cookie(response, pages.SESSION_COOKIE)
    return response


def _session_id() -> str | None:
    return request.cookies.get(pages.SESSION_COOKIE) or None


def _signed_in_user() -> dict | None:
    session_id = _session_id()
    return browser_sessions.user_of(session_id) if session_id else None


def _csrf_cookie() -> str | None:
    return request.cookies.get(csrf.COOKIE) or None


def _require_csrf(token: str | None) -> None:
    origin = request.headers.get("origin")
    if not csrf.passes(token, _csrf_cookie(), origin, str(request.base_url)):
        raise PermissionDenied(
            "This form has expired or did not come from this site. Reload the page and try again."
        )
