"""Concurrent writes through HTTP against a real, committed database (one per backend)."""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

import migrations
from domain import seed
from domain import users as user_rules
from storage import db, teams
from tests.conftest import scratch_database
from tests.helpers import token_for

WRITERS = 12
ROUNDS = 3


@pytest.fixture
def live_app(settings, configured_storage, tmp_path):
    """An app on its own scratch database, where transactions really commit."""
    from app import create_app

    backend = "postgresql" if settings.database_url.startswith("postgresql") else "sqlite"
    with scratch_database(backend, tmp_path) as url:
        migrations.upgrade(url)
        app = create_app(dataclasses.replace(settings, database_url=url))
        try:
            seed.seed_demo_data()
            yield app
        finally:
            db.configure(configured_storage)


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


def test_concurrent_signups_with_one_username_create_one_user(live_app):
    client = live_app.test_client()
    client.get("/health/live")
    body = {"username": "popular", "email": "popular@example.com", "password": "long enough"}

    def sign_up(n):
        return client.post(
            "/api/v1/users/", json={**body, "email": f"popular{n}@example.com"}
        ).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = sorted(pool.map(sign_up, range(10)))

    assert statuses == [201] + [409] * 9
