"""Where handlers run: only the operations web.resolver lists run on the event loop, and none
of them can reach bcrypt or the network (either would stall every request of the process)."""

from __future__ import annotations

import socket

import bcrypt
import pytest

import openapi
from tests.factories import make_user
from tests.helpers import auth, created_through_the_contract, resolved
from web import resolver


@pytest.mark.parametrize("operation_id", sorted(resolver.EVENT_LOOP_OPERATIONS))
def test_each_event_loop_operation_is_a_bearer_protected_read(operation_id):
    method, _, operation = openapi.operations()[operation_id]
    assert method == "GET"
    assert all("oauth2" in requirement for requirement in operation["security"])


def test_any_other_operation_runs_in_a_thread():
    others = set(openapi.operations()) - resolver.EVENT_LOOP_OPERATIONS
    assert others and not any(resolver.runs_on_the_event_loop(name) for name in others)


@pytest.fixture
def nothing_blocking(monkeypatch):
    """bcrypt and every outgoing connection fail loudly while the fixture is active."""

    def refuse(*args, **kwargs):
        raise AssertionError("an event-loop operation reached bcrypt or the network")

    for name in ("hashpw", "checkpw", "gensalt"):
        monkeypatch.setattr(bcrypt, name, refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("operation_id", sorted(resolver.EVENT_LOOP_OPERATIONS))
def test_no_event_loop_operation_reaches_bcrypt_or_the_network(
    client, demo_data, operation_id, request
):
    admin = make_user(username="loopadmin", is_admin=True)
    headers = auth(admin)
    team = client.post("/api/v1/teams/", json={"title": "Loop team"}, headers=headers).json()
    ids = {"user_id": admin["id"], "team_id": team["id"]}
    _, path, operation = openapi.operations()[operation_id]
    for parameter in operation.get("parameters", []):
        name = resolved(parameter)["name"]
        if resolved(parameter)["in"] == "path" and name not in ids:
            ids[name] = created_through_the_contract(client, name, ids, headers)
    request.getfixturevalue("nothing_blocking")

    response = client.get(path.format(**ids), headers=headers)

    assert response.status_code == 200, response.text
