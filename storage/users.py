"""Users: sign-up, look-ups, JSON Patch, authentication. Each public function is one transaction
(or a few, with bcrypt run between them, never inside) and returns plain data."""

from __future__ import annotations

import jsonpointer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from auth.passwords import MAX_PASSWORD_BYTES, hash_password, password_fits, verify_password
from domain import patching
from models import User
from storage import representations
from storage.db import settings, transaction, update_versioned
from storage.errors import Conflict, NotFound, PermissionDenied, PreconditionFailed, Unprocessable

ROLE_FLAGS = frozenset({"is_active", "is_regular_user", "is_admin"})
NEED_PASSWORD = ROLE_FLAGS | {"email", "password"}
CURRENT_PASSWORD = "/current_password"  # a pseudo-field: test it to prove who you are
PATCH_ATTEMPTS = 3


def _too_long_password() -> Unprocessable:
    return Unprocessable(
        f"password is longer than {MAX_PASSWORD_BYTES} bytes",
        errors=[{"field": "password", "message": f"must be at most {MAX_PASSWORD_BYTES} bytes"}],
    )


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
        raise _too_long_password()
    _raise_if_taken(username=username, email=email)
    # Hash before the transaction opens: bcrypt is slow and needs no lock.
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


def _raise_if_taken(
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


def patch_user(
    user_id: int,
    operations: list[dict],
    *,
    caller_id: int,
    caller_is_privileged: bool,
    expected_versions: set[int] | None = None,
) -> tuple[dict, int]:
    """Apply an RFC 6902 patch to a user; return the user and its new version.

    Without ``expected_versions`` (If-Match) a concurrent change makes the patch apply again to
    the new state; with it, the change is refused (412).
    """
    for _ in range(PATCH_ATTEMPTS):
        result = _try_patch_user(
            user_id, operations, caller_id, caller_is_privileged, expected_versions
        )
        if result is not None:
            return result
    raise Conflict("the user kept changing while this patch was applied; try again")


def _try_patch_user(user_id, operations, caller_id, caller_is_privileged, expected_versions):
    """One attempt, checking in the contract's order: the user exists (404); the caller may
    write the fields the patch writes, with the proof it needs (403); the patched document is
    valid (422); its ``test`` operations hold (409); If-Match (412); the email is free (409).
    None when the user changed between the read and the write (patch again)."""
    with transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} does not exist")
        version = user.version
        document = {**representations.user.dump(user), "password": None}
        caller_hash = (
            user.password_hash
            if caller_id == user_id
            else session.scalar(select(User.password_hash).where(User.id == caller_id))
        )

    _authorise(operations, caller_is_privileged, caller_hash)
    changes = patching.apply(
        document,
        operations,
        operation_schema="UserPatchOperation",
        pseudo_fields=frozenset({CURRENT_PASSWORD}),
        check=_refuse_too_long_password,
    )
    if expected_versions is not None and version not in expected_versions:
        raise PreconditionFailed(f"user {user_id} has changed (it is at version {version})")
    if "email" in changes:
        _raise_if_taken(email=changes["email"], exclude=user_id)
    values = dict(changes)
    if "password" in values:
        values["password_hash"] = hash_password(values.pop("password"), settings().bcrypt_rounds)
    if not values:
        return document_without_password(document), version

    try:
        with transaction() as session:
            if not update_versioned(session, User, user_id, version, values):
                if expected_versions is not None:
                    raise PreconditionFailed(f"user {user_id} changed while it was being patched")
                return None  # changed under us: apply the patch again to the new state
            user = session.get(User, user_id, populate_existing=True)
            return representations.user.dump(user), user.version
    except IntegrityError:
        _raise_if_taken(email=changes.get("email"), exclude=user_id)
        raise


def _refuse_too_long_password(changes: dict) -> None:
    if "password" in changes and not password_fits(changes["password"]):
        raise _too_long_password()


def _is_proof(operation: dict) -> bool:
    """A ``test`` of /current_password: a pseudo-field, the caller's proof of identity."""
    return operation["op"] == "test" and operation["path"] == CURRENT_PASSWORD


def _written(operation: dict) -> frozenset[str]:
    """The top-level fields an operation writes.

    Decided from the operation alone, before the patch is applied: a ``replace`` with the
    current value still writes the field, and ``move`` writes (removes) its ``from`` too.
    Writing the whole document (pointer ``""``) is Unprocessable for every caller, so that no
    patch needs to be applied before the caller's rights to it can be judged.
    """
    if operation["op"] == "test":
        return frozenset()
    pointers = [operation["path"]]
    if operation["op"] == "move":
        pointers.append(operation["from"])
    fields = set()
    for pointer in pointers:
        try:
            parts = jsonpointer.JsonPointer(pointer).parts
        except jsonpointer.JsonPointerException:
            continue  # the patch cannot apply: 422 later
        if not parts:
            raise Unprocessable("a patch may not write the whole document; patch its fields")
        fields.add(parts[0])
    return frozenset(fields)


def _authorise(operations: list[dict], caller_is_privileged: bool, caller_hash: str) -> None:
    """403 unless the caller may write every field the patch writes (422 if it writes the
    whole document).

    Role flags are for administrators. Email, password and role flags need a test of
    /current_password with the caller's own password before the operation that writes them
    (one after it does not count). Every such test must hold, wherever it is.
    """
    proven = writes_roles = unproven = False
    for operation in operations:
        if _is_proof(operation):
            proven = True
            continue
        protected = _written(operation) & NEED_PASSWORD
        writes_roles = writes_roles or bool(protected & ROLE_FLAGS)
        unproven = unproven or bool(protected and not proven)
    if writes_roles and not caller_is_privileged:
        raise PermissionDenied(
            "only administrators may change is_active, is_regular_user or is_admin"
        )
    if unproven:
        raise PermissionDenied(
            "changing email, password or roles needs a preceding test of /current_password "
            "with your own password"
        )
    proofs = patching.tests_of(operations, CURRENT_PASSWORD)
    if proofs and not _confirmed(proofs, caller_hash):
        raise PermissionDenied("the test of /current_password failed: it is not your password")


def _confirmed(current_passwords: list, caller_hash: str) -> bool:
    rounds = settings().bcrypt_rounds
    return all(
        isinstance(value, str) and verify_password(value, caller_hash, rounds)
        for value in current_passwords
    )


def document_without_password(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "password"}


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
