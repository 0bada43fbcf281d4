"""What every response carries and every request leaves behind: security headers, the request
id, and one JSON access log line per request, without secrets."""

from __future__ import annotations

import json
import logging

import pytest

from tests.helpers import auth


@pytest.mark.parametrize(
    "path",
    [
        "/health/live",
        "/api/v1/users/me",
        "/api/v1/no-such-path",
        "/api/v1/ui/",
        "/auth/oauth2/token",
    ],
)
def test_security_headers_and_request_ids_on_every_response(client, path):
    response = client.get(path)

    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert len(response.headers["x-request-id"]) == 32
    if path == "/api/v1/ui/":
        assert "script-src 'self' 'unsafe-inline'" in response.headers["content-security-policy"]


def test_a_given_request_id_is_echoed_and_a_bad_one_replaced(client):
    assert (
        client.get("/health/live", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    assert (
        client.get("/health/live", headers={"X-Request-ID": "bad id\t!"}).headers["x-request-id"]
        != "bad id\t!"
    )


def test_one_json_access_log_line_per_request_without_secrets(client, people, demo_data, caplog):
    caplog.set_level(logging.INFO, logger="apiserver.access")
    client.get(
        "/auth/oauth2/token?grant_type=password&client_id=documentation&username=root&password=q"
    )
    client.get(
        f"/api/v1/users/{people['alice']['id']}",
        headers={**auth(people["alice"]), "X-Request-ID": "trace-1"},
    )

    records = [record for record in caplog.records if record.name == "apiserver.access"]
    token_line, user_line = records[-2].fields, records[-1].fields
    assert (
        token_line["query"]
        == "grant_type=password&client_id=documentation&username=root&password=%5Bredacted%5D"
    )
    server_lines = [
        r.getMessage() + json.dumps(getattr(r, "fields", {}))
        for r in caplog.records
        if r.name.startswith("apiserver")
    ]
    assert not any("password=q" in line for line in server_lines)
    assert user_line == {
        **user_line,
        "method": "GET",
        "route": "/api/v1/users/{user_id}",
        "operation_id": "get_user",
        "status": 200,
        "request_id": "trace-1",
        "user_id": str(people["alice"]["id"]),
    }
    assert user_line["duration_ms"] > 0

    from web.request_log import JsonFormatter

    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["operation_id"] == "get_user" and line["level"] == "INFO"


def test_codes_and_verifiers_in_query_strings_are_redacted():
    from web.request_log import redacted_query

    assert redacted_query("code=abc&code_verifier=def&state=xyz") == (
        "code=%5Bredacted%5D&code_verifier=%5Bredacted%5D&state=xyz"
    )
