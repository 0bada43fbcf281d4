"""Teams and their members: list, create, read (with ETags), patch and delete a team; list,
add, patch and remove its members."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from domain import users as user_rules
from storage import teams
from tests.helpers import assert_problem, auth, patch, token_for

TEAMS = "/api/v1/teams/"
PROMOTE = [{"op": "replace", "path": "/is_leader", "value": True}]
DEMOTE = [{"op": "replace", "path": "/is_leader", "value": False}]

# The concurrency tests (on live_app): writers at once, and rounds of them.
WRITERS = 12
ROUNDS = 3


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


# List ------------------------------------------------------------------------------------------


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


# Create ----------------------------------------------------------------------------------------


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


# Get -------------------------------------------------------------------------------------------


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


# Patch -----------------------------------------------------------------------------------------


def test_leaders_patch_the_title_members_may_not(client, people, team):
    url = f"{TEAMS}{team['id']}"
    operations = [{"op": "replace", "path": "/title", "value": "Renamed"}]

    assert patch(client, url, operations, auth(people["bob"])).status_code == 403
    response = patch(client, url, operations, auth(people["alice"]))
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    assert patch(client, url, operations, auth(people["admin"])).status_code == 200


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


@pytest.mark.parametrize(
    "if_match",
    # b'"\xb2"' is "²" to a server that reads headers as Latin-1: a digit to str.isdigit().
    ['"3000000000"', f'"{"9" * 60}"', b'"\xb2"', '""', '"'],
    ids=["beyond-32-bits", "sixty-digits", "superscript-two", "empty", "one-quote"],
)
def test_if_match_tags_that_name_no_version_are_412(client, people, team, if_match):
    """Whatever digits an If-Match carries, beyond what a version holds or not ASCII, it names
    no version: 412, never a 400 or 500 from the database or int()."""
    url = f"{TEAMS}{team['id']}"
    headers = {**auth(people["alice"]), "If-Match": if_match}
    rename = [{"op": "replace", "path": "/title", "value": "Renamed"}]

    assert_problem(patch(client, url, rename, headers), 412)
    assert_problem(client.delete(url, headers=headers), 412)
    assert client.get(url, headers=auth(people["alice"])).json()["title"] == "Platform"


def test_if_match_with_versions_the_team_has_left_is_412_even_for_a_value_it_holds(
    client, people, team
):
    url = f"{TEAMS}{team['id']}"
    alice = auth(people["alice"])
    renamed = [{"op": "replace", "path": "/title", "value": "Renamed"}]
    assert patch(client, url, renamed, {**alice, "If-Match": '"1"'}).headers["etag"] == '"2"'
    assert patch(client, url, renamed, alice).headers["etag"] == '"2"'  # unchanged: same version

    for stale in ('"1"', '"1", "5"'):
        assert_problem(patch(client, url, renamed, {**alice, "If-Match": stale}), 412)
    response = patch(client, url, renamed, {**alice, "If-Match": '"1", "2"'})
    assert response.status_code == 200 and response.headers["etag"] == '"2"'


def test_concurrent_if_match_patches_have_one_winner_per_version(live_app):
    leader = user_rules.create_user(
        username="leader", email="leader@example.com", password="long enough"
    )
    team, version = teams.create_team("Contested", leader_id=leader["id"])
    headers = {
        "Authorization": f"Bearer {token_for(leader)}",
        "Content-Type": "application/json-patch+json",
    }
    url = f"/api/v1/teams/{team['id']}"
    client = live_app.test_client()
    assert client.get(url, headers=headers).status_code == 200  # builds the middleware stack once

    def attempt(writer: int, expected: int):
        body = json.dumps(
            [{"op": "replace", "path": "/title", "value": f"round {expected} writer {writer}"}]
        )
        response = client.patch(url, content=body, headers={**headers, "If-Match": f'"{expected}"'})
        return writer, response.status_code, response.headers.get("etag")

    winners = []
    for _ in range(ROUNDS):
        with ThreadPoolExecutor(WRITERS) as pool:
            results = list(pool.map(attempt, range(WRITERS), [version] * WRITERS))
        statuses = sorted(status for _, status, _ in results)
        assert statuses == [200] + [412] * (WRITERS - 1), statuses
        (winner,) = [(writer, etag) for writer, status, etag in results if status == 200]
        version += 1
        assert winner[1] == f'"{version}"'
        winners.append(winner[0])

    final = client.get(url, headers=headers)
    assert final.headers["etag"] == f'"{1 + ROUNDS}"'
    assert final.json()["title"] == f"round {ROUNDS} writer {winners[-1]}"


# Delete ----------------------------------------------------------------------------------------


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


def test_a_deleted_team_is_404_for_everyone_internal_accounts_included(client, people, team):
    """Existence is checked before any rule or bypass: internal accounts pass every rule, yet a
    deleted team and its members are 404 for them as for everyone."""
    client.delete(f"{TEAMS}{team['id']}", headers=auth(people["alice"]))

    for who in ("internal", "admin", "alice"):
        assert client.get(members_url(team), headers=auth(people[who])).status_code == 404
        assert client.get(f"{TEAMS}{team['id']}", headers=auth(people[who])).status_code == 404


# Members: list ---------------------------------------------------------------------------------


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


# Members: add ----------------------------------------------------------------------------------


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


def test_the_etag_of_an_added_member_is_the_one_its_patch_expects(client, people, team):
    alice = auth(people["alice"])
    added = client.post(members_url(team), json={"user_id": people["carol"]["id"]}, headers=alice)
    carol = members_url(team, people["carol"])

    response = patch(client, carol, PROMOTE, {**alice, "If-Match": added.headers["etag"]})
    assert response.status_code == 200, response.text


# Members: patch --------------------------------------------------------------------------------


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


def test_concurrent_leader_changes_never_leave_a_team_leaderless(live_app):
    leaders = [
        user_rules.create_user(
            username=f"lead{n}", email=f"lead{n}@example.com", password="long enough"
        )
        for n in range(4)
    ]
    team, _ = teams.create_team("Leaders", leader_id=leaders[0]["id"])
    for leader in leaders[1:]:
        teams.add_member(team["id"], leader["id"], is_leader=True)
    client = live_app.test_client()
    tokens = {leader["id"]: token_for(leader) for leader in leaders}
    client.get("/health/live")
    demote = json.dumps([{"op": "replace", "path": "/is_leader", "value": False}])

    def step_down(leader):
        """Every leader steps down at once; the last one must be refused."""
        url = f"/api/v1/teams/{team['id']}/members/{leader['id']}"
        headers = {
            "Authorization": f"Bearer {tokens[leader['id']]}",
            "Content-Type": "application/json-patch+json",
        }
        return client.patch(url, content=demote, headers=headers).status_code

    with ThreadPoolExecutor(len(leaders)) as pool:
        statuses = sorted(pool.map(step_down, leaders))

    assert statuses == [200, 200, 200, 409]
    members, _ = teams.list_members(team["id"], 0, 10)
    assert sum(member["is_leader"] for member in members) == 1


def test_concurrent_if_match_member_patches_have_one_winner(live_app):
    """The member's ETag is compared under the team's lock: of writers holding the same tag,
    exactly one changes the member; the others get 412."""
    leaders = [
        user_rules.create_user(
            username=f"boss{n}", email=f"boss{n}@example.com", password="long enough"
        )
        for n in range(WRITERS)
    ]
    member = user_rules.create_user(
        username="member", email="member@example.com", password="long enough"
    )
    team, _ = teams.create_team("Contested members", leader_id=leaders[0]["id"])
    for leader in leaders[1:]:
        teams.add_member(team["id"], leader["id"], is_leader=True)
    _, version = teams.add_member(team["id"], member["id"])
    client = live_app.test_client()
    client.get("/health/live")
    url = f"/api/v1/teams/{team['id']}/members/{member['id']}"
    tokens = [token_for(leader) for leader in leaders]

    def toggle(writer: int, expected: str, is_leader: bool):
        headers = {
            "Authorization": f"Bearer {tokens[writer]}",
            "Content-Type": "application/json-patch+json",
            "If-Match": expected,
        }
        body = json.dumps([{"op": "replace", "path": "/is_leader", "value": is_leader}])
        response = client.patch(url, content=body, headers=headers)
        return response.status_code, response.headers.get("etag")

    tag = f'"{version}"'
    for round_ in range(ROUNDS):
        promote = round_ % 2 == 0
        with ThreadPoolExecutor(WRITERS) as pool:
            results = list(pool.map(toggle, range(WRITERS), [tag] * WRITERS, [promote] * WRITERS))
        assert sorted(status for status, _ in results) == [200] + [412] * (WRITERS - 1)
        (tag,) = [etag for status, etag in results if status == 200]
    members, _ = teams.list_members(team["id"], 0, WRITERS + 1)
    assert [m["is_leader"] for m in members if m["user"]["id"] == member["id"]] == [True]


# Members: remove -------------------------------------------------------------------------------


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
