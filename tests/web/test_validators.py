"""web.validators keeps one JSON Schema validator per schema of the contract: requests reuse
them, whatever body or content type they send, so the cache holds as many as the contract has
schemas and no more."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from connexion.json_schema import Draft4RequestValidator, resolve_refs
from jsonschema import Draft4Validator

import openapi
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
        schema is not None and kind is validators.BodyValidator and "username" in str(schema)
        for (_, kind), (schema, _) in validators._VALIDATORS.items()
    )


def _patch_operations(schema: dict) -> list:
    """Operations in and around a patch schema: every path it names and some it does not, every
    op, values of every JSON type, missing and extra members."""
    branches = schema["items"]["oneOf"]
    paths = sorted({path for branch in branches for path in branch["properties"]["path"]["enum"]})
    values = ["New name", "", "x" * 300, "a\u0000b", "someone@example.org", 7, 0, -1, 2**40,
              True, False, None, 1.5, [], {"a": 1}]  # fmt: skip
    operations = [
        {"op": op, "path": path, "value": value}
        for op in ("add", "replace", "test", "remove", "move", "nonsense", 1)
        for path in [*paths, "/nope", "", 3, None]
        for value in values
    ]
    operations += [{"op": "replace", "path": paths[0]}, {"op": "replace", "value": "x"},
                   {"path": paths[0], "value": "x"}, {"op": "replace", "path": paths[0],
                   "value": "x", "extra": 1}, "not an object", 5, None, []]  # fmt: skip
    return operations


def _operation(path_enum: list, value: dict) -> dict:
    return {"type": "object", "required": ["op", "path", "value"], "additionalProperties": False,
            "properties": {"op": {"enum": ["replace", "test"]}, "path": {"enum": path_enum},
                           "value": value}}  # fmt: skip


# Two branches admit /title, and a string is valid under both: no operation on /title is valid.
AMBIGUOUS = {"type": "array", "items": {"oneOf": [
    _operation(["/title"], {"type": "string"}), _operation(["/title", "/size"], {}),
    _operation(["/id"], {"type": "integer"}),
]}}  # fmt: skip
# Draft 4 reads nothing beside a $ref: the path enum of the second branch does not count.
BESIDE_A_REF = {"type": "array", "definitions": {"any": {}}, "items": {"oneOf": [
    _operation(["/title"], {"type": "string"}),
    {"$ref": "#/definitions/any", **_operation(["/id"], {})},
]}}  # fmt: skip


@pytest.mark.parametrize(
    "name", ["UserPatch", "TeamPatch", "TeamMemberPatch", "ambiguous", "beside a ref"]
)
def test_patch_bodies_get_the_verdict_and_errors_of_a_plain_one_of(name):
    """validators.BodyValidator tries a JSON Patch operation on the one branch its path leaves;
    whatever the operation, it answers exactly as Connexion's own validator does."""
    schemas = resolve_refs(openapi.bundle())["components"]["schemas"]
    schema = {"ambiguous": AMBIGUOUS, "beside a ref": BESIDE_A_REF}.get(name) or schemas[name]
    narrowed = validators.BodyValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    plain = Draft4RequestValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)

    def problems(validator, document):
        try:
            validators.validate_document(validator, document)
        except validators.InvalidRequest as problem:
            return problem.detail, problem.ext
        return None

    operations = _patch_operations(schema)
    documents = [[operation] for operation in operations] + [operations[:3], operations[-12:]]
    verdicts = [problems(narrowed, document) for document in documents]

    assert verdicts == [problems(plain, document) for document in documents]
    assert verdicts.count(None) < len(documents)  # not every document passes
    if name != "beside a ref":  # where nothing is valid under exactly one branch
        assert verdicts.count(None) > 0


def test_a_patch_operation_is_validated_against_its_path_s_branch_only():
    """The other branches are not looked at: one of them holds a pattern that is no regular
    expression, which validating it would raise on."""
    unreadable = _operation(["/id"], {"type": "string", "pattern": "("})
    schema = {"type": "array", "items": {"oneOf": [unreadable, _operation(["/title"], {})]}}
    body = [{"op": "replace", "path": "/title", "value": "New"}]

    validators.validate_document(validators.BodyValidator(schema), body)  # no error
    with pytest.raises(re.error):
        validators.validate_document(Draft4RequestValidator(schema), body)
