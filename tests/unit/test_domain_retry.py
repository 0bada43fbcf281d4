"""The optimistic retry of every versioned patch, teams' and users' alike: a patch applies
again when the row changed under it, gives up on a row that keeps changing (409), and with
If-Match refuses a concurrent change (412)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from domain import patching
from domain import teams as team_rules
from domain import users as user_rules
from models import Team, User
from storage import db, teams
from storage.errors import Conflict, PreconditionFailed
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("database")

# A team patch of replacements only is one UPDATE whatever the version (no read to race with):
# these patches test first, so they read, decide and write at the version read.
RETITLE = [
    {"op": "test", "path": "/title", "value": "Original"},
    {"op": "replace", "path": "/title", "value": "Mine"},
]


def test_a_patch_applies_again_when_the_team_changed_under_it(monkeypatch):
    leader = make_user()
    team, _ = teams.create_team("Original", leader["id"])
    interfere = _interfering(monkeypatch, Team, team["id"], times=1)

    patched, version = team_rules.patch_team(team["id"], RETITLE)

    assert interfere.count == 1
    assert (patched["title"], version) == ("Mine", 3)


def test_a_patch_gives_up_on_a_team_that_keeps_changing(monkeypatch):
    leader = make_user()
    team, _ = teams.create_team("Original", leader["id"])
    _interfering(monkeypatch, Team, team["id"], times=10)

    with pytest.raises(Conflict):
        team_rules.patch_team(team["id"], RETITLE)


def test_with_if_match_a_concurrent_change_to_the_team_is_412(monkeypatch):
    leader = make_user()
    team, version = teams.create_team("Original", leader["id"])
    _interfering(monkeypatch, Team, team["id"], times=1)

    with pytest.raises(PreconditionFailed):
        team_rules.patch_team(team["id"], RETITLE, {version})


def test_a_patch_applies_again_when_the_user_changed_under_it(monkeypatch):
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


def test_a_patch_gives_up_on_a_user_that_keeps_changing(monkeypatch):
    user = make_user()
    _interfering(monkeypatch, User, user["id"], times=10)
    with pytest.raises(Conflict):
        user_rules.patch_user(
            user["id"],
            [{"op": "replace", "path": "/first_name", "value": "Mine"}],
            caller_id=user["id"],
            caller_is_privileged=False,
        )


def test_with_if_match_a_concurrent_change_to_the_user_is_412(monkeypatch):
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
