"""The permission rules the contract names. Every protected operation, called by every kind of
caller, driven by the contract's ``x-permission`` values: a rule's expected callers are written
down once, below, and each operation the contract guards with that rule is checked against them.
A resource added to the contract (by ``apiserver scaffold``, say) joins the matrix by itself: its
objects are created through the contract's own create operations and example values.
Beside the matrix: a rule name the code does not know stops the server from starting, and a rule
costs an item read one query."""

from __future__ import annotations

import json
import uuid

import pytest

import openapi
from auth import permissions
from domain import clients as client_rules
from tests.helpers import (
    assert_problem,
    auth,
    created_through_the_contract,
    example_body,
    path_parameters,
    resolved,
)

CALLERS = ("anonymous", "alice", "bob", "carol", "viewer", "admin", "internal")

# Who passes each rule, for the fixture below: alice leads the team, owns the client and every
# other object, and is the target user; bob and viewer (read-only) are plain members; carol is an
# outsider. Every ``*-owner`` rule lets through OWNERS (see ``allowed``).
ALLOWED = {
    "active-user": {"alice", "bob", "carol", "viewer", "admin", "internal"},
    "admin": {"admin", "internal"},
    "signup": set(CALLERS),  # SIGNUP=open
    "self-or-admin": {"alice", "admin", "internal"},
    "team-member": {"alice", "bob", "viewer", "admin", "internal"},
    "team-leader": {"alice", "admin", "internal"},
    "team-leader-or-self": {"alice", "bob", "admin", "internal"},  # the target member is bob
    "own-authorization": {"alice", "bob", "carol", "viewer", "admin", "internal"},  # one's own
}
OWNERS = {"alice", "admin", "internal"}
SAFE = {"GET", "HEAD", "OPTIONS"}


def guarded_operations():
    for operation_id, (method, path, operation) in openapi.operations().items():
        if "x-permission" in operation:
            yield operation_id, method, path, operation["x-permission"]


# Reading the contract --------------------------------------------------------------------------


def replace_patch(operation: dict) -> list[dict]:
    """A JSON Patch of one ``replace``: the first path ``operation``'s patch schema lets be
    replaced, with the example of that path's value."""
    content = operation["requestBody"]["content"]["application/json-patch+json"]
    for shape in map(resolved, resolved(resolved(content["schema"])["items"])["oneOf"]):
        properties = shape["properties"]
        if "replace" in properties["op"].get("enum", []):
            value = resolved(properties["value"])["example"]
            return [{"op": "replace", "path": properties["path"]["enum"][0], "value": value}]
    raise KeyError(f"{operation['operationId']}: no patch operation replaces anything")


CASES = [
    pytest.param(operation_id, method, path, rule, caller, id=f"{operation_id}-{caller}")
    for operation_id, method, path, rule in guarded_operations()
    for caller in CALLERS
]


def allowed(rule: str) -> set[str]:
    if rule in ALLOWED:
        return ALLOWED[rule]
    if rule.endswith("-owner"):
        return OWNERS
    raise KeyError(f"the permission matrix does not know who passes {rule!r}: add it to ALLOWED")


