from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Integer, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

USERNAME_MAX = 80
EMAIL_MAX = 120
NAME_MAX = 30
PASSWORD_HASH_MAX = 128


class User(Base):
    __tablename__ = "users"
    # Lengths are checked here too, because SQLite does not enforce VARCHAR(n).
    __table_args__ = (
        CheckConstraint(f"length(username) BETWEEN 3 AND {USERNAME_MAX}", name="username_length"),
        CheckConstraint(f"length(email) BETWEEN 3 AND {EMAIL_MAX}", name="email_length"),
        CheckConstraint(
            f"length(first_name) <= {NAME_MAX} AND length(middle_name) <= {NAME_MAX} "
            f"AND length(last_name) <= {NAME_MAX}",
            name="name_lengths",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(PASSWORD_HASH_MAX))
    first_name: Mapped[str] = mapped_column(String(NAME_MAX), default="", server_default="")
    middle_name: Mapped[str] = mapped_column(String(NAME_MAX), default="", server_default="")
    last_name: Mapped[str] = mapped_column(String(NAME_MAX), default="", server_default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    is_regular_user: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic concurrency: every UPDATE checks and bumps it (``WHERE version = :old``).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}
