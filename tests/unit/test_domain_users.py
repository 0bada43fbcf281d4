"""User accounts: signing up gives the detailed user, stores a bcrypt hash and refuses passwords
over bcrypt's 72 bytes, as a patch does; a patch of a user that is not there is NotFound before
any refusal."""

from __future__ import annotations

import pytest

from auth.passwords import verify_password
from domain import users as user_rules
from storage.errors import NotFound, Unprocessable
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


def test_passwords_over_72_bytes_are_refused_not_truncated():
    with pytest.raises(Unprocessable):
        make_user(password="é" * 37)  # 74 bytes in UTF-8


def test_a_new_password_over_72_bytes_is_refused():
    user = make_user(password="long enough")
    operations = [
        {"op": "test", "path": "/current_password", "value": "long enough"},
        {"op": "replace", "path": "/password", "value": "é" * 40},
    ]
    with pytest.raises(Unprocessable):
        user_rules.patch_user(
            user["id"], operations, caller_id=user["id"], caller_is_privileged=False
        )


def test_patching_a_missing_user_is_not_found_before_any_refusal():
    caller = make_user()
    with pytest.raises(NotFound):
        user_rules.patch_user(
            999_999,
            [{"op": "replace", "path": "/is_admin", "value": True}],
            caller_id=caller["id"],
            caller_is_privileged=False,
        )
