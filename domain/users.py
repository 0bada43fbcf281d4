"""The rules of user accounts: sign-up, who may change which field of a user (and with what
proof), and signing in. Passwords are hashed here, outside any transaction: bcrypt is slow and
needs no lock."""

from __future__ import annotations

import jsonpointer

from auth.passwords import MAX_PASSWORD_BYTES, hash_password, password_fits, verify_password
from domain import patching, retry
from storage import users
from storage.db import settings
from storage.errors import PermissionDenied, PreconditionFailed, Unprocessable

ROLE_FLAGS = frozenset({"is_active", "is_regular_user", "is_admin"})
NEED_PASSWORD = ROLE_FLAGS | {"email", "password"}
CURRENT_PASSWORD = "/current_password"  # a pseudo-field: test it to prove who you are


def _too_long_password() -> Unprocessable:
    return Unprocessable(
        f"password is longer than {MAX_PASSWORD_BYTES} bytes",
        errors=[{"field": "password", "message": f"must be at most {MAX_PASSWORD_BYTES} bytes"}],
    )


def create_user(*, password: str, **fields) -> dict:
    """A new user (sign-up, the command line, the demo data): 409 if the username or email is
    taken, 422 if the password is over bcrypt's 72 bytes."""
    if not password_fits(password):
        raise _too_long_password()
    users.raise_if_taken(username=fields.get("username"), email=fields.get("email"))
    password_hash = hash_password(password, settings().bcrypt_rounds)
    return users.insert_user(password_hash=password_hash, **fields)


def authenticate(username: str, password: str) -> dict | None:
    """The active user with this username and password, or None.

    bcrypt runs for unknown or inactive users too, so that the answer takes as long whether or
    not the username exists.
    """
    user, password_hash, active = users.sign_in_record(username)
    matched = verify_password(password, password_hash, settings().bcrypt_rounds)
    return user if matched and active else None


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
    return retry.until_written(
        lambda: _try_patch_user(
            user_id, operations, caller_id, caller_is_privileged, expected_versions
        ),
        what=f"user {user_id}",
    )


def _try_patch_user(user_id, operations, caller_id, caller_is_privileged, expected_versions):
    """One attempt, checking in the contract's order: the user exists (404); the caller may
    write the fields the patch writes, with the proof it needs (403); the patched document is
    valid (422); its ``test`` operations hold (409); If-Match (412); the email is free (409).
    None when the user changed between the read and the write (patch again)."""
    document, version, caller_hash = users.patch_target(user_id, caller_id)
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
        users.raise_if_taken(email=changes["email"], exclude=user_id)
    values = dict(changes)
    if "password" in values:
        values["password_hash"] = hash_password(values.pop("password"), settings().bcrypt_rounds)
    if not values:
        return document_without_password(document), version
    return users.update_user(user_id, version, values, expected=expected_versions is not None)


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
