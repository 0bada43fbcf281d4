"""Rows that carry a version column (teams, and the resources ``apiserver scaffold`` writes):
read one with its version, write changes to it or delete it only while it is still at the
version the caller read, or write values over it whatever version it is at (a patch that only
replaces fields needs no read). The versions are the ETags of the HTTP layer; the comparison is
in the UPDATE or DELETE itself, so of concurrent writers exactly one wins each version."""

from __future__ import annotations

import functools

from marshmallow import Schema
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Time,
    TypeDecorator,
    Uuid,
    bindparam,
    delete,
    select,
)

from storage.db import one_statement, overwrite_versioned, reading, transaction, update_versioned
from storage.errors import NotFound, PreconditionFailed
from storage.representations import rows_dumper


# Built once per table and schema: the read before every patch is on a hot path (W3).
@functools.cache
def _row_by_id(model):
    return select(model.__table__).where(model.__table__.c.id == bindparam("row_id"))


@functools.cache
def _dumper(schema: Schema):
    return rows_dumper(schema)


def _dumped(schema: Schema, row) -> dict:
    return _dumper(schema)([row._mapping])[0]


def get(model, row_id: int, schema: Schema, what: str) -> tuple[dict, int]:
    """The row as ``schema`` dumps it, and its version. ``what`` names it in errors: "team 7"."""
    with reading() as connection:
        row = connection.execute(_row_by_id(model), {"row_id": row_id}).first()
    if row is None:
        raise NotFound(f"{what} does not exist")
    return _dumped(schema, row), row.version


def update(
    model, row_id: int, version: int, changes: dict, schema: Schema, what: str, *, expected: bool
) -> tuple[dict, int] | None:
    """Write ``changes`` if the row is still at ``version``: the row and its new version.
    Otherwise None (the caller patches again), or 412 when the version came from If-Match."""
    with one_statement() as connection:
        row = update_versioned(connection, model, row_id, version, changes)
    if row is not None:
        return _dumped(schema, row), row.version
    if expected:
        raise PreconditionFailed(f"{what} changed while it was being patched")
    return None


def overwrite(
    model, row_id: int, changes: dict, schema: Schema, expected_versions: set[int] | None = None
) -> tuple[dict, int] | None:
    """Write ``changes`` whatever version the row is at, in one statement, where one of them
    differs from what the row holds (writing the same values again leaves the version alone)
    and, with ``expected_versions`` (If-Match), only at one of those versions: the row and its
    new version. None when it writes nothing: no such row, another version, nothing to change,
    or a change that is not to a plain column (json, say, which PostgreSQL cannot compare); the
    caller reads the row and decides."""
    table = model.__table__
    if not all(column in table.c and _comparable(table.c[column]) for column in changes):
        return None
    with one_statement() as connection:
        row = overwrite_versioned(connection, model, row_id, changes, expected_versions)
    return None if row is None else (_dumped(schema, row), row.version)


# Column types whose values IS DISTINCT FROM compares on every database (not json, say).
_PLAIN = (String, Integer, Numeric, Boolean, DateTime, Date, Time, Uuid)


def _comparable(column) -> bool:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, _PLAIN)


def remove(model, row_id: int, what: str, expected_versions: set[int] | None = None) -> None:
    """Delete the row; with ``expected_versions`` (If-Match), only at one of those versions."""
    with transaction() as session:
        version = session.scalar(select(model.version).where(model.id == row_id))
        if version is None:
            raise NotFound(f"{what} does not exist")
        if expected_versions is not None and version not in expected_versions:
            raise PreconditionFailed(f"{what} has changed (it is at version {version})")
        deleted = session.execute(delete(model).where(model.id == row_id, model.version == version))
        if deleted.rowcount != 1:
            raise PreconditionFailed(f"{what} changed while it was being deleted")
