"""What the server does when something breaks underneath it."""

from __future__ import annotations

import pytest

from auth import permissions
from tests.helpers import assert_problem, auth


def test_an_unexpected_error_is_a_logged_500_problem(client, people, monkeypatch, caplog):
    from storage import teams

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(teams, "list_teams", explode)
    response = client.get("/api/v1/teams/", headers=auth(people["alice"]))

    assert_problem(response, 500)
    assert "disk on fire" not in response.text
    assert any("unhandled error" in record.message for record in caplog.records)


def test_an_unknown_rule_name_stops_the_server_from_starting():
    with pytest.raises(LookupError, match="not a known rule"):
        permissions.enforcing("no-such-rule", "GET", lambda: None)


@pytest.mark.parametrize(
    "path", ["/api/v1/teams/abc", "/api/v1/teams/0", "/api/v1/users/99999999999"]
)
def test_options_on_an_impossible_id_is_404(client, people, path):
    assert client.options(path, headers=auth(people["alice"])).status_code == 404


def test_options_on_an_unknown_path_is_404(client):
    assert client.options("/api/v1/nothing-here").status_code == 404


def test_the_undecodable_body_handler_answers_400():
    from web.problems import from_undecodable_body

    class Request:
        class url:
            path = "/api/v1/users/"

    response = from_undecodable_body(
        Request(), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid")
    )
    assert response.status_code == 400
