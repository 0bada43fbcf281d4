"""The paths the happy flows do not take: races, corrupt input, things that are not there."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import exc, update

from auth import passwords
from domain import clients as client_rules
from domain import patching
from domain import teams as team_rules
from domain import users as user_rules
from models import Team, User
from models.base import StringList, UTCDateTime
from storage import clients, db, teams, tokens, users
from storage.errors import Conflict, InvalidInput, NotFound, PreconditionFailed, Unprocessable
from tests.factories import make_user


def test_timestamps_must_be_aware_and_come_back_in_utc():
    column = UTCDateTime()
    assert column.process_bind_param(None, None) is None
    assert column.process_result_value(None, None) is None
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(dt.datetime(2026, 1, 1), None)
    paris = dt.timezone(dt.timedelta(hours=1))
    stored = column.process_bind_param(dt.datetime(2026, 1, 1, 13, tzinfo=paris), None)
    assert stored == dt.datetime(2026, 1, 1, 12)
    assert column.process_result_value(stored, None).tzinfo == dt.UTC


def test_string_lists_refuse_items_with_spaces():
    column = StringList()
    assert column.process_bind_param(None, None) is None
    assert column.process_result_value(None, None) is None
    assert column.process_bind_param(["a", "b"], None) == "a b"
    for bad in (["a b"], [""]):
        with pytest.raises(ValueError):
            column.process_bind_param(bad, None)


def test_password_hashing_limits():
    with pytest.raises(ValueError):
        passwords.hash_password("x" * 73, 4)
    assert passwords.verify_password("x" * 73, passwords.hash_password("x" * 72, 4), 4) is False
    assert passwords.verify_password("anything", "not-a-bcrypt-hash", 4) is False
    assert passwords.verify_password("anything", None, 4) is False


def test_storage_must_be_configured_first(monkeypatch):
    monkeypatch.setattr(db, "_engine", None)
    monkeypatch.setattr(db, "_settings", None)
    with pytest.raises(RuntimeError):
        db.engine()
    with pytest.raises(RuntimeError):
        db.settings()


def test_a_value_the_database_refuses_is_invalid_input(database):
    with pytest.raises(InvalidInput), db.transaction():
        raise exc.DataError("INSERT ...", {}, Exception("value too long"))


@pytest.mark.usefixtures("database")
class TestClients:
    def test_registration_errors(self):
        owner = make_user()
        with pytest.raises(Unprocessable):
            client_rules.register_client(owner_id=owner["id"], grant_types=["implicit"])
        with pytest.raises(NotFound):
            client_rules.register_client(owner_id=999_999)
        client_rules.register_client(owner_id=owner["id"], client_id="mine")
        with pytest.raises(Conflict):
            client_rules.register_client(owner_id=owner["id"], client_id="mine")

    def test_deleting_a_missing_client(self):
        with pytest.raises(NotFound):
            clients.delete_client("nope")


@pytest.mark.usefixtures("database")
class TestTeams:
    def test_missing_teams(self):
        for call in (
            lambda: teams.get_team(999_999),
            lambda: team_rules.patch_team(
                999_999, [{"op": "replace", "path": "/title", "value": "New one"}]
            ),
            lambda: teams.delete_team(999_999),
            lambda: teams.add_member(999_999, 1),
            lambda: teams.membership(999_999, 1),
        ):
            with pytest.raises(NotFound):
                call()

    def test_a_patch_applies_again_when_the_team_changed_under_it(self, monkeypatch):
        leader = make_user()
        team, _ = teams.create_team("Original", leader["id"])
        interfere = _interfering(monkeypatch, Team, team["id"], times=1)

        patched, version = team_rules.patch_team(
            team["id"], [{"op": "replace", "path": "/title", "value": "Mine"}]
        )

        assert interfere.count == 1
        assert (patched["title"], version) == ("Mine", 3)

    def test_a_patch_gives_up_on_a_team_that_keeps_changing(self, monkeypatch):
        leader = make_user()
        team, _ = teams.create_team("Original", leader["id"])
        _interfering(monkeypatch, Team, team["id"], times=10)

        with pytest.raises(Conflict):
            team_rules.patch_team(
                team["id"], [{"op": "replace", "path": "/title", "value": "Mine"}]
            )

    def test_with_if_match_a_concurrent_change_is_412(self, monkeypatch):
        leader = make_user()
        team, version = teams.create_team("Original", leader["id"])
        _interfering(monkeypatch, Team, team["id"], times=1)

        with pytest.raises(PreconditionFailed):
            team_rules.patch_team(
                team["id"], [{"op": "replace", "path": "/title", "value": "Mine"}], {version}
            )

    def test_a_no_op_patch_changes_nothing(self):
        leader = make_user()
        team, version = teams.create_team("Same", leader["id"])
        assert team_rules.patch_team(
            team["id"], [{"op": "test", "path": "/title", "value": "Same"}]
        ) == (team, version)


@pytest.mark.usefixtures("database")
class TestUsers:
    def test_missing_users(self):
        with pytest.raises(NotFound):
            users.get_user(999_999)
        with pytest.raises(NotFound):
            user_rules.patch_user(999_999, [], caller_id=1, caller_is_privileged=True)

    def test_a_patch_applies_again_when_the_user_changed_under_it(self, monkeypatch):
        user = make_user()
        interfere = _interfering(monkeypatch, User, user["id"], times=1)

        patched, version = user_rules.patch_user(
            user["id"],
            [{"op": "replace", "path": "/first_name", "value": "Mine"}],
            caller_id=user["id"],
            caller_is_privileged=False,
        )

        assert interfere.count == 1
        assert (patched["first_name"], version) == ("Mine", 3)

    def test_a_patch_gives_up_on_a_user_that_keeps_changing(self, monkeypatch):
        user = make_user()
        _interfering(monkeypatch, User, user["id"], times=10)
        with pytest.raises(Conflict):
            user_rules.patch_user(
                user["id"],
                [{"op": "replace", "path": "/first_name", "value": "Mine"}],
                caller_id=user["id"],
                caller_is_privileged=False,
            )

    def test_with_if_match_a_concurrent_change_is_412(self, monkeypatch):
        user = make_user()
        _interfering(monkeypatch, User, user["id"], times=1)
        with pytest.raises(PreconditionFailed):
            user_rules.patch_user(
                user["id"],
                [{"op": "replace", "path": "/first_name", "value": "Mine"}],
                caller_id=user["id"],
                caller_is_privileged=False,
                expected_versions={1},
            )

    def test_a_new_password_over_72_bytes_is_refused(self):
        user = make_user(password="long enough")
        operations = [
            {"op": "test", "path": "/current_password", "value": "long enough"},
            {"op": "replace", "path": "/password", "value": "é" * 40},
        ]
        with pytest.raises(Unprocessable):
            user_rules.patch_user(
                user["id"], operations, caller_id=user["id"], caller_is_privileged=False
            )


@pytest.mark.usefixtures("demo_data")
def test_a_refresh_token_can_be_exchanged_only_once():
    user = make_user()
    tokens.issue(
        access_token="a1",
        refresh_token="r1",
        client_id="documentation",
        user_id=user["id"],
        scopes=["users:read"],
    )
    row = tokens.find_refresh_token("r1")
    tokens.issue(
        access_token="a2",
        refresh_token="r2",
        client_id="documentation",
        user_id=user["id"],
        scopes=["users:read"],
        rotates=row["id"],
    )

    with pytest.raises(Conflict):
        tokens.issue(
            access_token="a3",
            refresh_token="r3",
            client_id="documentation",
            user_id=user["id"],
            scopes=["users:read"],
            rotates=row["id"],
        )
    assert tokens.find_refresh_token("never issued") is None


def test_a_patch_that_replaces_the_whole_document_is_unprocessable():
    with pytest.raises(Unprocessable):
        patching.apply(
            {"title": "x"},
            [{"op": "replace", "path": "", "value": [1]}],
            operation_schema="TeamPatchOperation",
        )


class _Interference:
    count = 0


def _interfering(monkeypatch, model, row_id: int, times: int) -> _Interference:
    """Bump the row's version right after each patch is computed, as a concurrent writer would."""
    interference = _Interference()
    original = patching.apply

    def apply_then_interfere(*args, **kwargs):
        changes = original(*args, **kwargs)
        if interference.count < times:
            interference.count += 1
            with db.transaction() as session:
                session.execute(
                    update(model)
                    .where(model.id == row_id)
                    .values(version=model.version + 1)
                    .execution_options(synchronize_session=False)
                )
        return changes

    monkeypatch.setattr(patching, "apply", apply_then_interfere)
    return interference
