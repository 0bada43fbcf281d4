"""Pages of a list: the Link headers stay on the grid of the asked offset (``next`` never passes
``last``, which holds the last item), and a page costs the same number of queries whatever its
size and the size of the table: no N+1."""

import itertools
import re

import pytest

from tests.factories import make_user
from tests.helpers import auth
from web.pagination import page_headers


def offsets(link: str) -> dict[str, int]:
    return {
        rel: int(offset) for offset, rel in re.findall(r'offset=(\d+)[^>]*>; rel="(\w+)"', link)
    }


def test_links_stay_on_the_grid_of_the_asked_offset():
    for offset, limit, total in itertools.product(range(12), range(1, 5), range(9)):
        links = offsets(page_headers("/x/", offset, limit, total)["Link"])
        last = links["last"]
        assert links["first"] == 0
        assert 0 <= last < max(total, 1)
        if offset < total:
            assert (last - offset) % limit == 0 and last + limit >= total
        if "next" in links:
            assert links["next"] == offset + limit <= last
        if "prev" in links:
            assert 0 <= links["prev"] < offset and links["prev"] <= last


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
