"""Lists cost the same number of queries whatever the page size and the table size: no N+1."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.helpers import auth


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # token + count + page
        ("/api/v1/users/?limit={limit}", 3),
        ("/api/v1/teams/?limit={limit}", 3),
        # token + membership rule + count + page
        ("/api/v1/teams/{team}/members/?limit={limit}", 4),
        ("/api/v1/auth/oauth2_clients/?limit={limit}", 3),
    ],
)
def test_list_queries_do_not_grow_with_the_page(client, people, statements, path, expected):
    admin = people["admin"]
    headers = auth(admin)
    team = client.post("/api/v1/teams/", json={"title": "Big team"}, headers=headers).json()
    for _ in range(12):
        user = make_user()
        client.post(
            f"/api/v1/teams/{team['id']}/members/", json={"user_id": user["id"]}, headers=headers
        )
        client.post("/api/v1/teams/", json={"title": "Another"}, headers=headers)
        client.post("/api/v1/auth/oauth2_clients/", json={}, headers=headers)

    counts = []
    for limit in (1, 10):
        with statements() as seen:
            response = client.get(path.format(limit=limit, team=team["id"]), headers=headers)
        assert response.status_code == 200
        assert len(response.json()) == limit
        counts.append(len(seen))
    assert counts == [expected, expected]


def test_item_reads_cost_token_rule_and_row(client, people, statements):
    headers = auth(people["alice"])
    team = client.post("/api/v1/teams/", json={"title": "Small team"}, headers=headers).json()

    with statements() as seen:
        assert client.get(f"/api/v1/teams/{team['id']}", headers=headers).status_code == 200
    assert len(seen) == 3
