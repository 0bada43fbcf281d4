"""The contract is valid, and the code honours its naming and shape rules."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

import openapi
from storage.representations import SPEC_SCHEMAS

PROJECT = Path(__file__).resolve().parents[2]
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def operations():
    for path, item in openapi.bundle()["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


OPERATIONS = list(operations())
OPERATION_IDS = [f"{method.upper()} {path}" for path, method, _ in OPERATIONS]


def test_the_root_document_with_its_file_references_is_valid_openapi():
    spec, base_uri = read_from_filename(str(openapi.ROOT_DOCUMENT))
    validate(spec, base_uri=base_uri)


def test_the_bundle_is_valid_openapi_with_internal_references_only():
    bundle = openapi.bundle()
    validate(bundle)
    refs = re.findall(r"'\$ref': '([^']*)'", repr(bundle))
    assert refs and all(ref.startswith("#/components/") for ref in refs)


def test_the_bundle_is_3_0_because_connexion_does_not_support_3_1():
    assert openapi.bundle()["openapi"].startswith("3.0.")


def test_operation_ids_are_unique_snake_case():
    ids = [operation["operationId"] for _, _, operation in OPERATIONS]
    assert len(ids) == len(set(ids))
    assert all(SNAKE_CASE.match(operation_id) for operation_id in ids), ids


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_every_operation_id_is_a_handler_function_of_that_name(path, method, operation):
    controller = operation["x-openapi-router-controller"]
    assert controller.startswith("handlers.")
    module = importlib.import_module(controller)
    function = getattr(module, operation["operationId"], None)
    assert inspect.isfunction(function), f"{controller}.{operation['operationId']} is missing"
    assert function.__name__ == operation["operationId"]


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_every_operation_documents_its_400(path, method, operation):
    assert "400" in operation["responses"]


def test_static_paths_come_before_templated_paths_they_overlap():
    """Connexion routes in document order: /users/me must precede /users/{id}."""
    paths = list(openapi.bundle()["paths"])
    for index, later in enumerate(paths):
        for earlier in paths[:index]:
            captures = re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", earlier), later)
            assert not captures, f"{earlier} is declared before {later} and would capture it"


def test_no_sqlalchemy_under_handlers():
    for source in (PROJECT / "handlers").glob("*.py"):
        tree = ast.parse(source.read_text(), filename=str(source))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders = [name for name in names if name.split(".")[0] == "sqlalchemy"]
            assert not offenders, f"{source.name} imports {offenders}: storage/ owns the database"


@pytest.mark.parametrize("name", sorted(SPEC_SCHEMAS))
def test_marshmallow_representations_have_exactly_the_spec_fields(name):
    spec_schema = openapi.bundle()["components"]["schemas"][name]
    assert set(SPEC_SCHEMAS[name].fields) == set(spec_schema["properties"])


def test_every_response_schema_of_the_spec_has_a_representation_or_is_plain():
    """Each named object returned by an operation is produced by a marshmallow schema."""
    # Produced by oauthlib (TokenResponse), by storage as RFC 7662 claims, or by handlers as
    # RFC 8414 and RFC 9728 metadata, not by models.
    plain = {
        "Health",
        "Problem",
        "FieldError",
        "TokenResponse",
        "Introspection",
        "AuthorizationServerMetadata",
        "ProtectedResourceMetadata",
    }
    schemas = openapi.bundle()["components"]["schemas"]
    returned = {
        ref.rsplit("/", 1)[-1]
        for _, _, operation in OPERATIONS
        for status, response in operation["responses"].items()
        if status.startswith("2")
        for ref in re.findall(r"'\$ref': '#/components/schemas/(\w+)'", repr(response))
    }
    assert returned <= set(SPEC_SCHEMAS) | plain
    assert set(SPEC_SCHEMAS) <= set(schemas)


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_every_protected_operation_names_a_known_permission_rule(path, method, operation):
    from auth.permissions import RULES

    security = operation.get("security", openapi.bundle().get("security", []))
    protected = any("oauth2" in requirement for requirement in security)  # a bearer token
    rule = operation.get("x-permission")
    if protected:
        assert rule in RULES, (
            f"{operation['operationId']} needs an x-permission from {sorted(RULES)}"
        )
        assert "401" in operation["responses"] and "403" in operation["responses"]
    else:
        assert rule is None or rule in RULES


def test_the_scope_enum_is_the_registered_scopes():
    schemas = openapi.bundle()["components"]["schemas"]
    assert tuple(schemas["Scope"]["enum"]) == openapi.registered_scopes()
