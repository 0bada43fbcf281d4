"""Teams and memberships."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem, auth, patch

TEAMS = "/api/v1/teams/"


@pytest.fixture
def team(client, people):
    """A team led by alice, with bob as a plain member."""
    created = client.post(TEAMS, json={"title": "Platform"}, headers=auth(people["alice"]))
    assert created.status_code == 201, created.text
    team = created.json()
    added = client.post(
        f"{TEAMS}{team['id']}/members/",
        json={"user_id": people["bob"]["id"]},
        headers=auth(people["alice"]),
    )
    assert added.status_code == 201, added.text
    return team


def members_url(team, user=None):
    base = f"{TEAMS}{team['id']}/members/"
    return f"{base}{user['id']}" if user else base


def test_create_team_answers_201_and_the_creator_leads(client, people):
    response = client.post(TEAMS, json={"title": "Core"}, headers=auth(people["alice"]))

    assert response.status_code == 201
    team = response.json()
    assert set(team) == {"id", "title", "created", "updated"}
    assert response.headers["location"] == f"{TEAMS}{team['id']}"
    assert response.headers["etag"] == '"1"'
    members = client.get(members_url(team), headers=auth(people["alice"])).json()
    assert members == [
        {
            "user": {
                k: people["alice"][k]
                for k in ("id", "username", "first_name", "middle_name", "last_name")
            },
            "is_leader": True,
        }
    ]


def test_create_team_from_a_form(client, people):
    response = client.post(TEAMS, data={"title": "Formed"}, headers=auth(people["alice"]))
    assert response.status_code == 201
    assert response.json()["title"] == "Formed"


@pytest.mark.parametrize("title", ["", "ab", "x" * 51])
def test_titles_are_3_to_50_characters(client, people, title):
    response = client.post(TEAMS, json={"title": title}, headers=auth(people["alice"]))
    problem = assert_problem(response, 400)
    assert problem["errors"][0]["field"] == "title"


def test_read_only_accounts_cannot_create_teams(client, people):
    assert (
        client.post(TEAMS, json={"title": "Nope"}, headers=auth(people["readonly"])).status_code
        == 403
    )


def test_users_list_their_own_teams_admins_list_all(client, people, team):
    other = client.post(TEAMS, json={"title": "Other"}, headers=auth(people["carol"])).json()

    bobs = client.get(TEAMS, headers=auth(people["bob"]))
    assert [t["id"] for t in bobs.json()] == [team["id"]]
    assert bobs.headers["x-total-count"] == "1"
    everything = client.get(TEAMS, headers=auth(people["admin"]))
    assert [t["id"] for t in everything.json()] == [team["id"], other["id"]]


def test_list_pages_at_the_edges(client, people):
    for number in range(5):
        client.post(TEAMS, json={"title": f"Team {number}"}, headers=auth(people["alice"]))
    headers = auth(people["alice"])

    first = client.get(f"{TEAMS}?limit=2", headers=headers)
    middle = client.get(f"{TEAMS}?limit=2&offset=2", headers=headers)
    last = client.get(f"{TEAMS}?limit=2&offset=4", headers=headers)
    beyond = client.get(f"{TEAMS}?limit=2&offset=10", headers=headers)

    assert [len(page.json()) for page in (first, middle, last, beyond)] == [2, 2, 1, 0]
    assert {page.headers["x-total-count"] for page in (first, middle, last, beyond)} == {"5"}
    assert first.headers["link"] == (
        f'<{TEAMS}?offset=0&limit=2>; rel="first", <{TEAMS}?offset=2&limit=2>; rel="next", '
        f'<{TEAMS}?offset=4&limit=2>; rel="last"'
    )
    assert middle.headers["link"] == (
        f'<{TEAMS}?offset=0&limit=2>; rel="first", <{TEAMS}?offset=0&limit=2>; rel="prev", '
        f'<{TEAMS}?offset=4&limit=2>; rel="next", <{TEAMS}?offset=4&limit=2>; rel="last"'
    )
    assert 'rel="next"' not in last.headers["link"]
    assert f'<{TEAMS}?offset=4&limit=2>; rel="prev"' in beyond.headers["link"]


def test_unaligned_pages_never_put_next_beyond_last(client, people):
    for number in range(4):
        client.post(TEAMS, json={"title": f"Team {number}"}, headers=auth(people["alice"]))

    page = client.get(f"{TEAMS}?offset=1&limit=2", headers=auth(people["alice"]))

    assert page.headers["link"] == (
        f'<{TEAMS}?offset=0&limit=2>; rel="first", <{TEAMS}?offset=0&limit=2>; rel="prev", '
        f'<{TEAMS}?offset=3&limit=2>; rel="next", <{TEAMS}?offset=3&limit=2>; rel="last"'
    )


def test_every_page_of_every_team_even_with_gaps_in_the_ids(client, people):
    """An admin's pages skip to their first id through the narrow index: deleted teams leave
    gaps, and the pages must still be exactly the table in id order, cut every ``limit``."""
    admin = auth(people["admin"])
    ids = [
        client.post(TEAMS, json={"title": f"Team {n}"}, headers=admin).json()["id"]
        for n in range(9)
    ]
    for gone in (ids[0], ids[4], ids[5]):
        assert client.delete(f"{TEAMS}{gone}", headers=admin).status_code == 204
    remaining = [team_id for team_id in ids if team_id not in (ids[0], ids[4], ids[5])]

    pages = [
        client.get(f"{TEAMS}?limit=2&offset={offset}", headers=admin) for offset in range(0, 8, 2)
    ]

    assert [team["id"] for page in pages for team in page.json()] == remaining
    assert {page.headers["x-total-count"] for page in pages} == {str(len(remaining))}
    assert pages[-1].json() == []


def test_members_read_the_team_outsiders_do_not(client, people, team):
    url = f"{TEAMS}{team['id']}"
    assert client.get(url, headers=auth(people["bob"])).status_code == 200
    assert client.get(url, headers=auth(people["admin"])).status_code == 200
    assert client.get(url, headers=auth(people["carol"])).status_code == 403
    assert client.get(f"{TEAMS}999999", headers=auth(people["carol"])).status_code == 404


def test_team_etags(client, people, team):
    url = f"{TEAMS}{team['id']}"
    first = client.get(url, headers=auth(people["bob"]))
    assert (
        client.get(
            url, headers={**auth(people["bob"]), "If-None-Match": first.headers["etag"]}
        ).status_code
        == 304
    )

    renamed = patch(
        client,
        url,
        [{"op": "replace", "path": "/title", "value": "Renamed"}],
        auth(people["alice"]),
    )
    assert renamed.headers["etag"] == '"2"'
    assert (
        client.get(
            url, headers={**auth(people["bob"]), "If-None-Match": first.headers["etag"]}
        ).status_code
        == 200
    )


def test_leaders_patch_the_title_members_may_not(client, people, team):
    url = f"{TEAMS}{team['id']}"
    operations = [{"op": "replace", "path": "/title", "value": "Renamed"}]

    assert patch(client, url, operations, auth(people["bob"])).status_code == 403
    response = patch(client, url, operations, auth(people["alice"]))
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    assert patch(client, url, operations, auth(people["admin"])).status_code == 200


@pytest.mark.parametrize(
    ("operations", "status"),
    [
        # What the contract's TeamPatch says (a path and the value's type): 400.
        ([{"op": "replace", "path": "/title", "value": "ab"}], 400),
        ([{"op": "replace", "path": "/title", "value": "x" * 51}], 400),
        ([{"op": "replace", "path": "/title", "value": None}], 400),
        ([{"op": "replace", "path": "/id", "value": 5}], 400),
        ([{"op": "remove", "path": "/missing"}], 400),
        ([{"op": "move", "from": "/missing", "path": "/title"}], 400),
        ([{"op": "replace", "path": "/title"}], 400),
        # A title is required: removing or moving it could never leave a valid team.
        ([{"op": "remove", "path": "/title"}], 400),
        ([{"op": "move", "from": "/title", "path": "/title"}], 400),
        ([{"op": "test", "path": "/title", "value": "Wrong"}], 409),
        ([{"op": "test", "path": "/id", "value": 10**6}], 409),
        # What the contract says (400) comes before conflicts (409), wherever the test stands.
        (
            [
                {"op": "test", "path": "/title", "value": "Wrong"},
                {"op": "replace", "path": "/title", "value": "ab"},
            ],
            400,
        ),
        # A test sees the document as the operations before it left it.
        (
            [
                {"op": "replace", "path": "/title", "value": "Renamed"},
                {"op": "test", "path": "/title", "value": "Renamed"},
            ],
            200,
        ),
    ],
)
def test_team_patch_rules(client, people, team, operations, status):
    response = patch(client, f"{TEAMS}{team['id']}", operations, auth(people["alice"]))
    assert response.status_code == status, response.text


def test_delete_team(client, people, team):
    url = f"{TEAMS}{team['id']}"
    assert client.delete(url, headers=auth(people["bob"])).status_code == 403
    assert (
        client.delete(url, headers={**auth(people["alice"]), "If-Match": '"5"'}).status_code == 412
    )

    response = client.delete(url, headers={**auth(people["alice"]), "If-Match": '"1"'})
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(url, headers=auth(people["admin"])).status_code == 404
    assert client.get(TEAMS, headers=auth(people["bob"])).json() == []


def test_add_member_rules(client, people, team):
    url = members_url(team)
    carol = {"user_id": people["carol"]["id"]}

    assert client.post(url, json=carol, headers=auth(people["bob"])).status_code == 403
    assert (
        client.post(url, json={"user_id": 999999}, headers=auth(people["alice"])).status_code == 404
    )
    assert (
        client.post(
            f"{TEAMS}999999/members/", json=carol, headers=auth(people["alice"])
        ).status_code
        == 404
    )
    added = client.post(url, json={**carol, "is_leader": True}, headers=auth(people["alice"]))
    assert added.status_code == 201
    assert added.headers["location"] == members_url(team, people["carol"])
    assert added.json()["is_leader"] is True
    assert client.post(url, json=carol, headers=auth(people["alice"])).status_code == 409


def test_add_member_from_a_form(client, people, team):
    response = client.post(
        members_url(team),
        data={"user_id": str(people["carol"]["id"]), "is_leader": "true"},
        headers=auth(people["alice"]),
    )
    assert response.status_code == 201, response.text
    assert response.json()["is_leader"] is True


def test_member_list_pages_and_shows_short_users(client, people, team):
    response = client.get(members_url(team), headers=auth(people["bob"]))

    assert response.status_code == 200
    assert response.headers["x-total-count"] == "2"
    assert [(m["user"]["username"], m["is_leader"]) for m in response.json()] == [
        ("alice", True),
        ("bob", False),
    ]
    assert set(response.json()[0]["user"]) == {
        "id",
        "username",
        "first_name",
        "middle_name",
        "last_name",
    }
    assert client.get(members_url(team), headers=auth(people["carol"])).status_code == 403


def test_promote_and_demote(client, people, team):
    promote = [{"op": "replace", "path": "/is_leader", "value": True}]
    demote = [{"op": "replace", "path": "/is_leader", "value": False}]

    assert (
        patch(client, members_url(team, people["bob"]), promote, auth(people["bob"])).status_code
        == 403
    )
    promoted = patch(client, members_url(team, people["bob"]), promote, auth(people["alice"]))
    assert promoted.status_code == 200
    assert promoted.json()["is_leader"] is True
    # Now there are two leaders, alice may step down.
    assert (
        patch(client, members_url(team, people["alice"]), demote, auth(people["alice"])).status_code
        == 200
    )
    # bob is the last leader: demoting him is a conflict.
    response = patch(client, members_url(team, people["bob"]), demote, auth(people["bob"]))
    problem = assert_problem(response, 409)
    assert "leader" in problem["detail"]


@pytest.mark.parametrize(
    ("operations", "status"),
    [
        ([{"op": "replace", "path": "/is_leader", "value": "yes"}], 400),
        ([{"op": "replace", "path": "/user", "value": {}}], 400),
        ([{"op": "test", "path": "/user/username", "value": "someone else"}], 409),
        ([{"op": "remove", "path": "/is_leader"}], 400),
        ([{"op": "test", "path": "/is_leader", "value": True}], 409),
    ],
)
def test_member_patch_rules(client, people, team, operations, status):
    response = patch(client, members_url(team, people["bob"]), operations, auth(people["alice"]))
    assert response.status_code == status, response.text


def test_patching_a_non_member_is_404(client, people, team):
    operations = [{"op": "replace", "path": "/is_leader", "value": True}]
    assert (
        patch(
            client, members_url(team, people["carol"]), operations, auth(people["alice"])
        ).status_code
        == 404
    )


def test_remove_members_and_leave(client, people, team):
    client.post(
        members_url(team), json={"user_id": people["carol"]["id"]}, headers=auth(people["alice"])
    )

    assert (
        client.delete(members_url(team, people["carol"]), headers=auth(people["bob"])).status_code
        == 403
    )
    assert (
        client.delete(members_url(team, people["bob"]), headers=auth(people["bob"])).status_code
        == 204
    )  # leaves
    assert (
        client.delete(members_url(team, people["carol"]), headers=auth(people["alice"])).status_code
        == 204
    )
    assert (
        client.delete(members_url(team, people["carol"]), headers=auth(people["alice"])).status_code
        == 404
    )
    last_leader = client.delete(members_url(team, people["alice"]), headers=auth(people["alice"]))
    assert last_leader.status_code == 409
    assert (
        client.get(members_url(team), headers=auth(people["alice"])).headers["x-total-count"] == "1"
    )


def test_internal_accounts_pass_every_rule(client, people, team):
    robot = auth(people["internal"])
    assert client.get(f"{TEAMS}{team['id']}", headers=robot).status_code == 200
    assert (
        patch(
            client,
            f"{TEAMS}{team['id']}",
            [{"op": "replace", "path": "/title", "value": "Robots"}],
            robot,
        ).status_code
        == 200
    )
    assert client.get("/api/v1/users/", headers=robot).status_code == 200


def test_a_deleted_team_is_404_for_everyone_internal_accounts_included(client, people, team):
    """Found by schemathesis' use-after-free check: the existence check comes before any bypass."""
    client.delete(f"{TEAMS}{team['id']}", headers=auth(people["alice"]))

    for who in ("internal", "admin", "alice"):
        assert client.get(members_url(team), headers=auth(people[who])).status_code == 404
        assert client.get(f"{TEAMS}{team['id']}", headers=auth(people[who])).status_code == 404


