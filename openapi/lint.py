"""``apiserver openapi lint``: the contract checked as a whole, each problem with its file and line.

Beyond OpenAPI validity (openapi-spec-validator, on the root document and on the bundle), the
project's own rules: unique snake_case operationIds; every operation documents 400, and 401 and
403 when it needs a token; request objects set ``additionalProperties: false``; every integer
and string input is bounded, and every string input refuses NUL characters; static paths come
before templated ones that would capture them; every example validates against its schema;
links name operations that exist.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

import openapi

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# Strings with a NUL character in various places: a pattern that matches none refuses NUL.
NUL_PROBES = ("\x00", "a\x00", "\x00a", "a\x00b", "/\x00", "a@b.c\x00")


def refuses_nul(schema: dict) -> bool:
    """True if an input string schema refuses NUL characters (PostgreSQL cannot store them)."""
    if "enum" in schema:
        return True
    pattern = schema.get("pattern")
    return pattern is not None and not any(re.search(pattern, probe) for probe in NUL_PROBES)


def where(node: Any) -> str:
    file, line = getattr(node, "source", ("?", 0))
    return f"{file}:{line}"


class Linter:
    def __init__(self, bundle: dict) -> None:
        self.bundle = bundle
        self.components = bundle.get("components", {})
        self.problems: list[str] = []

    def report(self, node: Any, message: str) -> None:
        self.problems.append(f"{where(node)}: {message}")

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            _, kind, name = node["$ref"].lstrip("#/").split("/", 2)
            node = self.components[kind][name]
        return node

    # The rules ---------------------------------------------------------------------------------

    def operations(self):
        for path, item in self.bundle["paths"].items():
            for method, operation in item.items():
                if method in openapi.HTTP_METHODS:
                    yield path, method.upper(), operation

    def check_operation_ids(self) -> None:
        seen: dict[str, str] = {}
        for path, method, operation in self.operations():
            operation_id = operation.get("operationId")
            label = f"{method} {path}"
            if not operation_id:
                self.report(operation, f"{label} has no operationId")
                continue
            if not SNAKE_CASE.match(operation_id):
                self.report(operation, f"{label}: operationId {operation_id!r} is not snake_case")
            if operation_id in seen:
                self.report(
                    operation,
                    f"{label}: operationId {operation_id!r} is used by {seen[operation_id]} too",
                )
            seen[operation_id] = label

    def check_responses(self) -> None:
        default_security = self.bundle.get("security", [])
        for path, method, operation in self.operations():
            responses = operation.get("responses", {})
            needed = ["400"]
            security = operation.get("security", default_security)
            if security and {} not in security:
                needed += ["401", "403"]
            missing = [status for status in needed if status not in responses]
            if missing:
                self.report(responses, f"{method} {path} does not document {', '.join(missing)}")

    def request_schemas(self):
        for path, method, operation in self.operations():
            label = f"{method} {path}"
            for parameter in operation.get("parameters", []):
                parameter = self.resolve(parameter)
                yield (
                    label,
                    f"{parameter['in']} parameter {parameter['name']}",
                    parameter.get("schema", {}),
                )
            body = self.resolve(operation.get("requestBody", {}))
            for media_type, content in body.get("content", {}).items():
                yield label, f"{media_type} body", content.get("schema", {})

    def check_inputs(self) -> None:
        for label, what, schema in self.request_schemas():
            self.walk_input(label, what, schema, set())

    def walk_input(self, label: str, what: str, schema: Any, seen: set[int]) -> None:
        resolved = self.resolve(schema)
        if not isinstance(resolved, dict) or id(resolved) in seen:
            return
        seen = seen | {id(resolved)}
        for variant in (
            resolved.get("oneOf", []) + resolved.get("anyOf", []) + resolved.get("allOf", [])
        ):
            self.walk_input(label, what, variant, seen)
        kind = resolved.get("type")
        if kind == "object" or "properties" in resolved:
            if resolved.get("additionalProperties") is not False:
                self.report(
                    resolved, f"{label}: {what}: a request object needs additionalProperties: false"
                )
            for name, prop in resolved.get("properties", {}).items():
                self.walk_input(label, f"{what} field {name}", prop, seen)
        elif kind == "array":
            if "maxItems" not in resolved:
                self.report(resolved, f"{label}: {what}: an input array needs maxItems")
            self.walk_input(label, f"{what} items", resolved.get("items", {}), seen)
        elif kind == "integer" and not (
            {"minimum", "maximum"} <= set(resolved) or "enum" in resolved
        ):
            self.report(resolved, f"{label}: {what}: an input integer needs minimum and maximum")
        elif kind == "string":
            if "maxLength" not in resolved and "enum" not in resolved:
                self.report(resolved, f"{label}: {what}: an input string needs maxLength (or enum)")
            if not refuses_nul(resolved):
                self.report(
                    resolved,
                    f"{label}: {what}: an input string must refuse NUL characters: a pattern "
                    f"such as {openapi.NO_NUL} (or an enum)",
                )

    def check_links(self) -> None:
        known = {operation.get("operationId") for _, _, operation in self.operations()}
        for path, method, operation in self.operations():
            for status, response in operation.get("responses", {}).items():
                for name, link in self.resolve(response).get("links", {}).items():
                    if link.get("operationId") not in known:
                        self.report(
                            link,
                            f"{method} {path} {status}: link {name} names an unknown operationId "
                            f"{link.get('operationId')!r}",
                        )

    def check_path_order(self) -> None:
        """Connexion routes in document order (connexion#1899)."""
        paths = list(self.bundle["paths"].items())
        for index, (later, item) in enumerate(paths):
            for earlier, _ in paths[:index]:
                if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", earlier), later):
                    self.report(
                        item, f"{later} comes after {earlier}, which would capture it: move it up"
                    )

    def check_examples(self) -> None:
        def visit(node: Any) -> None:
            if isinstance(node, dict):
                if "example" in node and ("type" in node or "$ref" in node or "enum" in node):
                    schema = {key: value for key, value in node.items() if key != "example"}
                    wrapper = {"allOf": [schema], "components": self.components}
                    for error in Draft4Validator(wrapper).iter_errors(node["example"]):
                        self.report(node, f"the example does not match its schema: {error.message}")
                for value in node.values():
                    visit(value)
            elif isinstance(node, list):
                for value in node:
                    visit(value)

        visit(self.bundle)

    def run(self) -> list[str]:
        for rule in (
            self.check_operation_ids,
            self.check_responses,
            self.check_inputs,
            self.check_links,
            self.check_path_order,
            self.check_examples,
        ):
            rule()
        return self.problems


def lint(root: Path | None = None) -> list[str]:
    """Every problem of the contract at ``root`` (default: ours), as ``file:line: message``."""
    root = root or openapi.ROOT_DOCUMENT
    relative = openapi._relative(root)
    try:
        spec, base_uri = read_from_filename(str(root))
        validate(spec, base_uri=base_uri)
    except Exception as error:  # the validator raises many kinds; each is a finding here
        return [f"{relative}: not valid OpenAPI 3.0: {str(error).splitlines()[0]}"]
    try:
        bundle = openapi.build_bundle(root)
    except openapi.BundleError as error:
        return [f"{relative}: {error}"]
    try:
        validate(bundle)
    except Exception as error:
        return [f"{relative}: the bundle is not valid OpenAPI 3.0: {str(error).splitlines()[0]}"]
    return Linter(bundle).run()
