import pytest

from tests.helpers import assert_problem


def signup(client, **overrides):
    body = {"username": "alice", "email": "alice@example.com", "password": "correct horse"}
    body.update(overrides)
    return client.post("/api/v1/users/", json=body)


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


def test_create_user_accepts_a_form_body_like_the_old_server(client):
    response = client.post(
        "/api/v1/users/",
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
    response = client.post("/api/v1/users/", json={"password": "sekrit"})

    problem = assert_problem(response, 400)
    fields = {error["field"] for error in problem["errors"]}
    assert fields == {"username", "email", "password"}
    assert "sekrit" not in response.text


def test_a_password_over_72_bytes_is_422_not_silently_truncated(client):
    response = signup(client, password="é" * 40)  # 40 characters, 80 bytes

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "password"
