"""Every error becomes an RFC 9457 ``application/problem+json`` document, mapped here once."""

from __future__ import annotations

import json
import logging
import typing as t
from http import HTTPStatus

from connexion.exceptions import OAuthScopeProblem, ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from auth import authorization_server
from storage.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    Unauthenticated,
    Unavailable,
    Unprocessable,
)
from web import pages
from web.rate_limits import PayloadTooLarge, RateLimited

log = logging.getLogger("apiserver.errors")

PROBLEM_TYPE = "application/problem+json"

# Domain error -> HTTP status. Storage raises these; this is the only place they meet HTTP.
DOMAIN_STATUSES: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    NotFound: 404,
    PermissionDenied: 403,
    Conflict: 409,
    PreconditionFailed: 412,
    Unprocessable: 422,
    Unavailable: 503,
}
RETRY_AFTER_SECONDS = "5"
BEARER_CHALLENGE = 'Bearer realm="apiserver", error="invalid_token"'
OAUTH2_PREFIX = "/auth/oauth2/"
PAGE_PATHS = pages.page_paths()
# Under /auth/oauth2 errors take RFC 6749's shape; these are the codes for statuses we meet there.
OAUTH2_ERRORS = {
    401: "invalid_client",
    429: "temporarily_unavailable",
    500: "server_error",
    503: "temporarily_unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
    path: str = "",
) -> ConnexionResponse:
    """An RFC 9457 problem document; an HTML page on the sign-in pages' paths; an RFC 6749
    error elsewhere under /auth/oauth2."""
    if path in PAGE_PATHS:
        return error_page(status, detail, headers)
    if path.startswith(OAUTH2_PREFIX):
        return oauth2_error(status, detail, headers)
    if status == 401:
        headers = {"WWW-Authenticate": BEARER_CHALLENGE, **(headers or {})}
    body: dict[str, t.Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return ConnexionResponse(
        status_code=status,
        content_type=PROBLEM_TYPE,
        mimetype=PROBLEM_TYPE,
        body=json.dumps(body),
        headers=headers or {},
    )


def error_page(status: int, detail: str, headers: dict | None = None) -> ConnexionResponse:
    page = pages.message(status, HTTPStatus(status).phrase, detail, headers)
    return ConnexionResponse(
        status_code=status,
        content_type=page.media_type,
        mimetype="text/html",
        body=page.body,
        headers={
            name: value
            for name, value in page.headers.items()
            if name.lower() not in ("content-length", "content-type")
        },
    )


def oauth2_error(status: int, description: str, headers: dict | None = None) -> ConnexionResponse:
    code = OAUTH2_ERRORS.get(status, "invalid_request")
    headers = authorization_server.answer_headers(status, headers)
    return ConnexionResponse(
        status_code=status,
        content_type="application/json",
        mimetype="application/json",
        body=json.dumps({"error": code, "error_description": description}),
        headers=headers,
    )


def from_domain_error(request: ConnexionRequest, error: DomainError) -> ConnexionResponse:
    status = DOMAIN_STATUSES.get(type(error), 400)
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
    return problem(
        status, error.detail, errors=error.errors, headers=headers, path=request.url.path
    )


def from_problem_exception(request: ConnexionRequest, error: ProblemException) -> ConnexionResponse:
    return problem(
        error.status,
        error.detail or error.title or HTTPStatus(error.status).phrase,
        title=error.title,
        errors=(error.ext or {}).get("errors"),
        headers=dict(error.headers or {}),
        path=request.url.path,
    )


def from_missing_scope(request: ConnexionRequest, error: OAuthScopeProblem) -> ConnexionResponse:
    """403 naming the scopes the token lacks (not the ones it has)."""
    granted = error.token_scopes
    granted = set(granted.split() if isinstance(granted, str) else granted)
    missing = " ".join(sorted(set(error.required_scopes) - granted))
    return problem(403, f"The token lacks the scope(s) this operation needs: {missing}.")


def from_http_exception(request: ConnexionRequest, error: HTTPException) -> ConnexionResponse:
    phrase = HTTPStatus(error.status_code).phrase
    return problem(
        error.status_code,
        str(error.detail or phrase),
        headers=dict(error.headers or {}),
        path=request.url.path,
    )


def from_rate_limit(request: ConnexionRequest, error: RateLimited) -> ConnexionResponse:
    return problem(
        429,
        f"Too many requests ({error.what.replace('_', ' ')}); try again in {error.retry_after} s.",
        headers={"Retry-After": str(error.retry_after)},
        path=request.url.path,
    )


def from_oversized_body(request: ConnexionRequest, error: PayloadTooLarge) -> ConnexionResponse:
    return problem(
        413, f"The request body is larger than {error.limit} bytes.", path=request.url.path
    )


def from_undecodable_body(
    request: ConnexionRequest, error: UnicodeDecodeError
) -> ConnexionResponse:
    return problem(400, "The request is not valid UTF-8.", path=request.url.path)


def from_unexpected_error(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, "The server failed to handle this request.", path=request.url.path)


# Most specific first: Connexion's exception middleware picks the first class that matches.
ERROR_HANDLERS: list[tuple[type[Exception], t.Callable]] = [
    (DomainError, from_domain_error),
    (OAuthScopeProblem, from_missing_scope),
    (RateLimited, from_rate_limit),
    (PayloadTooLarge, from_oversized_body),
    (ProblemException, from_problem_exception),
    (HTTPException, from_http_exception),
    (UnicodeDecodeError, from_undecodable_body),
    (Exception, from_unexpected_error),
]
