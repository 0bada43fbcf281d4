"""Users in the database: insert, look up, list, the versioned update a patch ends with, and what
signing in reads. Each function is one transaction and returns plain data; the rules (who may
change what, passwords) are domain.users'."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from models import User
from storage import representations
from storage.db import one_statement, transaction, update_versioned
from storage.errors import Conflict, NotFound, PreconditionFailed


def insert_user(
    *,
    username: str,
    email: str,
    password_hash: str,
    first_name: str = "",
    middle_name: str = "",
    last_name: str = "",
    is_active: bool = True,
    is_regular_user: bool = True,
    is_admin: bool = False,
    is_internal: bool = False,
) -> dict:
    """Insert a user whose name and email the caller has checked (raise_if_taken); one that a
    concurrent sign-up took meanwhile is still 409, from the database's unique constraints."""
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
        raise_if_taken(username=username, email=email)
        raise


def raise_if_taken(
    *, username: str | None = None, email: str | None = None, exclude: int | None = None
) -> None:
    with transaction() as session:
        query = select(User.username, User.email).where(
            (User.username == username) | (User.email == email)
        )
        if exclude is not None:
            query = query.where(User.id != exclude)
        rows = session.execute(query).all()
    errors = []
    if username is not None and any(row.username == username for row in rows):
        errors.append({"field": "username", "message": "already taken"})
    if email is not None and any(row.email == email for row in rows):
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


def get_user(user_id: int) -> tuple[dict, int]:
    """The detailed user and its version (for the ETag)."""
    with transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} does not exist")
        return representations.user.dump(user), user.version


def require_user(user_id: int) -> None:
    with transaction() as session:
        if session.scalar(select(User.id).where(User.id == user_id)) is None:
            raise NotFound(f"user {user_id} does not exist")


def list_users(offset: int, limit: int) -> tuple[list[dict], int]:
    with transaction() as session:
        total = session.scalar(select(func.count()).select_from(User))
        if offset >= total:  # past the end: no need to skip through the whole table
            return [], total
        page = session.scalars(select(User).order_by(User.id).offset(offset).limit(limit))
        return [representations.user.dump(user) for user in page], total


def patch_target(user_id: int, caller_id: int) -> tuple[dict, int, str | None]:
    """What a patch of ``user_id`` works on: the user as it is (with a ``password`` placeholder,
    never shown), its version, and the caller's password hash (for /current_password)."""
    with transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} does not exist")
        document = {**representations.user.dump(user), "password": None}
        caller_hash = (
            user.password_hash
            if caller_id == user_id
            else session.scalar(select(User.password_hash).where(User.id == caller_id))
        )
        return document, user.version, caller_hash


def update_user(
    user_id: int, version: int, values: dict, *, expected: bool
) -> tuple[dict, int] | None:
    """Write ``values`` if the user is still at ``version``: the user and its new version.

    Otherwise None (the caller patches again), or 412 when ``expected`` says the version came
    from If-Match. A taken email is 409 either way.
    """
    try:
        with one_statement() as connection:
            row = update_versioned(connection, User, user_id, version, values)
        if row is None:
            if expected:
                raise PreconditionFailed(f"user {user_id} changed while it was being patched")
            return None
        return representations.user.dump(row._mapping), row.version
    except IntegrityError:
        raise_if_taken(email=values.get("email"), exclude=user_id)
        raise


def sign_in_record(username: str) -> tuple[dict | None, str | None, bool]:
    """The user with this username (or None), its password hash, and whether it is active."""
    with transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            return None, None, False
        return representations.user.dump(user), user.password_hash, user.is_active
