"""Teams and their members. Membership changes lock the team row first, so that concurrent
changes to one team happen one after another and a team never loses its last leader."""

from __future__ import annotations

import typing as t

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from models import Team, TeamMember, User
from storage import representations, versioned
from storage.db import reading, transaction
from storage.errors import Conflict, NotFound, PreconditionFailed


def _missing(team_id: int) -> NotFound:
    return NotFound(f"team {team_id} does not exist")


def _not_a_member(team_id: int, user_id: int) -> NotFound:
    return NotFound(f"user {user_id} is not a member of team {team_id}")


def _membership_query(with_member: bool):
    """Built once per shape: the team, the caller's role in it, and (on a member's path) whether
    that member exists, in one query of primary-key lookups."""
    caller, member = aliased(TeamMember), aliased(TeamMember)
    query = (
        select(Team.id, caller.is_leader)
        .outerjoin(caller, (caller.team_id == Team.id) & (caller.user_id == bindparam("user_id")))
        .where(Team.id == bindparam("team_id"))
    )
    if with_member:
        query = query.add_columns(member.user_id.label("member")).outerjoin(
            member, (member.team_id == Team.id) & (member.user_id == bindparam("member_id"))
        )
    return query


_MEMBERSHIP = _membership_query(with_member=False)
_MEMBERSHIP_AND_MEMBER = _membership_query(with_member=True)


def membership(team_id: int, user_id: int, member_id: int | None = None) -> bool | None:
    """None if ``user_id`` is not a member of the team, else whether they lead it.

    NotFound if there is no such team, or if ``member_id`` (the member a request is about) is
    given and is not a member. One query either way.
    """
    query = _MEMBERSHIP if member_id is None else _MEMBERSHIP_AND_MEMBER
    values = {"team_id": team_id, "user_id": user_id, "member_id": member_id}
    with reading() as connection:
        row = connection.execute(query, values).first()
    if row is None:
        raise _missing(team_id)
    if member_id is not None and row.member is None:
        raise _not_a_member(team_id, member_id)
    return row.is_leader


def create_team(title: str, leader_id: int) -> tuple[dict, int]:
    with transaction() as session:
        team = Team(title=title)
        session.add(team)
        session.flush()
        session.add(TeamMember(team_id=team.id, user_id=leader_id, is_leader=True))
        return representations.team.dump(team), team.version


def get_team(team_id: int) -> tuple[dict, int]:
    return versioned.get(Team, team_id, representations.team, f"team {team_id}")


_TEAMS = Team.__table__
_MEMBERS = TeamMember.__table__
_TEAM_COLUMNS = [_TEAMS.c[name] for name in representations.team.fields]
_dump_teams = representations.rows_dumper(representations.team)


# Built once: the list pages (every team, or a member's teams) and their counts, each an
# indexed query, read without an ORM session. A page of every team finds its first id in the
# narrow index on teams.id (ix_teams_id), skipping ``offset`` entries from the front or, past the
# middle, the fewer entries from the back (skipping is linear: ~8 ns an entry on SQLite), then
# reads its rows by primary key.
def _page_of_all_teams(first_id):
    return (
        select(*_TEAM_COLUMNS)
        .where(_TEAMS.c.id >= first_id.limit(1).scalar_subquery())
        .order_by(_TEAMS.c.id)
        .limit(bindparam("limit"))
    )


_ALL_TEAMS_FROM_THE_FRONT = _page_of_all_teams(
    select(_TEAMS.c.id).order_by(_TEAMS.c.id).offset(bindparam("skip"))
)
_ALL_TEAMS_FROM_THE_BACK = _page_of_all_teams(
    select(_TEAMS.c.id).order_by(_TEAMS.c.id.desc()).offset(bindparam("skip"))
)
_ALL_TEAMS_COUNT = select(func.count()).select_from(_TEAMS)
_MEMBER_TEAMS = (
    select(*_TEAM_COLUMNS)
    .join(_MEMBERS, _MEMBERS.c.team_id == _TEAMS.c.id)
    .where(_MEMBERS.c.user_id == bindparam("member_id"))
    .order_by(_TEAMS.c.id)
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)
_MEMBER_TEAMS_COUNT = (
    select(func.count()).select_from(_MEMBERS).where(_MEMBERS.c.user_id == bindparam("member_id"))
)


def list_teams(offset: int, limit: int, member_id: int | None = None) -> tuple[list[dict], int]:
    """A page of teams by id, and how many there are: all of them, or those ``member_id``
    belongs to."""
    with reading() as connection:
        if member_id is not None:
            values = {"offset": offset, "limit": limit, "member_id": member_id}
            total = connection.scalar(_MEMBER_TEAMS_COUNT, values)
            rows = connection.execute(_MEMBER_TEAMS, values).mappings().all()
            return _dump_teams(rows), total
        total = connection.scalar(_ALL_TEAMS_COUNT)
        if offset >= total:
            return [], total
        if offset < total // 2:
            page, skip = _ALL_TEAMS_FROM_THE_FRONT, offset
        else:
            page, skip = _ALL_TEAMS_FROM_THE_BACK, total - 1 - offset
        rows = connection.execute(page, {"skip": skip, "limit": limit}).mappings().all()
    return _dump_teams(rows), total


