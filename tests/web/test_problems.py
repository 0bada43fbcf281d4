"""Every error under /api/v1 is an RFC 9457 problem document; bad input is a 4xx, never a 500.
Messages say what is wrong and what to do, and never repeat what was sent.

A secret-looking value goes through every failing path; it must appear neither in the answer
nor in any log line, and no answer shows a Python type name or a regular expression.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import assert_problem, auth, patch

SECRET = "mySecretValue7f3a"
TEAMS = "/api/v1/teams/"
SIGNUP = "/api/v1/users/"
TOKEN = "/auth/oauth2/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# Bad input is a 4xx problem, a failure underneath a logged 500 ---------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"username": ', "application/json", 400),  # truncated JSON
        (b'{"username": "\xff\xfe"}', "application/json", 400),  # invalid UTF-8
        (b"[" * 100_000, "application/json", 400),  # nested deeper than the parser allows
        (b"", "application/json", 400),  # empty body
        (b"null", "application/json", 400),
        (b"[]", "application/json", 400),
        (b"\xff\xfe=1", "application/x-www-form-urlencoded", 400),
        (b"username=a&username=b", "application/x-www-form-urlencoded", 400),
        (
            b'{"username": "nul\\u0000", "email": "a@b.c", "password": "12345678"}',
            "application/json",
            400,
        ),
        (
            b"username=nul%00&email=a@b.c&password=12345678",
            "application/x-www-form-urlencoded",
            400,
        ),
        (b"hello", "text/plain", 415),
        (b"<xml/>", "application/xml", 415),
        (b"a=1", "multipart/form-data; boundary=x", 415),
    ],
)
def test_malformed_bodies_are_4xx_problems(client, content, content_type, status):
    response = client.post(SIGNUP, content=content, headers={"Content-Type": content_type})

    assert_problem(response, status)


def test_unknown_query_parameters_are_rejected_by_name(client):
    response = client.post(
        f"{SIGNUP}?admin=1",
        json={"username": "alice", "email": "a@example.com", "password": "correct horse"},
    )

    problem = assert_problem(response, 400)
    assert problem["errors"] == [{"field": "query.admin", "message": "is not allowed"}]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/api/v1/users/1/../../etc/passwd", 404),
        ("DELETE", SIGNUP, 405),
        ("PUT", "/health/live", 405),
    ],
)
def test_unknown_routes_and_methods_are_problems(client, method, path, status):
    assert_problem(client.request(method, path), status)


def test_the_undecodable_body_handler_answers_400():
    from web.problems import from_undecodable_body

    class Request:
        class url:
            path = "/api/v1/users/"

    response = from_undecodable_body(
        Request(), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid")
    )
    assert response.status_code == 400


def test_an_unexpected_error_is_a_logged_500_problem(client, people, monkeypatch, caplog):
    from storage import teams

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(teams, "list_teams", explode)
    response = client.get("/api/v1/teams/", headers=auth(people["alice"]))

    assert_problem(response, 500)
    assert "disk on fire" not in response.text
    assert any("unhandled error" in record.message for record in caplog.records)


# Messages: what is wrong and what to do, never what was sent -----------------------------------


def signup(client, people, **fields):
    body = {"username": "newcomer", "email": "new@example.com", "password": "long enough", **fields}
    return client.post(SIGNUP, json=body)


def token(client, people, **fields):
    data = {"grant_type": "password", "client_id": "documentation", "username": "alice", **fields}
    return client.post(TOKEN, data=data)


def team_patch(client, people, operations):
    team = client.post(TEAMS, json={"title": "Secretive"}, headers=auth(people["alice"])).json()
    return patch(client, f"{TEAMS}{team['id']}", operations, auth(people["alice"]))


CASES = {
    "json patch test": (
        lambda c, p: team_patch(c, p, [{"op": "test", "path": "/title", "value": SECRET}]),
        409,
    ),
    "json patch value": (
        lambda c, p: team_patch(c, p, [{"op": "replace", "path": "/title", "value": SECRET * 4}]),
        400,
    ),
    "json patch path": (
        lambda c, p: team_patch(c, p, [{"op": "replace", "path": f"/{SECRET}", "value": "x"}]),
        400,
    ),
    "current password": (
        lambda c, p: patch(
            c,
            f"{SIGNUP}{p['alice']['id']}",
            [
                {"op": "test", "path": "/current_password", "value": SECRET},
                {"op": "replace", "path": "/email", "value": "other@example.com"},
            ],
            auth(p["alice"]),
        ),
        403,
    ),
    "sign-up username": (lambda c, p: signup(c, p, username=f"no spaces {SECRET}"), 400),
    "sign-up email": (lambda c, p: signup(c, p, email=SECRET), 400),
    "sign-up password": (lambda c, p: signup(c, p, password=SECRET * 5), 400),
    "sign-up nul": (lambda c, p: signup(c, p, first_name=f"{SECRET}\x00"), 400),
    "query parameter": (
        lambda c, p: c.get(f"{TEAMS}?limit={SECRET}", headers=auth(p["alice"])),
        400,
    ),
    "json sent as a form": (
        lambda c, p: c.post(
            TEAMS,
            content=json.dumps({"title": SECRET}),
            headers={**auth(p["alice"]), **FORM},
        ),
        400,
    ),
    "token: wrong password": (lambda c, p: token(c, p, password=SECRET), 400),
    "token: wrong client secret": (
        lambda c, p: token(c, p, password="x", client_secret=SECRET),
        401,
    ),
    "token: password in the query": (
        lambda c, p: c.get(
            f"{TOKEN}?grant_type=password&client_id=documentation&username=alice&password={SECRET}"
        ),
        400,
    ),
    "token: nul": (lambda c, p: token(c, p, password=f"{SECRET}\x00"), 400),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_no_answer_or_log_line_repeats_a_submitted_value(client, people, caplog, case):
    send, status = CASES[case]
    caplog.clear()

    response = send(client, people)

    assert response.status_code == status, response.text
    assert SECRET not in response.text
    assert "<class" not in response.text
    assert not any(mark in response.text for mark in ("^[", "]*$", "(?:")), response.text
    server_lines = [
        record.getMessage() + json.dumps(getattr(record, "fields", {}), default=str)
        for record in caplog.records
        if record.name.startswith("apiserver")
    ]
    if case == "query parameter":
        # The access log keeps query strings (redacting passwords, secrets and tokens): an
        # operator needs to see which page was asked for.
        server_lines = [line.replace(f"limit={SECRET}", "") for line in server_lines]
    assert server_lines and not any(SECRET in line for line in server_lines)


def test_a_json_document_sent_as_a_form_is_told_its_content_type(client, people):
    response = client.post(
        TEAMS, content='{"title": "abc team"}', headers={**auth(people["alice"]), **FORM}
    )

    problem = assert_problem(response, 400)
    assert "Content-Type: application/json" in problem["detail"]


def test_a_bad_patch_operation_is_named_by_its_index(client, people):
    response = team_patch(
        client,
        people,
        [
            {"op": "replace", "path": "/title", "value": "Fine title"},
            {"op": "replace", "path": "/title", "value": 7},
            {"op": "rename", "path": "/title"},
        ],
    )

    problem = assert_problem(response, 400)
    assert problem["errors"] == [
        {"field": "1.value", "message": "must be of type string"},
        {"field": "2.op", "message": "must be one of: add, replace, test"},
    ]


def test_a_failed_test_names_the_operation_not_the_values(client, people):
    response = team_patch(
        client,
        people,
        [
            {"op": "replace", "path": "/title", "value": "Fine title"},
            {"op": "test", "path": "/title", "value": "Another title"},
        ],
    )

    problem = assert_problem(response, 409)
    assert problem["detail"] == (
        "operation 1 (test /title) failed: the document holds another value there"
    )


def test_patterns_are_said_in_words(client, people):
    response = signup(client, people, username="a b", email="nowhere")

    problem = assert_problem(response, 400)
    assert {(e["field"], e["message"]) for e in problem["errors"]} == {
        ("username", "must be 3 to 80 letters, digits, `.`, `_` or `-`"),
        (
            "email",
            "must be an email address such as `alice@example.com` (a practical subset of RFC 5321)",
        ),
    }


@pytest.mark.parametrize(
    ("where", "send"),
    [
        ("body", lambda c, p: c.post(TEAMS, json={"title": "a\x00b"}, headers=auth(p["alice"]))),
        ("header", lambda c, p: c.get(TEAMS, headers={**auth(p["alice"]), "If-None-Match": "%00"})),
        ("query", lambda c, p: c.post(f"{TOKEN}?scope=a%00b", data={"grant_type": "password"})),
    ],
)
def test_nul_characters_are_refused_as_the_contract_says(client, people, where, send):
    response = send(client, people)

    if where == "header":  # a header cannot carry NUL: %00 is three plain characters
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert "must not contain NUL characters" in response.text
