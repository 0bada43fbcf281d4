"""web.validators keeps one JSON Schema validator per schema of the contract: requests reuse
them, whatever body or content type they send, so the cache holds as many as the contract has
schemas and no more."""

from __future__ import annotations

import json
import uuid

from connexion.json_schema import Draft4RequestValidator

from web import validators

USERS = "/api/v1/users/"


def sign_up(client, content_type: str, body=None):
    name = uuid.uuid4().hex[:12]
    document = body if body is not None else {"username": name, "email": f"{name}@x.org",
                                              "password": "long enough"}  # fmt: skip
    return client.post(USERS, content=json.dumps(document), headers={"Content-Type": content_type})


def test_requests_reuse_the_validators_of_their_schemas(client):
    assert sign_up(client, "application/json").status_code == 201
    cached = len(validators._VALIDATORS)
    statuses = {
        sign_up(client, content_type, body).status_code
        for content_type in ("application/json", "application/json; charset=utf-8",
                             "application/vnd.example+json", "text/plain", "application/x-json")
        for body in (None, {"username": 7}, [], "text")
    }  # fmt: skip

    assert statuses >= {201, 400}  # valid and invalid bodies were both validated
    assert len(validators._VALIDATORS) == cached
    # ...and the sign-up body's validator is among them (the body validators are cached too).
    assert any(
        schema is not None and kind is Draft4RequestValidator and "username" in str(schema)
        for (_, kind), (schema, _) in validators._VALIDATORS.items()
    )
