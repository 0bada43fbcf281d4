"""The contract: ``openapi.yaml``, the files it ``$ref``s, and the one-file bundle made of them.

The bundle is what the server loads, validates requests against and serves at
``/api/v1/openapi.json``. It keeps every named schema, parameter, response and header under
``components`` (so SDK generators keep the model names); only path items are inlined.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import yaml
from jsonschema import ValidationError

SPEC_DIR = Path(__file__).resolve().parent
ROOT_DOCUMENT = SPEC_DIR / "openapi.yaml"


class BundleError(ValueError):
    """A ``$ref`` in the contract cannot be resolved."""


class Located(dict):
    """A mapping of the contract that remembers where it was written: ``source = (file, line)``.

    The bundle is made of these, so that ``openapi lint`` can point at the YAML line of any
    problem it finds in the resolved document.
    """

    source: tuple[str, int] = ("?", 0)


class _LocatingLoader(yaml.SafeLoader):
    file = "?"


def _construct_located(loader: _LocatingLoader, node: yaml.MappingNode) -> Located:
    mapping = Located(loader.construct_mapping(node, deep=True))
    mapping.source = (loader.file, node.start_mark.line + 1)
    return mapping


_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_located)


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(SPEC_DIR.parent))
    except ValueError:
        return str(path)


@functools.cache
def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        loader = _LocatingLoader(handle)
        loader.file = _relative(path)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()


def _located(items, source: tuple[str, int]) -> Located:
    mapping = Located(items)
    mapping.source = source
    return mapping


def _follow(document: Any, pointer: str, where: str) -> Any:
    node = document
    for raw in [part for part in pointer.split("/") if part]:
        part = raw.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise BundleError(f"{where}: nothing at #{pointer}") from None
    return node


def build_bundle(root: Path = ROOT_DOCUMENT) -> dict:
    """Resolve every file reference of ``root`` into one document with internal refs only."""
    root = root.resolve()
    components_dir = root.parent / "components"
    components: dict[str, dict[str, Any]] = {}
    in_progress: set[tuple[str, str]] = set()

    def component_kind(path: Path) -> str | None:
        return path.stem if path.parent == components_dir else None

    def walk(node: Any, current: Path) -> Any:
        if isinstance(node, list):
            return [walk(item, current) for item in node]
        if not isinstance(node, dict):
            return node
        source = getattr(node, "source", Located.source)
        if "$ref" not in node:
            return _located(((key, walk(value, current)) for key, value in node.items()), source)
        ref = node["$ref"]
        file_part, _, pointer = ref.partition("#")
        target = (current.parent / file_part).resolve() if file_part else current
        where = f"{current.relative_to(root.parent)}: $ref {ref!r}"
        if not target.is_file():
            raise BundleError(f"{where}: no such file {target}")
        kind = component_kind(target)
        if kind is not None:
            name = pointer.strip("/")
            if not name or "/" in name:
                raise BundleError(
                    f"{where}: refer to a whole component, like '{target.name}#/Name'"
                )
            key = (kind, name)
            if name not in components.setdefault(kind, {}) and key not in in_progress:
                in_progress.add(key)
                resolved = walk(_follow(_load(target), pointer, where), target)
                components[kind][name] = resolved
                in_progress.discard(key)
            return _located({"$ref": f"#/components/{kind}/{name}"}, source)
        if target == root and not file_part:
            return _located(node, source)  # an internal reference of the root stays as it is
        return walk(_follow(_load(target), pointer, where), target)

    document = walk(_load(root), root)
    # Every component is published, referenced or not: they are part of the contract.
    for path in sorted(components_dir.glob("*.yaml")):
        for name in _load(path) or {}:
            walk({"$ref": f"components/{path.name}#/{name}"}, root)
    own = document.setdefault("components", {})
    for kind, named in components.items():
        merged = own.setdefault(kind, {})
        merged.update(named)
    document["components"] = _located(
        ((kind, _located(sorted(named.items()), getattr(named, "source", Located.source)))
         for kind, named in sorted(own.items())),
        getattr(own, "source", Located.source),
    )  # fmt: skip
    return document


@functools.cache
def bundle() -> dict:
    """The bundled contract, built once per process. Callers must not mutate it."""
    return build_bundle()


def bundle_text(output_format: str = "json") -> str:
    if output_format == "json":
        return json.dumps(bundle(), indent=2, ensure_ascii=False) + "\n"
    if output_format == "yaml":
        plain = json.loads(json.dumps(bundle()))  # plain dicts for the YAML dumper
        return yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, width=100)
    raise ValueError(f"unknown format {output_format!r}; use json or yaml")


HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


@functools.cache
def operations() -> dict[str, tuple[str, str, dict]]:
    """operationId -> (HTTP method, path, operation) for every operation of the bundle."""
    return {
        operation["operationId"]: (method.upper(), path, operation)
        for path, item in bundle()["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def path_for(operation_id: str, **parameters) -> str:
    """The URL path of an operation, its path parameters filled in: ``path_for("get_team",
    team_id=3)`` is ``/api/v1/teams/3``. Handlers build ``Location`` and ``Link`` with it."""
    return operations()[operation_id][1].format(**parameters)


def registered_scopes() -> tuple[str, ...]:
    """The OAuth 2 scopes the contract declares, in their declared order."""
    flows = bundle()["components"]["securitySchemes"]["oauth2"]["flows"]
    return tuple(flows["authorizationCode"]["scopes"])


NO_NUL = "^[^\\u0000]*$"  # the pattern every free-text input declares


def _pattern_message(schema: dict) -> str:
    """A pattern in words: the schema's description says what it accepts (never the regex)."""
    if schema.get("pattern") == NO_NUL:
        return "must not contain NUL characters"
    described = schema.get("description", "").strip().rstrip(".")
    if not described:
        return "has an invalid format"
    return f"must be {described[0].lower()}{described[1:]}"


