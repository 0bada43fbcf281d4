from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.user import User

TITLE_MIN = 3
TITLE_MAX = 50


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (
        CheckConstraint(f"length(title) BETWEEN {TITLE_MIN} AND {TITLE_MAX}", name="title_length"),
        # The ids alone, apart from the rows: SQLite counts the teams and skips to a deep page
        # offset through this narrow index, not through the table itself (bench/README.md).
        Index("ix_teams_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    members: Mapped[list[TeamMember]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed on its own too: "the teams a user belongs to" is a hot query.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship()
