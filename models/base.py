"""The declarative base, its constraint naming convention and the column types all models share."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always read back as an aware UTC datetime.

    SQLite keeps no time zone, PostgreSQL's ``timestamp`` neither; storing UTC everywhere and
    attaching the zone on the way out gives the same value on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class StringList(TypeDecorator):
    """A list of strings without spaces (scopes, URIs, grant types), stored space-separated.

    OAuth 2 itself writes scope lists this way, so the stored form is also the wire form.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: list[str] | tuple[str, ...] | None, dialect):
        if value is None:
            return None
        items = list(value)
        if any(not item or " " in item for item in items):
            raise ValueError("list items must be non-empty and contain no spaces")
        return " ".join(items)

    def process_result_value(self, value: str | None, dialect):
        if value is None:
            return None
        return value.split()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
