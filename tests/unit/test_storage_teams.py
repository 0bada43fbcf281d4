"""Teams in the database: every call on a team that is not there is NotFound."""

from __future__ import annotations

import pytest

from domain import teams as team_rules
from storage import teams
from storage.errors import NotFound

pytestmark = pytest.mark.usefixtures("database")


def test_missing_teams():
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
