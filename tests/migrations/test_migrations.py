"""Migrations build the schema, match the models, and round-trip with data present."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import DataError, IntegrityError

import migrations
import models
from storage.db import make_engine
from tests.conftest import database_backends, scratch_database

pytestmark = pytest.mark.migrations


@pytest.fixture(params=database_backends())
def empty_database(request, tmp_path):
    with scratch_database(request.param, tmp_path) as url:
        yield url


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


# Every table of the models (a resource `apiserver scaffold` adds included), and these at least.
EXPECTED_TABLES = set(models.Base.metadata.tables)
assert {"users", "teams", "team_members", "oauth2_clients", "oauth2_tokens"} <= EXPECTED_TABLES


def test_there_is_a_single_head():
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_builds_the_models_and_alembic_check_finds_no_difference(empty_database):
    migrations.upgrade(empty_database)

    assert table_names(empty_database) == EXPECTED_TABLES
    assert migrations.is_up_to_date(empty_database)
    migrations.check(empty_database)  # raises if the models and the migrations differ


def test_upgrade_downgrade_upgrade_round_trips_with_data_present(empty_database):
    migrations.upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (username, email, password_hash, created, updated) "
                    "VALUES ('keep', 'keep@example.com', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
    finally:
        engine.dispose()

    migrations.downgrade(empty_database, "base")
    assert table_names(empty_database) == set()
    assert migrations.current_revision(empty_database) is None

    migrations.upgrade(empty_database)
    assert table_names(empty_database) == EXPECTED_TABLES
    migrations.check(empty_database)


def test_the_database_enforces_the_promised_constraints(empty_database):
    migrations.upgrade(empty_database)
    engine = make_engine(empty_database)
    insert_user = text(
        "INSERT INTO users (username, email, password_hash, created, updated) "
        "VALUES (:username, :email, 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    try:
        with engine.begin() as connection:
            connection.execute(insert_user, {"username": "same", "email": "a@example.com"})
        for values in (
            {"username": "same", "email": "b@example.com"},  # duplicate username
            {"username": "other", "email": "a@example.com"},  # duplicate email
            {"username": "x" * 81, "email": "c@example.com"},  # too long
            {"username": "ab", "email": "d@example.com"},  # too short
            {"username": "fine", "email": "e" * 121},  # too long
        ):
            with pytest.raises((IntegrityError, DataError)), engine.begin() as connection:
                connection.execute(insert_user, values)
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(
                text("INSERT INTO team_members (team_id, user_id) VALUES (999, 999)")
            )
    finally:
        engine.dispose()
