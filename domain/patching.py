"""RFC 6902 JSON Patch applied to a resource's document, under the rules the contract gives.

Each resource's patch-operation schema in the contract (``TeamPatchOperation``, ...) names the
paths an operation may write and the schema of each path's value; the request validator has
already held every operation to it. What a schema cannot check is the document after ``move``,
``copy`` and ``remove``: here every changed field must still be there, writable, and valid for
its value schema (422). A failed ``test`` is a Conflict (409). Messages name the operation by
its index and never repeat a value: a patch may carry a password.
"""

from __future__ import annotations

import copy
import functools
import typing as t

import jsonpatch
import jsonpointer
from jsonschema import Draft4Validator

import openapi
from domain import retry
from storage.errors import Conflict, PreconditionFailed, Unprocessable


@functools.cache
def writable_fields(operation_schema: str) -> dict[str, Draft4Validator]:
    """Field -> validator of its value, for the fields ``operation_schema`` lets ``replace``."""
    schemas = openapi.bundle()["components"]["schemas"]
    fields = {}
    for shape in schemas[operation_schema]["oneOf"]:
        properties = shape["properties"]
        if "replace" not in properties["op"]["enum"]:
            continue
        value = properties["value"]
        if "$ref" in value:
            value = schemas[value["$ref"].rsplit("/", 1)[-1]]
        for pointer in properties["path"]["enum"]:
            fields[pointer.lstrip("/")] = Draft4Validator(
                value, format_checker=Draft4Validator.FORMAT_CHECKER
            )
    return fields


def tests_of(operations: list[dict], pointer: str) -> list:
    """The values of the ``test`` operations on ``pointer`` (a pseudo-field such as
    /current_password, which the caller checks itself)."""
    return [op["value"] for op in operations if op["op"] == "test" and op["path"] == pointer]


def apply(
    document: dict,
    operations: list[dict],
    *,
    operation_schema: str,
    pseudo_fields: frozenset[str] = frozenset(),
    check: t.Callable[[dict], None] | None = None,
) -> dict:
    """Apply ``operations`` to ``document``; return the fields whose values changed.

    ``document`` holds the writable fields and the read-only ones (so that ``test`` can look at
    them). The changes are checked before the ``test`` operations, so that an invalid patch is
    422 even when one of its tests would also fail (409): semantic validation comes before
    conflicts. ``check`` receives the changed fields for the rules a schema cannot say, after
    the schema and before the tests. ``test`` operations of ``pseudo_fields`` are skipped: the
    caller has checked them.
    """
    numbered = [
        (index, operation)
        for index, operation in enumerate(operations)
        if not (operation["op"] == "test" and operation["path"] in pseudo_fields)
    ]
    patched = _applied(document, [item for item in numbered if item[1]["op"] != "test"])
    if not isinstance(patched, dict):
        raise Unprocessable("the patch replaced the whole document; patch its fields")

    fields = writable_fields(operation_schema)
    touched = sorted(
        key
        for key in set(document) | set(patched)
        if document.get(key, ...) != patched.get(key, ...)
    )
    errors = []
    for key in touched:
        if key not in fields:
            errors.append({"field": key, "message": "is read-only"})
        elif key not in patched:
            errors.append({"field": key, "message": "cannot be removed"})
        else:
            errors += [
                {"field": key, "message": openapi.describe(error)}
                for error in fields[key].iter_errors(patched[key])
            ]
    if errors:
        summary = "; ".join(f"{e['field']} {e['message']}" for e in errors)
        raise Unprocessable(f"the patched document is invalid: {summary}", errors=errors)
    changed = {key: patched[key] for key in touched}
    if check is not None:
        check(changed)
    if any(operation["op"] == "test" for _, operation in numbered):
        _applied(document, numbered)  # now the tests, each against the state it follows
    return changed


def replacements(operations: list[dict], operation_schema: str) -> dict | None:
    """The changes of a patch made only of ``replace`` operations on writable fields, each
    value valid for its field: field -> the last value it is given. Such a patch needs no
    document: whatever the row holds, it ends up holding these values. None for any other
    patch."""
    fields = writable_fields(operation_schema)
    changes = {}
    for operation in operations:
        field = operation["path"][1:]
        if operation["op"] != "replace" or field not in fields:
            return None
        if not fields[field].is_valid(operation["value"]):
            return None  # apply() says why
        changes[field] = operation["value"]
    return changes


def patch_versioned(
    read: t.Callable[[t.Any], tuple[dict, int]],
    write: t.Callable[..., tuple[dict, int] | None],
    row_id: t.Any,
    operations: list[dict],
    *,
    operation_schema: str,
    expected_versions: set[int] | None,
    what: str,
    overwrite: t.Callable[..., tuple[dict, int] | None] | None = None,
) -> tuple[dict, int]:
    """Patch the row ``row_id`` of a table that carries versions: ``read(row_id)`` gives its
    document and version, ``write(row_id, version, changes, expected=...)`` writes the changes
    only at that version (storage.versioned.update). If-Match (``expected_versions``) is 412
    when the row is at another version; a concurrent writer means patching again on the new
    state (domain.retry). Returns the document and its version, unchanged when the patch
    changes nothing.

    A patch of ``replacements`` only skips the read when ``overwrite`` is given:
    ``overwrite(row_id, changes, expected_versions)`` writes them in one statement where they
    change something (storage.versioned.overwrite). When it writes nothing (no such row,
    another version than If-Match's, nothing to change), the patch takes the way above, which
    says which.
    """
    changes = None if overwrite is None else replacements(operations, operation_schema)
    if changes:
        written = overwrite(row_id, changes, expected_versions)
        if written is not None:
            return written

    def attempt():
        document, version = read(row_id)
        changes = apply(document, operations, operation_schema=operation_schema)
        if expected_versions is not None and version not in expected_versions:
            raise PreconditionFailed(f"{what} has changed (it is at version {version})")
        if not changes:
            return document, version
        return write(row_id, version, changes, expected=expected_versions is not None)

    return retry.until_written(attempt, what=what)


def _applied(document: dict, numbered: list[tuple[int, dict]]):
    """``document`` after the operations, applied one by one so that an error names its own."""
    result = copy.deepcopy(document)
    for index, operation in numbered:
        where = f"operation {index} ({operation['op']} {operation['path']})"
        try:
            result = jsonpatch.apply_patch(result, [operation], in_place=True)
        except jsonpatch.JsonPatchTestFailed:
            raise Conflict(
                f"{where} failed: the document holds another value there",
                errors=[{"field": str(index), "message": "test failed"}],
            ) from None
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException):
            # The libraries' messages quote the document and the value: never pass them on.
            raise Unprocessable(
                f"{where} cannot be applied: its path does not exist in the document",
                errors=[{"field": str(index), "message": "cannot be applied"}],
            ) from None
    return result
