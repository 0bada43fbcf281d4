"""Request bodies sent chunked (Transfer-Encoding: chunked, no Content-Length) are read like any
other: Connexion 3.3 alone would take them for missing bodies (spec-first/connexion#2020), so
web.rate_limits.BodySizeLimit reads them first, up to MAX_BODY_BYTES (then 413).

The in-process test client sends a generator body chunked, one ASGI message per chunk, exactly as
uvicorn hands it over; one test checks a real ``apiserver serve`` as well.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
import pytest

from tests.helpers import assert_problem, auth
from tests.servers import apiserver, running_server, server_env

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
