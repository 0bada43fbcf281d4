"""Team patches: a patch that changes nothing writes nothing."""

from __future__ import annotations

import pytest

from domain import teams as team_rules
from storage import teams
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("database")


def test_a_no_op_patch_changes_nothing():
    leader = make_user()
    team, version = teams.create_team("Same", leader["id"])
    assert team_rules.patch_team(
        team["id"], [{"op": "test", "path": "/title", "value": "Same"}]
    ) == (team, version)