PROMOTE = [{"op": "replace", "path": "/is_leader", "value": True}]
DEMOTE = [{"op": "replace", "path": "/is_leader", "value": False}]


def test_member_patch_answers_an_etag_and_honours_if_match(client, people, team):
    bob = members_url(team, people["bob"])
    alice = auth(people["alice"])
    carol = client.post(members_url(team), json={"user_id": people["carol"]["id"]}, headers=alice)
    assert carol.status_code == 201
    assert carol.headers["etag"].startswith('"')

    promoted = patch(client, bob, PROMOTE, alice)
    assert promoted.status_code == 200
    first = promoted.headers["etag"]
    # The same state has the same tag: a no-op patch answers it again.
    assert patch(client, bob, PROMOTE, alice).headers["etag"] == first

    demoted = patch(client, bob, DEMOTE, {**alice, "If-Match": first})
    assert demoted.status_code == 200, demoted.text
    second = demoted.headers["etag"]
    assert second != first

    stale = patch(client, bob, PROMOTE, {**alice, "If-Match": first})
    assert_problem(stale, 412)
    weak = patch(client, bob, PROMOTE, {**alice, "If-Match": f"W/{second}"})
    assert weak.status_code == 412
    members = client.get(members_url(team), headers=alice).json()
    assert [m["is_leader"] for m in members if m["user"]["id"] == people["bob"]["id"]] == [False]

    assert patch(client, bob, PROMOTE, {**alice, "If-Match": f'"0", {second}'}).status_code == 200
    assert patch(client, bob, DEMOTE, {**alice, "If-Match": "*"}).status_code == 200


