"""What the two comparison apps share: the queries W1 and W2 need, written by hand.

``reference_flask.py`` and ``peer_fastapi.py`` answer ``GET /api/v1/users/me`` and
``GET /api/v1/teams/?limit=&offset=`` and ``PATCH /api/v1/teams/{id}`` from the product's own
database with the same work the product does (the token's keyed digest, one indexed lookup with
the expiry, revocation, active user and scope checks; then the user, or the page of teams and
their count, or the team's read and its versioned UPDATE) and nothing of the contract layer: no
request or response validation, no permission rules from the spec, no middlewares. They read DATABASE_URL and SECRET_KEY from the environment, as the product does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    select,
    update,
)

metadata = MetaData()
users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True), Column("username", String),
    Column("email", String), Column("first_name", String), Column("middle_name", String),
    Column("last_name", String), Column("is_active", Boolean), Column("is_regular_user", Boolean),
    Column("is_admin", Boolean), Column("is_internal", Boolean), Column("created", DateTime),
    Column("updated", DateTime),
)  # fmt: skip
teams = Table(
    "teams", metadata,
    Column("id", Integer, primary_key=True), Column("title", String),
    Column("version", Integer), Column("created", DateTime), Column("updated", DateTime),
)  # fmt: skip
tokens = Table(
    "oauth2_tokens", metadata,
    Column("id", Integer, primary_key=True), Column("access_token_hash", String),
    Column("client_id", String), Column("user_id", Integer), Column("scope", String),
    Column("access_expires_at", DateTime), Column("revoked", Boolean),
)  # fmt: skip

USER_FIELDS = (
    "id", "username", "email", "first_name", "middle_name", "last_name",
    "is_active", "is_regular_user", "is_admin",
)  # fmt: skip
SECRET = os.environ["SECRET_KEY"].encode()
URL = os.environ["DATABASE_URL"]


def _sqlite_pragmas(connection, record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


if URL.startswith("sqlite"):
    engine = create_engine(URL, connect_args={"check_same_thread": False, "timeout": 15})
    event.listen(engine, "connect", _sqlite_pragmas)
else:
    engine = create_engine(URL.replace("postgresql://", "postgresql+psycopg://", 1))


def _iso(value: dt.datetime) -> str:
    return value.replace(tzinfo=dt.UTC).isoformat()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def caller(connection, authorization: str | None, scope: str):
    """The user row a bearer token acts for, if the token is live and holds ``scope``."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    digest = hmac.new(SECRET, authorization[7:].encode(), hashlib.sha256).hexdigest()
    row = connection.execute(
        select(tokens.c.scope, users)
        .join(users, users.c.id == tokens.c.user_id)
        .where(
            tokens.c.access_token_hash == digest,
            tokens.c.revoked.is_(False),
            tokens.c.access_expires_at > _now(),
            users.c.is_active.is_(True),
        )
    ).first()
    if row is None or scope not in row.scope.split():
        return None
    return row


def current_user(authorization: str | None) -> tuple[int, dict]:
    with engine.connect() as connection:
        row = caller(connection, authorization, "users:read")
    if row is None:
        return 401, {"title": "Unauthorized", "status": 401}
    user = {name: row._mapping[name] for name in USER_FIELDS}
    user["created"] = _iso(row.created)
    user["updated"] = _iso(row.updated)
    return 200, user


def teams_page(authorization: str | None, offset: int, limit: int) -> tuple[int, object, dict]:
    with engine.connect() as connection:
        row = caller(connection, authorization, "teams:read")
        if row is None:
            return 401, {"title": "Unauthorized", "status": 401}, {}
        if not (row.is_admin or row.is_internal):
            return 403, {"title": "Forbidden", "status": 403}, {}
        total = connection.scalar(select(func.count()).select_from(teams))
        page = connection.execute(select(teams).order_by(teams.c.id).offset(offset).limit(limit))
        body = [_team(team) for team in page]
    return 200, body, {"X-Total-Count": str(total)}


def _team(team) -> dict:
    return {
        "id": team.id,
        "title": team.title,
        "created": _iso(team.created),
        "updated": _iso(team.updated),
    }


def patch_team(authorization: str | None, team_id: int, operations) -> tuple[int, dict, dict]:
    """W3: read the team, apply ``replace /title``, then ``UPDATE ... WHERE id AND version``;
    a concurrent writer means reading again, three attempts at most (as the product does)."""
    for _ in range(3):
        with engine.begin() as connection:
            row = caller(connection, authorization, "teams:write")
            if row is None:
                return 401, {"title": "Unauthorized", "status": 401}, {}
            team = connection.execute(select(teams).where(teams.c.id == team_id)).first()
            if team is None:
                return 404, {"title": "Not Found", "status": 404}, {}
            if not (row.is_admin or row.is_internal):
                return 403, {"title": "Forbidden", "status": 403}, {}
            title = team.title
            for operation in operations:
                if operation.get("op") != "replace" or operation.get("path") != "/title":
                    return 422, {"title": "Unprocessable Content", "status": 422}, {}
                title = operation.get("value")
            if not isinstance(title, str) or not 3 <= len(title) <= 50:
                return 422, {"title": "Unprocessable Content", "status": 422}, {}
            now = _now()
            updated = connection.execute(
                update(teams)
                .where(teams.c.id == team_id, teams.c.version == team.version)
                .values(title=title, version=team.version + 1, updated=now)
            )
            if updated.rowcount == 1:
                body = {**_team(team), "title": title, "updated": _iso(now)}
                return 200, body, {"ETag": f'"{team.version + 1}"'}
    return 409, {"title": "Conflict", "status": 409}, {}