def expected_to_pass(rule: str, method: str, caller: str) -> bool:
    if caller not in allowed(rule):
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
    client_id = client_rules.register_client(owner_id=alice["id"])["client_id"]
    path = {"user_id": alice["id"], "team_id": team["id"], "client_id": client_id}
    for name in path_parameters():
        if name not in path:
            path[name] = created_through_the_contract(client, name, path, headers)
    return {
        "people": {**people, "viewer": viewer},
        "path": path,
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
    if operation_id in bodies:
        return params, bodies[operation_id]
    return params, derived_body(operation_id)


def derived_body(operation_id: str) -> object:
    """The body of an operation ``request_for`` does not list: a create's example, a patch's
    replace."""
    method, _path, operation = openapi.operations()[operation_id]
    if "requestBody" not in operation:
        return None
    if method == "POST":
        return example_body(operation)
    if method == "PATCH":
        return replace_patch(operation)
    raise KeyError(f"{operation_id}: no body for a {method}; add one to request_for")


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


# The same operations with the object the path names missing: existence is checked before any
# rule, so every caller with a token gets 404 (read-only and internal accounts included).
# A member's path names two objects, the team and the membership: either one missing is 404.
MISSING = {"user_id": 999_999, "team_id": 999_999, "client_id": "no-such-client"}
# Any other integer path parameter (a new resource's id, say) misses the same way.
MISSING |= {
    name: 999_999
    for name, parameter in path_parameters().items()
    if name not in MISSING and resolved(parameter["schema"]).get("type") == "integer"
}


def missing_cases():
    for operation_id, method, path, _rule in guarded_operations():
        names = [name for name in MISSING if "{" + name + "}" in path]
        if "{team_id}" in path and "{user_id}" in path:
            names = ["team_id", "member"]
        for name in names:
            for caller in CALLERS:
                yield pytest.param(
                    operation_id, method, path, name, caller, id=f"{operation_id}-{name}-{caller}"
                )


@pytest.mark.parametrize(("operation_id", "method", "path", "missing", "caller"), missing_cases())
def test_a_missing_object_is_404_for_every_caller(
    client, world, operation_id, method, path, missing, caller
):
    params, body = request_for(operation_id, world)
    if missing == "member":
        params["user_id"] = world["newcomer"]  # carol exists but is not a member
    else:
        params[missing] = MISSING[missing]
    headers = {} if caller == "anonymous" else auth(world["people"][caller])
    if body is not None:
        content_type = "application/json-patch+json" if method == "PATCH" else "application/json"
        headers["Content-Type"] = content_type
    response = client.request(
        method,
        path.format(**params),
        headers=headers,
        content=json.dumps(body) if body is not None else None,
    )

    expected = 401 if caller == "anonymous" else 404
    assert response.status_code == expected, response.text


def test_an_existing_object_refuses_read_only_writers_even_where_the_rule_lets_them(client, people):
    """The read-only refusal comes after the rule: a read-only leader may read, not write."""
    viewer, alice = people["readonly"], people["alice"]
    team = client.post("/api/v1/teams/", json={"title": "Led by a viewer"}, headers=auth(alice))
    team_url = f"/api/v1/teams/{team.json()['id']}"
    added = client.post(
        f"{team_url}/members/",
        json={"user_id": viewer["id"], "is_leader": True},
        headers=auth(alice),
    )
    assert added.status_code == 201, added.text
    rename = json.dumps([{"op": "replace", "path": "/title", "value": "Renamed"}])
    patch_headers = {"Content-Type": "application/json-patch+json"}

    assert client.get(team_url, headers=auth(viewer)).status_code == 200
    for response in (
        client.patch(team_url, content=rename, headers={**auth(viewer), **patch_headers}),
        client.delete(f"{team_url}/members/{viewer['id']}", headers=auth(viewer)),
        client.post(
            f"{team_url}/members/", json={"user_id": people["carol"]["id"]}, headers=auth(viewer)
        ),
        client.delete(team_url, headers=auth(viewer)),
    ):
        problem = assert_problem(response, 403)
        assert problem["detail"] == "this account is read-only"
    # Internal service accounts are read-only too, yet pass every rule once the object exists.
    robot = auth(people["internal"])
    renamed = client.patch(team_url, content=rename, headers={**robot, **patch_headers})
    assert renamed.status_code == 200, renamed.text


# Beside the matrix -----------------------------------------------------------------------------


def test_an_unknown_rule_name_stops_the_server_from_starting():
    with pytest.raises(LookupError, match="not a known rule"):
        permissions.enforcing("no-such-rule", "GET", lambda: None)


def test_item_reads_cost_token_rule_and_row(client, people, statements):
    headers = auth(people["alice"])
    team = client.post("/api/v1/teams/", json={"title": "Small team"}, headers=headers).json()

    with statements() as seen:
        assert client.get(f"/api/v1/teams/{team['id']}", headers=headers).status_code == 200
    assert len(seen) == 3
