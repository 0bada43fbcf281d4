"""Abuse protection: rate limits and their IETF RateLimit headers, and the request body size
limit, whether the body comes with a Content-Length or chunked.

Request bodies sent chunked (Transfer-Encoding: chunked, no Content-Length) are read like any
other: Connexion 3.3 alone would take them for missing bodies, so web.rate_limits.BodySizeLimit
reads them first, up to MAX_BODY_BYTES (then 413). The in-process test client sends a generator
body chunked, one ASGI message per chunk, exactly as uvicorn hands it over; one test checks a
real ``apiserver serve`` as well.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import socket
import time
import uuid
from urllib.parse import urlencode

import httpx
import pytest
import redis

from storage import db
from tests.helpers import assert_problem, auth, away_from_a_minute_boundary, password_grant
from tests.servers import apiserver, running_server, server_env
from web import rate_limits as limits

pytestmark = pytest.mark.needs(
    "redis",
    tests=[
        "test_counters_in_redis_are_shared_by_every_node",
        "test_one_round_trip_counts_where_the_limits_library_reads",
        "test_a_redis_that_lost_its_scripts_is_given_them_again",
        "test_counting_goes_on_when_redis_closed_the_idle_connections",
        "test_the_loop_opens_no_more_connections_than_redis_url_allows",
    ],
)


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

    away_from_a_minute_boundary()
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


# Rate limits -----------------------------------------------------------------------------------


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


def test_one_round_trip_counts_where_the_limits_library_reads(rate_limits):
    """A hit in Redis is one script (web/sliding_window_hit.lua) over limits' own keys: limits'
    reads (check(), another version's limiter) see each count and agree on what is left and
    when it comes back, whether the count came from a thread or from the event loop."""
    rate_limits(redis_url="redis://127.0.0.1:6379/15")
    library = limits._state.limiter
    library.storage.reset()
    item = limits._state.rates["per_token"]  # 5/minute
    key = uuid.uuid4().hex

    async def on_the_loop():
        try:
            return await db.run_on_the_loop(limits._counted, item, "per_token", key)
        finally:
            await limits.close_loop_connections()

    counted = [limits._counted(item, "per_token", key) for _ in range(3)]
    counted += [asyncio.run(on_the_loop()) for _ in range(3)]

    assert [allowed for allowed, _ in counted] == [True] * 5 + [False]
    assert [stats.remaining for _, stats in counted] == [4, 3, 2, 1, 0, 0]
    read = library.get_window_stats(item, "per_token", key)
    assert read.remaining == 0
    assert abs(read.reset_time - counted[-1][1].reset_time) < 1
    assert library.hit(item, "per_token", key) is False
    assert library.test(item, "per_token", key) is False


def test_a_redis_that_lost_its_scripts_is_given_them_again(rate_limits):
    """Redis restarted or flushed forgets SLIDING_WINDOW_HIT: the next count loads it again and
    counts, on the event loop (web.rate_limits._LoopCounter) as in threads (redis-py)."""
    rate_limits(redis_url="redis://127.0.0.1:6379/15")
    limits._state.limiter.storage.reset()
    item, key = limits._state.rates["per_token"], uuid.uuid4().hex
    server = redis.Redis.from_url("redis://127.0.0.1:6379/15")

    async def on_the_loop():
        try:
            counted = [await db.run_on_the_loop(limits._counted, item, "per_token", key)]
            server.script_flush()
            counted.append(await db.run_on_the_loop(limits._counted, item, "per_token", key))
            return counted
        finally:
            await limits.close_loop_connections()

    server.script_flush()
    counted = asyncio.run(on_the_loop())
    server.script_flush()
    counted.append(limits._counted(item, "per_token", key))

    assert [(allowed, stats.remaining) for allowed, stats in counted] == [
        (True, 4),
        (True, 3),
        (True, 2),
    ]


@pytest.mark.parametrize("scripts_lost", [False, True], ids=["connections closed", "restarted"])
def test_counting_goes_on_when_redis_closed_the_idle_connections(rate_limits, scripts_lost):
    """A restarted Redis closed every idle connection of the loop (and may have lost its
    scripts): the next count notices on its exchange, drops them all and counts on a new
    connection, nothing let through uncounted."""
    rate_limits(redis_url="redis://127.0.0.1:6379/15")
    limits._state.limiter.storage.reset()
    item, key = limits._state.rates["per_token"], uuid.uuid4().hex
    server = redis.Redis.from_url("redis://127.0.0.1:6379/15")

    def count():
        return db.run_on_the_loop(limits._counted, item, "per_token", key)

    async def on_the_loop():
        try:
            counted = await asyncio.gather(count(), count(), count())  # three connections
            counter = limits._loop_counter()
            idle = list(counter.idle)
            for client in server.client_list():  # the loop's connections, nobody else's
                if client["cmd"] == "evalsha" and client["db"] == "15":
                    server.client_kill_filter(_id=client["id"])
            if scripts_lost:
                server.script_flush()
            counted.append(await count())
            return counted, idle, counter.idle
        finally:
            await limits.close_loop_connections()

    counted, idle_before, idle_after = asyncio.run(on_the_loop())

    assert sorted(stats.remaining for _, stats in counted) == [1, 2, 3, 4]
    assert all(allowed for allowed, _ in counted)
    assert len(idle_before) == 3 and not set(idle_before) & set(idle_after)


def test_a_count_given_up_at_the_deadline_leaves_no_connection_behind(silent_redis):
    """A Redis that never answers: the count ends at the deadline and its connection is closed,
    never put back half-read."""
    counter = limits._LoopCounter(silent_redis)

    async def count_once():
        await limits._within_the_deadline(counter(["a", "b"], [5, 60, 1]))

    with pytest.raises(TimeoutError):
        asyncio.run(count_once())
    assert counter.idle == [] and counter.opened == set()


def test_the_loop_opens_no_more_connections_than_redis_url_allows(rate_limits):
    rate_limits(redis_url="redis://127.0.0.1:6379/15?max_connections=1")
    item = limits._state.rates["per_token"]

    async def two_at_once():
        try:
            return await asyncio.gather(
                *(db.run_on_the_loop(limits._counted, item, "per_token", uuid.uuid4().hex)
                  for _ in range(2)),
                return_exceptions=True,
            )  # fmt: skip
        finally:
            await limits.close_loop_connections()

    first, second = asyncio.run(two_at_once())
    assert first[0] is True
    assert isinstance(second, redis.exceptions.ConnectionError)
    assert "Too many connections" in str(second)


def test_an_unreachable_limiter_store_lets_requests_through(client, people, rate_limits, caplog):
    rate_limits(redis_url="redis://127.0.0.1:1/0")
    response = client.get("/api/v1/users/me", headers=auth(people["alice"]))
    assert response.status_code == 200
    assert "ratelimit" not in response.headers and "ratelimit-policy" not in response.headers
    assert any("rate limiter unavailable" in record.message for record in caplog.records)


@pytest.fixture
def silent_redis():
    """A TCP port that accepts connections (the kernel's backlog) and never answers: a Redis
    that hangs, not one that is down."""
    listener = socket.create_server(("127.0.0.1", 0))
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


@pytest.mark.parametrize(
    "request_counted",
    [
        lambda client, people: client.get("/api/v1/users/me", headers=auth(people["alice"])),
        lambda client, people: sign_up(client),
    ],
    ids=["on the event loop", "in a thread"],
)
def test_a_limiter_store_that_hangs_costs_a_request_a_second_at_most(
    client, people, rate_limits, silent_redis, caplog, request_counted
):
    rate_limits(redis_url=silent_redis)
    started = time.monotonic()
    response = request_counted(client, people)
    assert response.status_code in (200, 201)
    assert time.monotonic() - started < 2.5  # one second of waiting, then the request goes on
    assert "ratelimit" not in response.headers
    assert any("rate limiter unavailable" in record.message for record in caplog.records)


# Body size -------------------------------------------------------------------------------------


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
    # Sent chunked, without Content-Length: the chunked bodies below have more.
    assert streamed.status_code == 413

    oauth = client.post(
        "/auth/oauth2/token",
        content=b"a=" + b"x" * limit,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert oauth.status_code == 413
    assert oauth.json()["error"] == "invalid_request"


# Bodies sent chunked ---------------------------------------------------------------------------


TEAMS = "/api/v1/teams/"
TOKEN = "/auth/oauth2/token"
JSON = "application/json"
JSON_PATCH = "application/json-patch+json"
FORM = "application/x-www-form-urlencoded"

# Different on every request that succeeds: left out of the comparison.
VOLATILE = {"id", "created", "updated", "access_token", "refresh_token"}
OVERSIZED = object()  # stands for a body one byte over MAX_BODY_BYTES


def sign_in_form(password="q") -> bytes:
    return urlencode(
        {"grant_type": "password", "client_id": "documentation", "username": "root", "password": password}
    ).encode()  # fmt: skip


def in_chunks(body: bytes, size: int):
    for start in range(0, len(body), size):
        yield body[start : start + size]


def comparable(response: httpx.Response):
    body = response.json()
    if isinstance(body, dict):
        body = {key: value for key, value in body.items() if key not in VOLATILE}
    return response.status_code, response.headers["content-type"], body


@pytest.mark.parametrize(
    ("method", "path", "content_type", "body", "status"),
    [
        ("POST", TEAMS, JSON, json.dumps({"title": "Chunked"}).encode(), 201),
        ("POST", TEAMS, JSON, json.dumps({"title": "ab"}).encode(), 400),
        ("POST", TEAMS, JSON, b'{"title": ', 400),
        ("POST", TEAMS, JSON, b"", 400),
        ("POST", TEAMS, JSON, OVERSIZED, 413),
        ("POST", TEAMS, FORM, b"title=Formed", 201),
        ("POST", TEAMS, FORM, b"title=ab", 400),
        (
            "PATCH",
            "{team}",
            JSON_PATCH,
            json.dumps([{"op": "replace", "path": "/title", "value": "Patched"}]).encode(),
            200,
        ),
        (
            "PATCH",
            "{team}",
            JSON_PATCH,
            json.dumps([{"op": "replace", "path": "/id", "value": 5}]).encode(),
            400,
        ),
        (
            "PATCH",
            "{team}",
            JSON_PATCH,
            json.dumps([{"op": "test", "path": "/title", "value": "Wrong"}]).encode(),
            409,
        ),
        ("PATCH", "{team}", JSON_PATCH, b'[{"op": "replace"}]', 400),
        ("PATCH", "{team}", JSON_PATCH, OVERSIZED, 413),
        ("POST", TOKEN, FORM, sign_in_form(), 200),
        ("POST", TOKEN, FORM, sign_in_form(password="wrong"), 400),
        ("POST", TOKEN, FORM, OVERSIZED, 413),
    ],
    ids=[
        "json",
        "json-invalid",
        "json-malformed",
        "json-empty",
        "json-oversized",
        "form",
        "form-invalid",
        "json-patch",
        "json-patch-invalid",
        "json-patch-failed-test",
        "json-patch-malformed",
        "json-patch-oversized",
        "token-form",
        "token-form-wrong-password",
        "token-form-oversized",
    ],
)
def test_a_chunked_body_gets_the_answer_of_the_same_body_with_content_length(
    client, people, settings, method, path, content_type, body, status
):
    headers = {"Content-Type": content_type}
    if path != TOKEN:
        headers.update(auth(people["alice"]))
    if body is OVERSIZED:
        body = b"x" * (settings.max_body_bytes + 1)

    def send(content):
        url = path
        if path == "{team}":  # a team of its own for each request, so that both see the same
            created = client.post(TEAMS, json={"title": "Original"}, headers=auth(people["alice"]))
            url = f"{TEAMS}{created.json()['id']}"
        return client.request(method, url, content=content, headers=headers)

    with_length = send(body)
    # Small chunks, so that the body arrives in many ASGI messages.
    chunked = send(in_chunks(body, 65536 if len(body) > 65536 else 7))

    assert with_length.status_code == status, with_length.text
    assert "content-length" not in chunked.request.headers
    assert chunked.request.headers["transfer-encoding"] == "chunked"
    assert comparable(chunked) == comparable(with_length)


def test_a_real_server_reads_chunked_bodies(tmp_path):
    """uvicorn hands the app a chunked body as it arrives, with ``transfer-encoding`` in the
    scope's headers and no ``content-length``: the case the in-process tests rebuild."""
    env = server_env()
    apiserver("seed", cwd=tmp_path, env=env)
    with running_server(tmp_path, env) as base, httpx.Client(base_url=base) as http:
        form = {"Content-Type": FORM}
        signed_in = http.post(TOKEN, content=in_chunks(sign_in_form(), 5), headers=form)
        assert signed_in.status_code == 200, signed_in.text
        bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

        created = http.post(
            TEAMS,
            content=in_chunks(b'{"title": "Chunked"}', 4),
            headers={**bearer, "Content-Type": JSON},
        )
        assert created.status_code == 201, created.text
        assert created.json()["title"] == "Chunked"

        patched = http.patch(
            f"{TEAMS}{created.json()['id']}",
            content=in_chunks(b'[{"op": "replace", "path": "/title", "value": "Patched"}]', 9),
            headers={**bearer, "Content-Type": JSON_PATCH},
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["title"] == "Patched"

        oversized = http.post(
            TEAMS,
            content=in_chunks(b"x" * (1024 * 1024 + 1), 65536),
            headers={**bearer, "Content-Type": JSON},
        )
        assert_problem(oversized, 413)
    logs = "".join(path.read_text() for path in tmp_path.glob("server-*.log"))
    assert "Traceback" not in logs, logs
