"""An item read costs its token, its rule and its row."""

from __future__ import annotations

from tests.helpers import auth


def test_item_reads_cost_token_rule_and_row(client, people, statements):
    headers = auth(people["alice"])
    team = client.post("/api/v1/teams/", json={"title": "Small team"}, headers=headers).json()

    with statements() as seen:
        assert client.get(f"/api/v1/teams/{team['id']}", headers=headers).status_code == 200
    assert len(seen) == 3
