"""Team patches: a patch that changes nothing writes nothing; a patch of replacements only is
one UPDATE, and says 404, 412 or "unchanged" as a patch that reads first does."""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, Column, Integer, String, TypeDecorator
from sqlalchemy.orm import declarative_base

from domain import teams as team_rules
from storage import representations, teams, versioned
from storage.errors import NotFound, PreconditionFailed, Unprocessable
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("database")

RENAME = [{"op": "replace", "path": "/title", "value": "Renamed"}]


@pytest.fixture
def team():
    team, version = teams.create_team("Same", make_user()["id"])
    return team, version


def test_a_no_op_patch_changes_nothing(team):
    document, version = team
    assert team_rules.patch_team(
        document["id"], [{"op": "test", "path": "/title", "value": "Same"}]
    ) == (document, version)


def test_replacing_a_value_with_itself_changes_nothing(team):
    document, version = team
    same = [{"op": "replace", "path": "/title", "value": "Same"}]
    assert team_rules.patch_team(document["id"], same) == (document, version)
    assert team_rules.patch_team(document["id"], same, {version}) == (document, version)


def test_a_patch_of_replacements_only_is_one_update_and_no_read(team, statements):
    document, version = team
    with statements() as seen:
        renamed, new_version = team_rules.patch_team(
            document["id"], [*RENAME, {"op": "replace", "path": "/title", "value": "Last wins"}]
        )
    assert [statement.split()[0] for statement in seen] == ["UPDATE"]
    assert renamed["title"] == "Last wins" and new_version == version + 1
    assert teams.get_team(document["id"]) == (renamed, new_version)


def test_replacements_under_if_match(team):
    document, version = team
    with pytest.raises(PreconditionFailed):
        team_rules.patch_team(document["id"], RENAME, {version + 1})
    assert teams.get_team(document["id"]) == (document, version)

    renamed, new_version = team_rules.patch_team(document["id"], RENAME, {version, version + 5})
    assert (renamed["title"], new_version) == ("Renamed", version + 1)


def test_replacing_in_a_missing_team_is_not_found():
    with pytest.raises(NotFound):
        team_rules.patch_team(10**6, RENAME)


def test_a_replacement_the_schema_refuses_takes_the_way_that_explains_it(team, statements):
    document, version = team
    with statements() as seen, pytest.raises(Unprocessable) as refused:
        team_rules.patch_team(document["id"], [{"op": "replace", "path": "/title", "value": "x"}])
    assert refused.value.errors == [
        {"field": "title", "message": "must be at least 3 characters long"}
    ]
    assert [statement.split()[0] for statement in seen] == ["SELECT"]
    assert teams.get_team(document["id"]) == (document, version)


class JSONText(TypeDecorator):
    impl = JSON
    cache_ok = True


@pytest.mark.parametrize(
    "changes", [{"body": {}}, {"wrapped": {}}, {"title": "x", "wrapped": {}}, {"not_a_column": 1}]
)
def test_only_plain_columns_are_overwritten_blind(changes, statements):
    """PostgreSQL cannot compare json values, and a field that is no column has no SET: such a
    patch takes the way that reads first, and this one writes nothing."""
    Model = declarative_base()

    class Document(Model):
        __tablename__ = "never_created"
        id = Column(Integer, primary_key=True)
        version = Column(Integer)
        title = Column(String)
        body = Column(JSON)
        wrapped = Column(JSONText)

    with statements() as seen:
        assert versioned.overwrite(Document, 1, changes, representations.team) is None
    assert seen == []
