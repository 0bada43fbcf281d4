"""What every response carries and what every request leaves behind.

``RequestLog`` (the outermost middleware): accepts or makes an ``X-Request-ID`` and echoes it,
adds the security headers, and writes one JSON log line per request: method, path, route
(the contract's path template), operationId, status, duration, request id, user id. Query
strings are logged with the values of secret parameters (passwords, tokens, client secrets)
replaced: the deprecated query-string form of the token endpoint carries passwords in the URL.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from urllib.parse import parse_qsl, urlencode

import openapi
from web import metrics

log = logging.getLogger("apiserver.access")

SECRET_PARAMETERS = frozenset(
    {
        "password",
        "client_secret",
        "refresh_token",
        "access_token",
        "token",
        "code",
        "code_verifier",
    }
)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
# Swagger UI starts itself with an inline script and inline styles; the API needs nothing.
UI_POLICY = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)
API_POLICY = b"default-src 'none'; frame-ancestors 'none'"


def redacted_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(key, "[redacted]" if key.lower() in SECRET_PARAMETERS else value) for key, value in pairs]
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extra fields given as ``extra={"fields": {...}}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # oauthlib logs request parameters (tokens, usernames) at DEBUG: never let them through.
    logging.getLogger("oauthlib").setLevel(logging.WARNING)
    logging.Formatter.converter = time.gmtime


class RequestFacts:
    """Inner middleware: copies the operation and the caller Connexion found into the shared
    ``scope["apiserver"]`` dict, for the access log written by ``RequestLog``."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        facts = scope.get("apiserver")
        if facts is not None:
            extensions = scope.get("extensions", {})
            routing = extensions.get("connexion_routing", {})
            facts["operation_id"] = routing.get("operation_id")
            facts["user_id"] = extensions.get("connexion_context", {}).get("user")
        await self.app(scope, receive, send)


class RequestLog:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        headers = dict(scope.get("headers", []))
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        scope["apiserver"] = facts = {"request_id": request_id}
        policy = UI_POLICY if scope["path"].startswith("/api/v1/ui") else API_POLICY
        status = 500

        async def send_with_headers(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [
                    (b"x-request-id", request_id.encode()),
                    *SECURITY_HEADERS,
                    (b"content-security-policy", policy),
                ]
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in extra if h[0] not in present),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            query = scope.get("query_string", b"").decode("latin-1")
            operation_id = facts.get("operation_id") or scope.get("extensions", {}).get(
                "connexion_routing", {}
            ).get("operation_id")
            if operation_id:  # Connexion names the resolved function: handlers.users.get_user
                operation_id = operation_id.rsplit(".", 1)[-1]
            route = openapi.operations().get(operation_id, (None, None))[1]
            duration = time.perf_counter() - started
            metrics.observe_request(operation_id, scope["method"], status, duration)
            log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "fields": {
                        "method": scope["method"],
                        "path": scope["path"],
                        "query": redacted_query(query) if query else "",
                        "route": route,
                        "operation_id": operation_id,
                        "status": status,
                        "duration_ms": round(duration * 1000, 2),
                        "request_id": request_id,
                        "user_id": facts.get("user_id"),
                        "client": (scope.get("client") or ("", 0))[0],
                    }
                },
            )
