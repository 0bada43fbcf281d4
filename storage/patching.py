"""RFC 6902 JSON Patch applied to a resource's patchable document, then checked against the
contract's schema for that document. Errors are domain errors: a failed ``test`` is a Conflict,
anything that cannot apply or breaks a rule is Unprocessable."""

from __future__ import annotations

import copy
import functools
import typing as t

import jsonpatch
import jsonpointer
from jsonschema import Draft4Validator

import openapi
from storage.errors import Conflict, Unprocessable


@functools.cache
def _validator(schema_name: str) -> Draft4Validator:
    schema = openapi.bundle()["components"]["schemas"][schema_name]
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def split_tests(operations: list[dict], path: str) -> tuple[list[dict], list]:
    """Take out the ``test`` operations on ``path`` (a pseudo-field such as /current_password)."""
    tests = [op["value"] for op in operations if op["op"] == "test" and op["path"] == path]
    rest = [op for op in operations if not (op["op"] == "test" and op["path"] == path)]
    return rest, tests


def apply(
    document: dict,
    operations: list[dict],
    *,
    schema_name: str,
    read_only: frozenset[str],
    check: t.Callable[[dict], None] | None = None,
) -> dict:
    """Apply ``operations`` to ``document``; return the fields whose values changed.

    ``document`` holds the patchable fields and the read-only ones (so that ``test`` can look
    at them); changing a read-only field, adding an unknown one or removing a required one is
    Unprocessable, as is a result the contract's ``schema_name`` rejects. The changes are
    checked before the ``test`` operations, so that an invalid patch is 422 even when one of its
    tests would also fail (409): semantic validation comes before conflicts. ``check`` receives
    the changed fields for the rules a schema cannot say, after the schema and before the tests.
    """
    changes = [operation for operation in operations if operation.get("op") != "test"]
    patched = _applied(document, changes)
    if not isinstance(patched, dict):
        raise Unprocessable("the patch replaced the whole document")

    touched = {
        key
        for key in set(document) | set(patched)
        if document.get(key, ...) != patched.get(key, ...)
    }
    frozen = sorted(touched & read_only)
    if frozen:
        raise Unprocessable(
            f"read-only field(s): {', '.join(frozen)}",
            errors=[{"field": name, "message": "is read-only"} for name in frozen],
        )
    # Untouched placeholders (None, such as a password that is never shown) are not checked.
    result = {
        key: value
        for key, value in patched.items()
        if key not in read_only and (key in touched or value is not None)
    }
    errors = [
        item
        for error in _validator(schema_name).iter_errors(result)
        for item in openapi.field_errors(error)
    ]
    if errors:
        summary = "; ".join(f"{e['field']} {e['message']}" for e in errors)
        raise Unprocessable(f"the patched document is invalid: {summary}", errors=errors)
    changed = {key: result[key] for key in touched if key in result}
    if check is not None:
        check(changed)
    if len(changes) != len(operations):
        _applied(document, operations)  # now the tests, each against the state it follows
    return changed


def _applied(document: dict, operations: list[dict]):
    try:
        return jsonpatch.apply_patch(copy.deepcopy(document), operations)
    except jsonpatch.JsonPatchTestFailed as failure:
        raise Conflict(f"a test operation failed: {failure}") from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
        raise Unprocessable(f"the patch cannot be applied: {error}") from None