def update_team(
    team_id: int, version: int, changes: dict, *, expected: bool
) -> tuple[dict, int] | None:
    """Write ``changes`` if the team is still at ``version`` (storage.versioned.update)."""
    return versioned.update(
        Team, team_id, version, changes, representations.team, f"team {team_id}", expected=expected
    )


def overwrite_team(
    team_id: int, changes: dict, expected_versions: set[int] | None = None
) -> tuple[dict, int] | None:
    """Write ``changes`` whatever the team holds (storage.versioned.overwrite)."""
    return versioned.overwrite(Team, team_id, changes, representations.team, expected_versions)


def delete_team(team_id: int, expected_versions: set[int] | None = None) -> None:
    """Delete the team and its memberships (ON DELETE CASCADE)."""
    versioned.remove(Team, team_id, f"team {team_id}", expected_versions)


def list_members(team_id: int, offset: int, limit: int) -> tuple[list[dict], int]:
    with transaction() as session:
        total = session.scalar(
            select(func.count()).select_from(TeamMember).where(TeamMember.team_id == team_id)
        )
        rows = session.execute(
            select(TeamMember, User)
            .join(User, User.id == TeamMember.user_id)
            .where(TeamMember.team_id == team_id)
            .order_by(TeamMember.user_id)
            .offset(offset)
            .limit(limit)
        ).all()
        return [
            representations.team_member.dump({"user": user, "is_leader": member.is_leader})
            for member, user in rows
        ], total


def _lock_team(session, team_id: int) -> None:
    """Take the team's row lock (a write lock on SQLite) for the rest of the transaction."""
    locked = session.execute(
        update(Team)
        .where(Team.id == team_id)
        .values(
            id=Team.id, updated=Team.updated
        )  # a no-op write, so that `updated` keeps its value
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount != 1:
        raise _missing(team_id)


def _leaders(session, team_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(TeamMember)
        .where(TeamMember.team_id == team_id, TeamMember.is_leader.is_(True))
    )


def member_version(user_version: int, is_leader: bool) -> int:
    """A member's version, for its strong ETag. Members have no version column: their
    representation is the user's short shape and ``is_leader``, so the tag is derived from the
    user's version and ``is_leader``, and changes whenever either does."""
    return 2 * user_version + int(is_leader)


def _member(user: User, is_leader: bool) -> tuple[dict, int]:
    return (
        representations.team_member.dump({"user": user, "is_leader": is_leader}),
        member_version(user.version, is_leader),
    )


def _refuse_unless_expected(team_id, user_id, version, expected_versions) -> None:
    if expected_versions is not None and version not in expected_versions:
        raise PreconditionFailed(f"member {user_id} of team {team_id} has changed")


def add_member(team_id: int, user_id: int, is_leader: bool = False) -> tuple[dict, int]:
    """Add a member; return it and its version."""
    try:
        with transaction() as session:
            _lock_team(session, team_id)
            user = session.get(User, user_id)
            if user is None:
                raise NotFound(f"user {user_id} does not exist")
            if session.get(TeamMember, (team_id, user_id)) is not None:
                raise Conflict(f"user {user_id} is already a member of team {team_id}")
            session.add(TeamMember(team_id=team_id, user_id=user_id, is_leader=is_leader))
            session.flush()
            return _member(user, is_leader)
    except IntegrityError:
        raise Conflict(f"user {user_id} is already a member of team {team_id}") from None


def change_member(
    team_id: int,
    user_id: int,
    change: t.Callable[[dict], dict],
    expected_versions: set[int] | None = None,
) -> tuple[dict, int]:
    """Change a member under the team's lock: ``change`` maps the member as it is to the fields
    to write (a JSON Patch, say); return the member and its version. A team never loses its
    last leader (409).

    ``expected_versions`` (If-Match) is compared under the team's lock, which every membership
    change takes, so ``is_leader`` cannot change between the comparison and the write. (A
    concurrent change to the user's names may; it commutes with this one.)
    """
    with transaction() as session:
        _lock_team(session, team_id)
        row = session.execute(
            select(TeamMember, User)
            .join(User, User.id == TeamMember.user_id)
            .where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
        ).first()
        if row is None:
            raise _not_a_member(team_id, user_id)
        member, user = row
        document, version = _member(user, member.is_leader)
        changes = change(document)
        _refuse_unless_expected(team_id, user_id, version, expected_versions)
        if "is_leader" in changes:
            member.is_leader = changes["is_leader"]
            session.flush()
            if _leaders(session, team_id) == 0:
                raise Conflict(
                    "a team needs a leader: promote someone before demoting the last one"
                )
        return _member(user, member.is_leader)


def remove_member(team_id: int, user_id: int, expected_versions: set[int] | None = None) -> None:
    """Remove a member; ``expected_versions`` (If-Match) is compared under the team's lock."""
    with transaction() as session:
        _lock_team(session, team_id)
        if expected_versions is not None:
            row = session.execute(
                select(TeamMember.is_leader, User.version)
                .join(User, User.id == TeamMember.user_id)
                .where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
            ).first()
            if row is None:
                raise _not_a_member(team_id, user_id)
            version = member_version(row.version, row.is_leader)
            _refuse_unless_expected(team_id, user_id, version, expected_versions)
        removed = session.execute(
            delete(TeamMember).where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
        )
        if removed.rowcount != 1:
            raise _not_a_member(team_id, user_id)
        if _leaders(session, team_id) == 0:
            raise Conflict("a team needs a leader: promote someone before the last leader leaves")
