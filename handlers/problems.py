"""Every error becomes an RFC 9457 ``application/problem+json`` document, mapped here once."""

from __future__ import annotations

import json
import logging
import typing as t
from http import HTTPStatus

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from storage.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    Unavailable,
    Unprocessable,
)

log = logging.getLogger("apiserver.errors")

PROBLEM_TYPE = "application/problem+json"

# Domain error -> HTTP status. Storage raises these; this is the only place they meet HTTP.
DOMAIN_STATUSES: dict[type[DomainError], int] = {
    NotFound: 404,
    PermissionDenied: 403,
    Conflict: 409,
    PreconditionFailed: 412,
    Unprocessable: 422,
    Unavailable: 503,
}
RETRY_AFTER_SECONDS = "5"


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> ConnexionResponse:
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


def from_domain_error(request: ConnexionRequest, error: DomainError) -> ConnexionResponse:
    status = DOMAIN_STATUSES.get(type(error), 400)
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
    return problem(status, error.detail, errors=error.errors, headers=headers)


def from_problem_exception(request: ConnexionRequest, error: ProblemException) -> ConnexionResponse:
    return problem(
        error.status,
        error.detail or error.title or HTTPStatus(error.status).phrase,
        title=error.title,
        errors=(error.ext or {}).get("errors"),
        headers=dict(error.headers or {}),
    )


def from_http_exception(request: ConnexionRequest, error: HTTPException) -> ConnexionResponse:
    phrase = HTTPStatus(error.status_code).phrase
    return problem(
        error.status_code, str(error.detail or phrase), headers=dict(error.headers or {})
    )


def from_undecodable_body(
    request: ConnexionRequest, error: UnicodeDecodeError
) -> ConnexionResponse:
    return problem(400, "The request is not valid UTF-8.")


def from_unexpected_error(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, "The server failed to handle this request.")


ERROR_HANDLERS: list[tuple[type[Exception], t.Callable]] = [
    (DomainError, from_domain_error),
    (ProblemException, from_problem_exception),
    (HTTPException, from_http_exception),
    (UnicodeDecodeError, from_undecodable_body),
    (Exception, from_unexpected_error),
]
