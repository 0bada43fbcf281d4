"""The OAuth 2 endpoints: token, revoke, introspect. Errors here follow RFC 6749, not RFC 9457."""

from __future__ import annotations

from connexion import request
from connexion.lifecycle import ConnexionResponse

from auth import authorization_server
from auth.token_check import client_address
from web import metrics, rate_limits

TOKEN_PARAMETERS = (
    "grant_type",
    "client_id",
    "client_secret",
    "username",
    "password",
    "scope",
    "refresh_token",
    "code",
    "redirect_uri",
    "code_verifier",
)


def issue_token(body=None, **query):
    return _token(query, body)


def issue_token_from_query(**query):
    return _token(query, None)


def revoke_token(body):
    return _respond(authorization_server.revocation_response(body, _headers()))


def introspect_token(body):
    return _respond(authorization_server.introspection_response(body, _headers()))


def _token(query: dict, body: dict | None):
    """oauthlib wants one POST body: merge the (deprecated) query string into it."""
    given_query = {name: query[name] for name in TOKEN_PARAMETERS if query.get(name) is not None}
    given_body = body or {}
    twice = sorted(set(given_query) & set(given_body))
    if twice:
        return _respond(
            authorization_server.invalid_request(f"Parameter given twice: {', '.join(twice)}.")
        )
    params = {**given_query, **given_body}
    rate_limits.hit("token_ip", client_address())
    username = params.get("username") if params.get("grant_type") == "password" else None
    if username:
        rate_limits.check("login_failures", username)
    answer = authorization_server.token_response(params, _headers())
    metrics.observe_grant(params.get("grant_type"), answer[2])
    if username and answer[2] == 400 and '"invalid_grant"' in answer[1]:
        rate_limits.hit("login_failures", username)  # brute force is counted per account
    return _respond(answer)


def _headers() -> dict:
    authorization = request.headers.get("authorization")
    return {"Authorization": authorization} if authorization else {}


def _respond(answer) -> ConnexionResponse:
    headers, body, status = answer
    return ConnexionResponse(
        status_code=status,
        body=body or None,
        headers=headers,
        content_type=headers.get("Content-Type", "application/json"),
        mimetype="application/json",
    )