def test_a_member_etag_changes_when_the_users_short_shape_does(client, people, team):
    """The member representation holds the user's names: renaming changes the strong tag."""
    bob = members_url(team, people["bob"])
    alice = auth(people["alice"])
    before = patch(client, bob, DEMOTE, alice).headers["etag"]
    renamed = patch(
        client,
        f"/api/v1/users/{people['bob']['id']}",
        [{"op": "replace", "path": "/first_name", "value": "Robert"}],
        auth(people["bob"]),
    )
    assert renamed.status_code == 200

    after = patch(client, bob, DEMOTE, alice)
    assert after.headers["etag"] != before
    assert patch(client, bob, PROMOTE, {**alice, "If-Match": before}).status_code == 412


def test_member_delete_honours_if_match(client, people, team):
    bob = members_url(team, people["bob"])
    alice = auth(people["alice"])
    current = patch(client, bob, DEMOTE, alice).headers["etag"]
    promoted = patch(client, bob, PROMOTE, alice).headers["etag"]
    assert promoted != current

    stale = client.delete(bob, headers={**alice, "If-Match": current})
    assert_problem(stale, 412)
    assert client.get(members_url(team), headers=alice).headers["x-total-count"] == "2"

    assert client.delete(bob, headers={**alice, "If-Match": promoted}).status_code == 204
    # Gone: 404 before any precondition.
    assert client.delete(bob, headers={**alice, "If-Match": promoted}).status_code == 404
    assert patch(client, bob, PROMOTE, {**alice, "If-Match": promoted}).status_code == 404


def test_the_etag_of_an_added_member_is_the_one_its_patch_expects(client, people, team):
    alice = auth(people["alice"])
    added = client.post(members_url(team), json={"user_id": people["carol"]["id"]}, headers=alice)
    carol = members_url(team, people["carol"])

    response = patch(client, carol, PROMOTE, {**alice, "If-Match": added.headers["etag"]})
    assert response.status_code == 200, response.text