MESSAGES: dict[str, Any] = {
    "minLength": lambda n, _: f"must be at least {n} characters long",
    "maxLength": lambda n, _: f"must be at most {n} characters long",
    "pattern": lambda _, schema: _pattern_message(schema),
    "format": lambda name, _: f"must be a valid {name}",
    "type": lambda name, _: f"must be of type {name}",
    "enum": lambda values, _: "must be one of: " + ", ".join(map(str, values)),
    "minimum": lambda n, _: f"must be at least {n}",
    "maximum": lambda n, _: f"must be at most {n}",
    "minItems": lambda n, _: f"must have at least {n} items",
    "maxItems": lambda n, _: f"must have at most {n} items",
    "minProperties": lambda n, _: f"must have at least {n} properties",
    "maxProperties": lambda n, _: f"must have at most {n} properties",
    "uniqueItems": lambda _, __: "must not repeat items",
    "additionalProperties": lambda _, __: "is not allowed",
    "required": lambda _, __: "is required",
    "oneOf": lambda _, __: "matches none of the accepted shapes",
    "anyOf": lambda _, __: "matches none of the accepted shapes",
    "not": lambda _, __: "is not allowed",
}


def describe(error: ValidationError) -> str:
    """What a schema violation means, without quoting the value (it may be a password)."""
    message = MESSAGES.get(str(error.validator))
    return message(error.validator_value, error.schema) if message else "is invalid"


def field_errors(error: ValidationError, prefix: str = "") -> list[dict]:
    """``{field, message}`` items for one schema violation; one per missing or extra property.

    A value that matches none of a ``oneOf``'s shapes (a JSON Patch operation, say) is
    explained by the shape it was meant to be: see ``_closest_shape``.
    """
    if error.validator == "oneOf" and error.context:
        closest = _closest_shape(error)
        if closest is not None:
            return [item for sub in closest for item in field_errors(sub, prefix)]
    path = [str(part) for part in error.absolute_path]
    if prefix:
        path.insert(0, prefix)
    instance = error.instance if isinstance(error.instance, dict) else {}
    if error.validator == "required":
        names = [name for name in error.validator_value if name not in instance]
    elif error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        names = sorted(name for name in instance if name not in allowed)
    else:
        return [{"field": ".".join(path) or "body", "message": describe(error)}]
    return [{"field": ".".join([*path, name]), "message": describe(error)} for name in names]


def _closest_shape(error: ValidationError) -> list[ValidationError] | None:
    """The errors of the ``oneOf`` shape an object was meant to be, or None.

    Shapes are told apart by their ``enum`` properties (a patch operation's ``op``, then its
    ``path``): each in turn narrows the shapes to those that accept the object's value. A value
    no remaining shape accepts is the error, listing every value they would accept; once the
    enums agree, the remaining shape's own errors (a value of the wrong type, say) are.
    """
    shapes = error.schema["oneOf"]
    instance = error.instance
    if not all("properties" in shape for shape in shapes):
        return None
    if not isinstance(instance, dict):
        return [_error_at(error, "type", "object", {"type": "object"})]
    candidates = list(range(len(shapes)))
    keys = [key for key, prop in shapes[0]["properties"].items() if "enum" in prop]
    for key in keys:
        accepting = [i for i in candidates if key in shapes[i]["properties"]]
        allowed = [v for i in accepting for v in shapes[i]["properties"][key].get("enum", [])]
        if key not in instance:
            return [_error_at(error, "required", [key], shapes[accepting[0]])]
        narrowed = [i for i in accepting if instance[key] in shapes[i]["properties"][key]["enum"]]
        if not narrowed:
            unique = list(dict.fromkeys(allowed))
            return [_error_at(error, "enum", unique, {"enum": unique}, child=key)]
        candidates = narrowed
    by_shape: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        by_shape.setdefault(sub.relative_schema_path[0], []).append(sub)
    best = min(candidates, key=lambda i: len(by_shape.get(i, [])))
    return by_shape.get(best) or None


def _error_at(error, validator, value, schema, child=None) -> ValidationError:
    """A ValidationError like ``error``'s, about its object (or the object's ``child``)."""
    return ValidationError(
        "", validator=validator, validator_value=value, schema=schema,
        instance=error.instance if child is None else error.instance.get(child),
        path=list(error.absolute_path) + ([child] if child is not None else []),
    )  # fmt: skip
