"""Every protected operation, called by every kind of caller, driven by the contract's
``x-permission`` values: a rule's expected callers are written down once, below, and each
operation the contract guards with that rule is checked against them."""

from __future__ import annotations

import json
import uuid

import pytest

import openapi
from storage import clients
from tests.http.helpers import auth

CALLERS = ("anonymous", "alice", "bob", "carol", "viewer", "admin", "internal")

# Who passes each rule, for the fixture below: alice leads the team and owns the client and is
# the target user; bob and viewer (read-only) are plain members; carol is an outsider.
ALLOWED = {
    "active-user": {"alice", "bob", "carol", "viewer", "admin", "internal"},
    "admin": {"admin", "internal"},
    "signup": set(CALLERS),  # SIGNUP=open
    "self-or-admin": {"alice", "admin", "internal"},
    "team-member": {"alice", "bob", "viewer", "admin", "internal"},
    "team-leader": {"alice", "admin", "internal"},
    "team-leader-or-self": {"alice", "bob", "admin", "internal"},  # the target member is bob
    "client-owner": {"alice", "admin", "internal"},
}
SAFE = {"GET", "HEAD", "OPTIONS"}


def guarded_operations():
    for operation_id, (method, path, operation) in openapi.operations().items():
        if "x-permission" in operation:
            yield operation_id, method, path, operation["x-permission"]


CASES = [
    pytest.param(operation_id, method, path, rule, caller, id=f"{operation_id}-{caller}")
    for operation_id, method, path, rule in guarded_operations()
    for caller in CALLERS
]


def expected_to_pass(rule: str, method: str, caller: str) -> bool:
    if caller not in ALLOWED[rule]:
        return False
    # Read-only accounts read but never write (signing up aside, which anonymous callers may).
    return not (caller == "viewer" and method not in SAFE and rule != "signup")


@pytest.fixture
def world(client, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    viewer = people["readonly"]
    headers = auth(alice)
    team = client.post("/api/v1/teams/", json={"title": "Matrix team"}, headers=headers).json()
    for member in (bob, viewer):
        client.post(
            f"/api/v1/teams/{team['id']}/members/", json={"user_id": member["id"]}, headers=headers
        )
    client_id = clients.create_client(owner_id=alice["id"])["client_id"]
    return {
        "people": {**people, "viewer": viewer},
        "path": {"user_id": alice["id"], "team_id": team["id"], "client_id": client_id},
        "member": bob["id"],
        "newcomer": carol["id"],
    }


def request_for(operation_id: str, world: dict) -> tuple[dict, object]:
    """Path parameters and a valid body for each guarded operation."""
    params = dict(world["path"])
    bodies = {
        "create_user": {
            "username": f"u{uuid.uuid4().hex[:10]}",
            "email": f"{uuid.uuid4().hex[:10]}@x.org",
            "password": "long enough",
        },
        "patch_user": [{"op": "test", "path": "/username", "value": "alice"}],
        "create_team": {"title": "Another team"},
        "patch_team": [{"op": "test", "path": "/title", "value": "Matrix team"}],
        "add_team_member": {"user_id": world["newcomer"]},
        "patch_team_member": [{"op": "test", "path": "/is_leader", "value": False}],
        "create_oauth2_client": {},
    }
    if operation_id in ("patch_team_member", "remove_team_member"):
        params["user_id"] = world["member"]
    return params, bodies.get(operation_id)


@pytest.mark.parametrize(("operation_id", "method", "path", "rule", "caller"), CASES)
def test_permission_matrix(client, world, operation_id, method, path, rule, caller):
    params, body = request_for(operation_id, world)
    url = path.format(**params)
    headers = {} if caller == "anonymous" else auth(world["people"][caller])
    if body is not None:
        content_type = "application/json-patch+json" if method == "PATCH" else "application/json"
        headers["Content-Type"] = content_type
    response = client.request(
        method, url, headers=headers, content=json.dumps(body) if body is not None else None
    )

    if expected_to_pass(rule, method, caller):
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 400, response.text
    elif caller == "anonymous":
        assert response.status_code == 401, response.text
    else:
        assert response.status_code == 403, response.text
