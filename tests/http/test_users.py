"""Users: list, sign up (create), read (with ETags) and change with JSON Patch."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers import assert_problem, auth, patch

USERS = "/api/v1/users/"


def url(user):
    return f"{USERS}{user['id']}"


def signup(client, **overrides):
    body = {"username": "alice", "email": "alice@example.com", "password": "correct horse"}
    body.update(overrides)
    return client.post(USERS, json=body)


# List ------------------------------------------------------------------------------------------


def test_admins_list_every_user_with_the_true_total(client, people):
    response = client.get(f"{USERS}?limit=2&offset=2", headers=auth(people["admin"]))

    assert response.status_code == 200
    assert len(response.json()) == 2
    ids = [user["id"] for user in response.json()]
    assert ids == sorted(ids)
    total = int(response.headers["x-total-count"])
    assert total == 4 + len(people)  # the demo accounts and these people
    assert 'rel="prev"' in response.headers["link"] and 'rel="next"' in response.headers["link"]


def test_regular_users_may_not_list_users(client, people):
    assert client.get(USERS, headers=auth(people["alice"])).status_code == 403


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "offset=-1", "limit=abc", "offset=99999999999"]
)
def test_list_bounds_are_enforced(client, people, query):
    response = client.get(f"{USERS}?{query}", headers=auth(people["admin"]))
    assert_problem(response, 400)


# Create: signing up ----------------------------------------------------------------------------


def test_create_user_answers_201_with_location_and_the_detailed_user(client):
    response = signup(client, first_name="Alice", last_name="Liddell")

    assert response.status_code == 201
    user = response.json()
    assert response.headers["location"] == f"/api/v1/users/{user['id']}"
    assert response.headers["content-type"] == "application/json"
    assert user["username"] == "alice"
    assert (user["first_name"], user["middle_name"], user["last_name"]) == ("Alice", "", "Liddell")
    assert user["is_active"] is True and user["is_regular_user"] is True
    assert user["is_admin"] is False
    assert not {"password", "password_hash", "is_internal"} & set(user)


def test_create_user_accepts_a_form_body(client):
    response = client.post(
        USERS,
        data={"username": "formuser", "email": "form@example.com", "password": "correct horse"},
    )

    assert response.status_code == 201
    assert response.json()["username"] == "formuser"


def test_create_user_with_a_taken_username_or_email_is_409(client):
    assert signup(client).status_code == 201

    response = signup(client, email="other@example.com")

    problem = assert_problem(response, 409)
    assert problem["errors"] == [{"field": "username", "message": "already taken"}]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "x" * 81}, "username"),
        ({"email": "no-at-sign"}, "email"),
        ({"email": "a@" + "b" * 120}, "email"),
        ({"password": "short"}, "password"),
        ({"first_name": "x" * 31}, "first_name"),
        ({"is_admin": True}, "is_admin"),
        ({"username": 5}, "username"),
    ],
)
def test_create_user_rejects_invalid_fields_naming_each_one(client, overrides, field):
    response = signup(client, **overrides)

    problem = assert_problem(response, 400)
    assert field in {error["field"] for error in problem["errors"]}
    assert field in problem["detail"]


def test_create_user_reports_every_missing_field_and_never_echoes_the_password(client):
    response = client.post(USERS, json={"password": "sekrit"})

    problem = assert_problem(response, 400)
    fields = {error["field"] for error in problem["errors"]}
    assert fields == {"username", "email", "password"}
    assert "sekrit" not in response.text


def test_a_password_over_72_bytes_is_422_not_silently_truncated(client):
    response = signup(client, password="é" * 40)  # 40 characters, 80 bytes

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "password"


def test_signup_admin_mode(client, people, monkeypatch):
    import dataclasses

    from storage import db

    closed = dataclasses.replace(db.settings(), signup="admin")
    monkeypatch.setattr(db, "_settings", closed)
    body = {"username": "newbie", "email": "newbie@example.com", "password": "long enough"}

    anonymous = client.post(USERS, json=body)
    regular = client.post(USERS, json=body, headers=auth(people["alice"]))
    admin = client.post(USERS, json=body, headers=auth(people["admin"]))

    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert regular.status_code == 403
    assert admin.status_code == 201
    assert admin.json()["is_active"] is True and admin.json()["is_regular_user"] is True


def test_concurrent_signups_with_one_username_create_one_user(live_app):
    client = live_app.test_client()
    client.get("/health/live")
    body = {"username": "popular", "email": "popular@example.com", "password": "long enough"}

    def sign_up(n):
        return client.post(USERS, json={**body, "email": f"popular{n}@example.com"}).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = sorted(pool.map(sign_up, range(10)))

    assert statuses == [201] + [409] * 9


# Get: a user, or the caller's own account ------------------------------------------------------


def test_a_user_reads_themself_with_an_etag(client, people):
    response = client.get(url(people["alice"]), headers=auth(people["alice"]))

    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert response.headers["etag"] == '"1"'

    again = client.get(
        url(people["alice"]), headers={**auth(people["alice"]), "If-None-Match": '"1"'}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == '"1"'
    changed = client.get(
        url(people["alice"]), headers={**auth(people["alice"]), "If-None-Match": '"7"'}
    )
    assert changed.status_code == 200


def test_others_are_403_admins_may_read_anyone_missing_is_404(client, people):
    assert client.get(url(people["bob"]), headers=auth(people["alice"])).status_code == 403
    assert client.get(url(people["bob"]), headers=auth(people["admin"])).status_code == 200
    assert client.get(f"{USERS}999999", headers=auth(people["alice"])).status_code == 404


@pytest.mark.parametrize(
    "user_id", ["0", "-1", "2147483648", "99999999999999999999999", "abc", "1.5"]
)
def test_out_of_range_ids_are_400_or_404_never_500(client, people, user_id):
    response = client.get(f"{USERS}{user_id}", headers=auth(people["admin"]))
    assert response.status_code in (400, 404)
    assert_problem(response, response.status_code)


def test_the_callers_own_account_has_an_etag_like_any_user(client, people, password):
    headers = auth(people["alice"])
    me = client.get("/api/v1/users/me", headers=headers)
    same = client.get(url(people["alice"]), headers=headers)

    assert me.headers["etag"] == same.headers["etag"]
    unchanged = client.get(
        "/api/v1/users/me", headers={**headers, "If-None-Match": me.headers["etag"]}
    )
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == me.headers["etag"]

    rename = [{"op": "replace", "path": "/first_name", "value": "Alicia"}]
    assert patch(client, url(people["alice"]), rename, headers).status_code == 200
    changed = client.get(
        "/api/v1/users/me", headers={**headers, "If-None-Match": me.headers["etag"]}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != me.headers["etag"]


# Patch: what a patch may say -------------------------------------------------------------------


def test_patch_names_needs_no_password(client, people):
    response = patch(
        client,
        url(people["alice"]),
        [
            {"op": "replace", "path": "/first_name", "value": "Alice"},
            {"op": "add", "path": "/last_name", "value": "Liddell"},
        ],
        auth(people["alice"]),
    )

    assert response.status_code == 200, response.text
    assert (response.json()["first_name"], response.json()["last_name"]) == ("Alice", "Liddell")
    assert response.headers["etag"] == '"2"'
    assert response.json()["updated"] > response.json()["created"]


def test_patch_accepts_a_patch_sent_as_application_json(client, people):
    operations = [{"op": "replace", "path": "/middle_name", "value": "M"}]
    response = patch(
        client,
        url(people["alice"]),
        operations,
        auth(people["alice"]),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["middle_name"] == "M"


def test_every_operation_the_contract_lists(client, people):
    operations = [
        {"op": "test", "path": "/username", "value": "alice"},
        {"op": "add", "path": "/first_name", "value": "Al"},
        {"op": "copy", "from": "/first_name", "path": "/middle_name"},
        {"op": "copy", "from": "/middle_name", "path": "/last_name"},
        {"op": "add", "path": "/middle_name", "value": ""},
        {"op": "replace", "path": "/first_name", "value": "Alice"},
    ]
    response = patch(client, url(people["alice"]), operations, auth(people["alice"]))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["first_name"], body["middle_name"], body["last_name"]) == ("Alice", "", "Al")


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "/first_name"},
        {"op": "move", "from": "/first_name", "path": "/last_name"},
    ],
)
def test_remove_and_move_are_not_in_the_contract(client, people, operation):
    """Every field of a user is required: removing one (or moving it away) could never leave a
    valid user, so the contract does not offer them."""
    response = patch(client, url(people["alice"]), [operation], auth(people["alice"]))
    problem = assert_problem(response, 400)
    assert problem["errors"] == [
        {"field": "0.op", "message": "must be one of: add, replace, test, copy"}
    ]


@pytest.mark.parametrize(
    ("operations", "status", "field"),
    [
        # The contract's UserPatch names the paths and the values' types: 400, naming the
        # operation's index and its member.
        ([{"op": "replace", "path": "/username", "value": "mallory"}], 400, "0.path"),
        ([{"op": "replace", "path": "/id", "value": 1}], 400, "0.path"),
        (
            [{"op": "replace", "path": "/created", "value": "2000-01-01T00:00:00+00:00"}],
            400,
            "0.path",
        ),
        ([{"op": "replace", "path": "/first_name", "value": "x" * 31}], 400, "0.value"),
        ([{"op": "replace", "path": "/first_name", "value": 5}], 400, "0.value"),
        ([{"op": "add", "path": "/nickname", "value": "al"}], 400, "0.path"),
        ([{"op": "test", "path": "/password", "value": "secret"}], 400, "0.path"),
        ([{"op": "replace", "path": "", "value": {}}], 400, "0.path"),
        ([{"op": "remove", "path": "/last_name"}], 400, "0.op"),
        ([{"op": "copy", "from": "/first_name", "path": "/password"}], 400, "0.path"),
        ([{"op": "copy", "from": "/is_admin", "path": "/first_name"}], 400, "0.from"),
        ([{"op": "test", "path": "/first_name", "value": "not this"}], 409, None),
    ],
)
def test_patch_rules(client, people, operations, status, field):
    response = patch(client, url(people["alice"]), operations, auth(people["alice"]))

    problem = assert_problem(response, status)
    if field:
        assert field in {error["field"] for error in problem["errors"]}


@pytest.mark.parametrize(
    "body",
    [
        {"op": "replace", "path": "/first_name", "value": "x"},  # not an array
        [],
        [{"op": "frobnicate", "path": "/first_name", "value": "x"}],
        [{"op": "replace", "path": "first_name", "value": "x"}],  # not a JSON pointer
        [{"op": "replace", "path": "/first_name"}],  # no value
        [{"op": "move", "path": "/first_name"}],  # no from
        [{"op": "remove", "path": "/first_name", "extra": 1}],
        [{"op": "replace", "path": "/first_name", "value": "x"}] * 51,
    ],
)
def test_malformed_patches_are_400(client, people, body):
    response = patch(client, url(people["alice"]), body, auth(people["alice"]))
    assert response.status_code == 400


def test_a_patch_is_all_or_nothing(client, people):
    operations = [
        {"op": "replace", "path": "/first_name", "value": "Changed"},
        {"op": "test", "path": "/last_name", "value": "not this"},
    ]
    assert patch(client, url(people["alice"]), operations, auth(people["alice"])).status_code == 409
    assert (
        client.get(url(people["alice"]), headers=auth(people["alice"])).json()["first_name"] == ""
    )


def test_if_match(client, people):
    operations = [{"op": "replace", "path": "/first_name", "value": "A"}]
    stale = patch(
        client, url(people["alice"]), operations, {**auth(people["alice"]), "If-Match": '"9"'}
    )
    weak = patch(
        client, url(people["alice"]), operations, {**auth(people["alice"]), "If-Match": 'W/"1"'}
    )
    fresh = patch(
        client, url(people["alice"]), operations, {**auth(people["alice"]), "If-Match": '"1"'}
    )
    any_version = patch(
        client, url(people["alice"]), operations, {**auth(people["alice"]), "If-Match": "*"}
    )

    assert_problem(stale, 412)
    assert weak.status_code == 412
    assert fresh.status_code == 200 and fresh.headers["etag"] == '"2"'
    assert any_version.status_code == 200


# Patch: who may change which field, with what proof --------------------------------------------


def test_changing_email_needs_the_callers_current_password(client, people, password):
    change = {"op": "replace", "path": "/email", "value": "new@example.com"}
    missing = patch(client, url(people["alice"]), [change], auth(people["alice"]))
    wrong = patch(
        client,
        url(people["alice"]),
        [{"op": "test", "path": "/current_password", "value": "wrong"}, change],
        auth(people["alice"]),
    )
    right = patch(
        client,
        url(people["alice"]),
        [{"op": "test", "path": "/current_password", "value": password}, change],
        auth(people["alice"]),
    )

    assert missing.status_code == 403
    assert wrong.status_code == 403
    assert right.status_code == 200
    assert right.json()["email"] == "new@example.com"


def test_the_current_password_must_precede_what_it_unlocks(client, people, password):
    proof = {"op": "test", "path": "/current_password", "value": password}
    change = {"op": "replace", "path": "/email", "value": "new@example.com"}
    rename = {"op": "replace", "path": "/first_name", "value": "Al"}

    after = patch(client, url(people["alice"]), [change, proof], auth(people["alice"]))
    problem = assert_problem(after, 403)
    assert "preceding" in problem["detail"]
    # Anywhere before the operation it unlocks will do.
    before = patch(client, url(people["alice"]), [rename, proof, change], auth(people["alice"]))
    assert before.status_code == 200, before.text
    assert before.json()["email"] == "new@example.com"


def test_changing_the_password_then_signing_in_with_it(client, people, password):
    operations = [
        {"op": "test", "path": "/current_password", "value": password},
        {"op": "replace", "path": "/password", "value": "a brand new password"},
    ]
    response = patch(client, url(people["alice"]), operations, auth(people["alice"]))
    assert response.status_code == 200
    assert not {"password", "password_hash", "current_password"} & set(response.json())

    def sign_in(secret):
        return client.post(
            "/auth/oauth2/token",
            data={
                "grant_type": "password",
                "client_id": "documentation",
                "username": "alice",
                "password": secret,
            },
        )

    assert sign_in("a brand new password").status_code == 200
    assert sign_in(password).status_code == 400


def test_a_taken_email_is_409(client, people, password):
    operations = [
        {"op": "test", "path": "/current_password", "value": password},
        {"op": "replace", "path": "/email", "value": people["bob"]["email"]},
    ]
    response = patch(client, url(people["alice"]), operations, auth(people["alice"]))
    problem = assert_problem(response, 409)
    assert problem["errors"] == [{"field": "email", "message": "already registered"}]


def test_role_flags_are_for_admins_with_their_own_password(client, people, password):
    promote = {"op": "replace", "path": "/is_admin", "value": True}
    confirm = {"op": "test", "path": "/current_password", "value": password}

    assert (
        patch(client, url(people["alice"]), [confirm, promote], auth(people["alice"])).status_code
        == 403
    )
    assert patch(client, url(people["alice"]), [promote], auth(people["admin"])).status_code == 403
    # The target's password does not count: only the caller's own.
    response = patch(client, url(people["alice"]), [confirm, promote], auth(people["admin"]))
    assert response.status_code == 200
    assert response.json()["is_admin"] is True


def test_deactivating_a_user_cuts_their_tokens_at_once(client, people, password):
    alice = auth(people["alice"])
    operations = [
        {"op": "test", "path": "/current_password", "value": password},
        {"op": "replace", "path": "/is_active", "value": False},
    ]
    assert patch(client, url(people["alice"]), operations, auth(people["admin"])).status_code == 200
    assert client.get("/api/v1/users/me", headers=alice).status_code == 401


def test_a_user_cannot_patch_someone_else(client, people):
    operations = [{"op": "replace", "path": "/first_name", "value": "Hacked"}]
    assert patch(client, url(people["bob"]), operations, auth(people["alice"])).status_code == 403


def test_read_only_accounts_may_read_but_not_patch_themselves(client, people):
    viewer = auth(people["readonly"])
    assert client.get(url(people["readonly"]), headers=viewer).status_code == 200
    operations = [{"op": "replace", "path": "/first_name", "value": "V"}]
    assert patch(client, url(people["readonly"]), operations, viewer).status_code == 403


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "", "value": {}},
        {"op": "remove", "path": ""},
        {"op": "copy", "from": "", "path": ""},
        {"op": "move", "from": "", "path": "/first_name"},
    ],
)
@pytest.mark.parametrize("who", ["alice", "admin"])
def test_writing_the_whole_document_is_refused_for_everyone(
    client, people, password, who, operation
):
    """Whatever the caller's rights: a patch writes fields, never the whole document (the
    contract lists the paths, and "" is not one of them)."""
    operations = [
        {"op": "test", "path": "/current_password", "value": password},
        {"op": "replace", "path": "/is_admin", "value": True},
        operation,
    ]
    response = patch(client, url(people["alice"]), operations, auth(people[who]))
    problem = assert_problem(response, 400)
    assert any(error["field"].startswith("2.") for error in problem["errors"])


# Order of checks inside a PATCH: authorisation (403: which fields the caller may write, and the
# current_password proof) -> semantic validation (422) -> conflicts and preconditions (409, 412).
@pytest.mark.parametrize(
    ("operations", "status"),
    [
        # A non-admin writing a role flag is 403 whatever else is wrong with the patch.
        (
            [
                {"op": "test", "path": "/first_name", "value": "not this"},
                {"op": "replace", "path": "/is_admin", "value": True},
            ],
            403,
        ),
        # What the contract says comes first: a flag that is not a boolean is 400.
        ([{"op": "replace", "path": "/is_admin", "value": "yes"}], 400),
        # Writing a role flag is refused even when the value would not change.
        ([{"op": "replace", "path": "/is_admin", "value": False}], 403),
        ([{"op": "replace", "path": "/email", "value": "not an address"}], 400),
        # Email without the proof: 403 before the patched document is looked at.
        ([{"op": "replace", "path": "/email", "value": "new@example.com"}], 403),
        (
            [
                {"op": "test", "path": "/current_password", "value": "wrong"},
                {"op": "replace", "path": "/email", "value": "new@example.com"},
            ],
            403,
        ),
        # Copying a role flag writes it too.
        ([{"op": "copy", "from": "/is_active", "path": "/is_admin"}], 403),
        # A wrong current_password is refused even when nothing needs it.
        (
            [
                {"op": "test", "path": "/current_password", "value": "wrong"},
                {"op": "replace", "path": "/first_name", "value": "Al"},
            ],
            403,
        ),
    ],
)
def test_patch_checks_authorisation_then_validity_then_conflicts(
    client, people, operations, status
):
    response = patch(client, url(people["alice"]), operations, auth(people["alice"]))
    assert response.status_code == status, response.text


def test_an_over_long_password_is_422_before_a_failed_test_or_a_stale_etag(
    client, people, password
):
    proof = {"op": "test", "path": "/current_password", "value": password}
    too_long = {"op": "replace", "path": "/password", "value": "é" * 37}  # 74 bytes
    failing = {"op": "test", "path": "/first_name", "value": "not this"}

    conflicting = patch(
        client, url(people["alice"]), [proof, failing, too_long], auth(people["alice"])
    )
    stale = patch(
        client,
        url(people["alice"]),
        [proof, too_long],
        {**auth(people["alice"]), "If-Match": '"9"'},
    )

    assert conflicting.status_code == 422, conflicting.text
    problem = assert_problem(stale, 422)
    assert problem["errors"][0]["field"] == "password"
