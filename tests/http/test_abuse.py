"""Abuse protection and request hygiene: rate limits, body size, headers, request ids, logs."""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid

import pytest

from handlers import limits
from tests.http.helpers import auth
from tests.http.test_oauth2_token import password_grant


@pytest.fixture
def rate_limits(settings):
    """Turn rate limits on with small numbers; give a function to pass other settings."""

    def turn_on(**overrides):
        small = {
            "rate_limits": True,
            "rate_limit_token_ip": "1000/minute",
            "rate_limit_login_failures": "3/minute",
            "rate_limit_signup_ip": "2/hour",
            "rate_limit_per_token": "5/minute",
        }
        limits.configure(dataclasses.replace(settings, **{**small, **overrides}))

    turn_on()
    yield turn_on
    limits.configure(settings)


def assert_429(response, oauth=False):
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1
    if oauth:
        assert response.json()["error"] == "temporarily_unavailable"
    else:
        assert response.headers["content-type"] == "application/problem+json"


def test_failed_passwords_are_limited_per_username(client, demo_data, rate_limits):
    for _ in range(3):
        assert password_grant(client, password="wrong").status_code == 400
    # Locked for now, even with the right password; other accounts are untouched.
    assert_429(password_grant(client), oauth=True)
    assert password_grant(client, username="user", password="w").status_code == 200


def test_successful_sign_ins_do_not_count_as_failures(client, demo_data, rate_limits):
    for _ in range(5):
        assert password_grant(client).status_code == 200


def test_the_token_endpoint_is_limited_per_client_address(client, demo_data, rate_limits):
    rate_limits(rate_limit_token_ip="4/minute")
    statuses = [
        password_grant(client, password="wrong" if n % 2 else "q").status_code for n in range(5)
    ]
    assert statuses[:4] != [429] * 4
    assert statuses[4] == 429


def test_signups_are_limited_per_client_address(client, rate_limits):
    def signup():
        name = uuid.uuid4().hex[:12]
        return client.post(
            "/api/v1/users/",
            json={"username": name, "email": f"{name}@x.org", "password": "long enough"},
        )

    assert [signup().status_code for _ in range(2)] == [201, 201]
    assert_429(signup())


def test_every_token_has_a_rate_limit(client, people, rate_limits):
    headers = auth(people["alice"])
    assert [client.get("/api/v1/users/me", headers=headers).status_code for _ in range(5)] == [
        200
    ] * 5
    assert_429(client.get("/api/v1/users/me", headers=headers))
    assert client.get("/api/v1/users/me", headers=auth(people["bob"])).status_code == 200


def test_counters_in_redis_are_shared_by_every_node(client, people, rate_limits):
    rate_limits(redis_url="redis://127.0.0.1:6379/15")
    from limits.storage import storage_from_string

    storage_from_string("redis://127.0.0.1:6379/15").reset()
    headers = auth(people["alice"])
    for _ in range(3):
        assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    # Another node starts with its own limiter on the same Redis: it sees the same counters.
    rate_limits(redis_url="redis://127.0.0.1:6379/15")
    assert [client.get("/api/v1/users/me", headers=headers).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]


def test_an_unreachable_limiter_store_lets_requests_through(client, people, rate_limits, caplog):
    rate_limits(redis_url="redis://127.0.0.1:1/0")
    assert client.get("/api/v1/users/me", headers=auth(people["alice"])).status_code == 200
    assert any("rate limiter unavailable" in record.message for record in caplog.records)


def test_oversized_bodies_are_413(client, settings):
    limit = settings.max_body_bytes
    response = client.post(
        "/api/v1/users/", content=b"x" * (limit + 1), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"

    def chunks():
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    streamed = client.post(
        "/api/v1/users/", content=chunks(), headers={"Content-Type": "application/json"}
    )
    # Sent chunked, without Content-Length: tests/http/test_chunked_bodies.py has more.
    assert streamed.status_code == 413

    oauth = client.post(
        "/auth/oauth2/token",
        content=b"a=" + b"x" * limit,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert oauth.status_code == 413
    assert oauth.json()["error"] == "invalid_request"


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

    from handlers.observability import JsonFormatter

    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["operation_id"] == "get_user" and line["level"] == "INFO"
