"""Users in the database: a taken username or email is a conflict naming the field, and leaves
the database usable; a user who is not there is NotFound."""

from __future__ import annotations

import pytest

from domain import users as user_rules
from storage import users
from storage.errors import Conflict, NotFound
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("database")


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


def test_get_user_by_username_of_a_missing_user():
    with pytest.raises(NotFound):
        users.get_user_by_username("nobody")


def test_missing_users():
    with pytest.raises(NotFound):
        users.get_user(999_999)
    with pytest.raises(NotFound):
        user_rules.patch_user(999_999, [], caller_id=1, caller_is_privileged=True)
