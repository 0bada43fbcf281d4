"""Abuse protection and request hygiene: rate limits, body size, headers, request ids, logs."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import uuid

import pytest

from tests.helpers import assert_problem, auth, password_grant
from web import rate_limits as limits


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
        assert_problem(response, 429)


# draft-ietf-httpapi-ratelimit-headers, as RFC 9651 structured fields: a list of one item, a
# string (the policy's name) with integer parameters.
SF_ITEM = re.compile(r'^"(?P<name>(?:[^"\\]|\\.)*)"(?P<params>(?:;\s*[a-z*][a-z0-9_.*-]*=\d+)*)$')
SF_PARAM = re.compile(r";\s*([a-z*][a-z0-9_.*-]*)=(\d+)")


def structured_item(value: str) -> tuple[str, dict[str, int]]:
    match = SF_ITEM.match(value)
    assert match, f"not a structured-field string item with integer parameters: {value!r}"
    return match["name"], {key: int(number) for key, number in SF_PARAM.findall(match["params"])}


def rate_limit_state(response) -> dict:
    """The policy both RateLimit headers name, with its q, w, r and t."""
    policy, quota = structured_item(response.headers["ratelimit-policy"])
    name, state = structured_item(response.headers["ratelimit"])
    assert name == policy and set(quota) == {"q", "w"} and set(state) == {"r", "t"}
    return {"policy": policy, **quota, **state}


def sign_up(client):
    name = uuid.uuid4().hex[:12]
    return client.post(
        "/api/v1/users/",
        json={"username": name, "email": f"{name}@x.org", "password": "long enough"},
    )


def bearer_call(client, people, n):
    # 2xx and 4xx alike: the 404s are counted too.
    path = "/api/v1/teams/999999" if n % 2 else "/api/v1/users/me"
    return client.get(path, headers=auth(people["alice"]))


# kind: (the nth counted request, the statuses until the quota is used up, policy, q, w), with
# the small numbers of the rate_limits fixture.
COUNTED = {
    "bearer": (bearer_call, [200, 404, 200, 404, 200], "per_token", 5, 60),
    "sign-up": (lambda client, people, n: sign_up(client), [201, 201], "signup_ip", 2, 3600),
    # token_ip (3/minute here) has less left than login_failures (3/minute, none counted).
    "token": (lambda client, people, n: password_grant(client), [200] * 3, "token_ip", 3, 60),
    # Counted by token_ip (1000/minute) and login_failures (3/minute): the latter has less left.
    "failed-password": (
        lambda client, people, n: password_grant(client, password="wrong"),
        [400] * 3,
        "login_failures",
        3,
        60,
    ),
}


@pytest.mark.parametrize("kind", COUNTED)
def test_counted_requests_carry_the_rate_limit_headers(client, people, rate_limits, kind):
    send, statuses, policy, quota, window = COUNTED[kind]
    if kind == "token":
        rate_limits(rate_limit_token_ip="3/minute")

    responses = [send(client, people, n) for n in range(len(statuses))]

    assert [response.status_code for response in responses] == statuses
    states = [rate_limit_state(response) for response in responses]
    assert [(state["policy"], state["q"], state["w"]) for state in states] == [
        (policy, quota, window)
    ] * len(statuses)
    assert [state["r"] for state in states] == list(range(quota - 1, -1, -1))
    assert all(0 < state["t"] <= window for state in states)

    refused = send(client, people, len(statuses))  # the quota is used up
    assert_429(refused, oauth=kind in ("token", "failed-password"))
    state = rate_limit_state(refused)
    assert (state["policy"], state["q"], state["w"], state["r"]) == (policy, quota, window, 0)
    assert 1 <= state["t"] <= window
    assert state["t"] == int(refused.headers["retry-after"])


def test_no_rate_limit_headers_when_rate_limits_are_off(client, people, demo_data):
    responses = [
        client.get("/api/v1/users/me", headers=auth(people["alice"])),
        sign_up(client),
        password_grant(client),
        password_grant(client, password="wrong"),
    ]

    assert [response.status_code for response in responses] == [200, 201, 200, 400]
    for response in responses:
        assert "ratelimit" not in response.headers
        assert "ratelimit-policy" not in response.headers


def test_requests_that_no_limit_counts_carry_no_rate_limit_headers(client, rate_limits):
    for path in ("/health/live", "/api/v1/users/me", "/api/v1/openapi.json"):
        assert "ratelimit" not in client.get(path).headers


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
    assert [sign_up(client).status_code for _ in range(2)] == [201, 201]
    assert_429(sign_up(client))


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
    responses = [client.get("/api/v1/users/me", headers=headers) for _ in range(3)]
    # Another node starts with its own limiter on the same Redis: it sees the same counters.
    rate_limits(redis_url="redis://127.0.0.1:6379/15")
    responses += [client.get("/api/v1/users/me", headers=headers) for _ in range(3)]

    assert [response.status_code for response in responses] == [200] * 5 + [429]
    states = [rate_limit_state(response) for response in responses]
    assert [state["r"] for state in states] == [4, 3, 2, 1, 0, 0]
    # Even the first, whose key Redis had just created (limits then reads a reset of 0 s).
    assert all(1 <= state["t"] <= 60 for state in states), states


def test_an_unreachable_limiter_store_lets_requests_through(client, people, rate_limits, caplog):
    rate_limits(redis_url="redis://127.0.0.1:1/0")
    response = client.get("/api/v1/users/me", headers=auth(people["alice"]))
    assert response.status_code == 200
    assert "ratelimit" not in response.headers and "ratelimit-policy" not in response.headers
    assert any("rate limiter unavailable" in record.message for record in caplog.records)


def test_oversized_bodies_are_413(client, settings):
    limit = settings.max_body_bytes
    response = client.post(
        "/api/v1/users/", content=b"x" * (limit + 1), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)

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

    from web.request_log import JsonFormatter

    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["operation_id"] == "get_user" and line["level"] == "INFO"
