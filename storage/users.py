"""Users: sign-up and look-ups. Each public function is one transaction and returns plain data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import User
from storage import representations
from storage.db import settings, transaction
from storage.errors import Conflict, NotFound, Unprocessable
from storage.passwords import MAX_PASSWORD_BYTES, hash_password, password_fits, verify_password


def create_user(
    *,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    middle_name: str = "",
    last_name: str = "",
    is_active: bool = True,
    is_regular_user: bool = True,
    is_admin: bool = False,
    is_internal: bool = False,
) -> dict:
    if not password_fits(password):
        raise Unprocessable(
            f"password is longer than {MAX_PASSWORD_BYTES} bytes",
            errors=[{"field": "password", "message": f"at most {MAX_PASSWORD_BYTES} bytes"}],
        )
    _raise_if_taken(username=username, email=email)
    # Hash before the transaction opens: bcrypt is slow and holds no lock.
    password_hash = hash_password(password, settings().bcrypt_rounds)
    try:
        with transaction() as session:
            user = User(
                username=username,
                email=email,
                password_hash=password_hash,
                first_name=first_name,
                middle_name=middle_name,
                last_name=last_name,
                is_active=is_active,
                is_regular_user=is_regular_user,
                is_admin=is_admin,
                is_internal=is_internal,
            )
            session.add(user)
            session.flush()
            return representations.user.dump(user)
    except IntegrityError:
        # Lost a race with a concurrent sign-up: name the field that is now taken.
        _raise_if_taken(username=username, email=email)
        raise


def _raise_if_taken(*, username: str, email: str) -> None:
    with transaction() as session:
        rows = session.execute(
            select(User.username, User.email).where(
                (User.username == username) | (User.email == email)
            )
        ).all()
    errors = []
    if any(row.username == username for row in rows):
        errors.append({"field": "username", "message": "already taken"})
    if any(row.email == email for row in rows):
        errors.append({"field": "email", "message": "already registered"})
    if errors:
        raise Conflict(
            " and ".join(f"{error['field']} {error['message']}" for error in errors),
            errors=errors,
        )


def get_user_by_username(username: str) -> dict:
    with transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"user {username!r} does not exist")
        return representations.user.dump(user)


def authenticate(username: str, password: str) -> dict | None:
    """The active user with this username and password, or None.

    bcrypt runs outside the transaction, and for unknown or inactive users too, so that the
    answer takes as long whether or not the username exists.
    """
    with transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        known = user is not None
        password_hash = user.password_hash if known else None
        active = known and user.is_active
        representation = representations.user.dump(user) if known else None
    matched = verify_password(password, password_hash, settings().bcrypt_rounds)
    return representation if matched and active else None
