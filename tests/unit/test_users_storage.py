import pytest

from auth.passwords import verify_password
from domain import users as user_rules
from storage import users
from storage.errors import Conflict, NotFound, Unprocessable
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.usefixtures("database")


def test_create_user_returns_the_detailed_representation():
    user = make_user(username="alice", email="alice@example.com", first_name="Alice")

    assert user["id"] >= 1
    assert user["username"] == "alice"
    assert user["first_name"] == "Alice"
    assert user["middle_name"] == ""
    assert user["is_active"] is True
    assert user["is_regular_user"] is True
    assert user["is_admin"] is False
    assert "password_hash" not in user
    assert "is_internal" not in user
    assert user["created"].endswith("+00:00")


def test_passwords_are_stored_as_bcrypt_hashes(settings):
    from models import User
    from storage.db import transaction

    user = make_user()
    with transaction() as session:
        stored = session.get(User, user["id"]).password_hash
    assert stored.startswith("$2b$04$")
    assert verify_password(DEFAULT_PASSWORD, stored, settings.bcrypt_rounds)
    assert not verify_password("wrong password", stored, settings.bcrypt_rounds)


@pytest.mark.parametrize(
    ("existing", "attempt", "fields"),
    [
        ({"username": "dup"}, {"username": "dup"}, ["username"]),
        ({"email": "dup@example.com"}, {"email": "dup@example.com"}, ["email"]),
        (
            {"username": "both", "email": "both@example.com"},
            {"username": "both", "email": "both@example.com"},
            ["username", "email"],
        ),
    ],
)
def test_duplicates_are_conflicts_naming_the_field(existing, attempt, fields):
    make_user(**existing)

    with pytest.raises(Conflict) as raised:
        make_user(**attempt)

    assert [error["field"] for error in raised.value.errors] == fields


def test_a_conflict_leaves_the_database_usable():
    make_user(username="first")
    with pytest.raises(Conflict):
        make_user(username="first")

    assert users.get_user_by_username("first")["username"] == "first"
    assert make_user(username="second")["username"] == "second"


def test_passwords_over_72_bytes_are_refused_not_truncated():
    with pytest.raises(Unprocessable):
        make_user(password="é" * 37)  # 74 bytes in UTF-8


def test_get_user_by_username_of_a_missing_user():
    with pytest.raises(NotFound):
        users.get_user_by_username("nobody")


def test_patching_a_missing_user_is_not_found_before_any_refusal():
    caller = make_user()
    with pytest.raises(NotFound):
        user_rules.patch_user(
            999_999,
            [{"op": "replace", "path": "/is_admin", "value": True}],
            caller_id=caller["id"],
            caller_is_privileged=False,
        )
